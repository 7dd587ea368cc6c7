#include "core/io/model_export.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <set>

#include "core/common/error.h"

namespace omnisparse {

std::string to_string(StorageKind k) {
  switch (k) {
    case StorageKind::kDense: return "dense";
    case StorageKind::kCsr: return "csr";
    case StorageKind::kBsr: return "bsr";
  }
  return "dense";
}

namespace {

at::Tensor keep_of(const at::Tensor& w, const at::Tensor& mask) {
  if (!mask.defined()) return at::ones(w.sizes(), at::kBool);
  if (mask.sizes() != w.sizes())
    throw InvalidArgument("export: mask of shape " + c10::str(mask.sizes()) +
                          " for a weight of shape " + c10::str(w.sizes()));
  return mask.to(at::kCPU).ne(0);
}

// [n] counts per row -> I32 [n + 1] row pointers from 0.
at::Tensor row_pointers(const at::Tensor& counts) {
  at::Tensor ptr = at::zeros({counts.size(0) + 1}, at::kLong);
  ptr.narrow(0, 1, counts.size(0)).copy_(counts.to(at::kLong).cumsum(0));
  return ptr.to(at::kInt);
}

void check_int32(int64_t n, const std::string& what) {
  if (n > INT_MAX) throw InvalidArgument("export: " + what + " has more than 2^31-1 entries");
}

}  // namespace

SparseParts pack_csr(const at::Tensor& w, const at::Tensor& mask) {
  const at::Tensor keep = keep_of(w, mask);
  check_int32(w.numel(), "a sparse matrix");
  SparseParts p;
  p.values = w.to(at::kCPU, at::kFloat).masked_select(keep).contiguous();  // row-major order
  p.col_idx = keep.nonzero().select(1, 1).to(at::kInt).contiguous();      // [nnz]
  p.row_ptr = row_pointers(keep.sum(1));
  return p;
}

SparseParts pack_bsr(const at::Tensor& w, const at::Tensor& mask, int64_t R, int64_t C) {
  if (R < 1 || C < 1) throw InvalidArgument("export: block size must be at least 1x1");
  const at::Tensor keep = keep_of(w, mask);
  check_int32(w.numel(), "a sparse matrix");
  const int64_t rows = w.size(0), cols = w.size(1);
  const int64_t tr = (rows + R - 1) / R, tc = (cols + C - 1) / C;
  // Zero-pad to whole tiles: [tr*R, tc*C] -> [tr, tc, R, C].
  at::Tensor wp = at::zeros({tr * R, tc * C}, at::kFloat);
  at::Tensor kp = at::zeros({tr * R, tc * C}, at::kBool);
  wp.narrow(0, 0, rows).narrow(1, 0, cols).copy_(w.to(at::kCPU, at::kFloat) * keep);
  kp.narrow(0, 0, rows).narrow(1, 0, cols).copy_(keep);
  const at::Tensor wt = wp.view({tr, R, tc, C}).permute({0, 2, 1, 3});
  const at::Tensor tile_keep = kp.view({tr, R, tc, C}).any(3).any(1);  // [tr, tc]
  const at::Tensor whole = tile_keep.repeat_interleave(R, 0).repeat_interleave(C, 1)
                               .narrow(0, 0, rows).narrow(1, 0, cols);
  if (!whole.equal(keep))
    throw InvalidArgument("export: a block " + std::to_string(R) + "x" + std::to_string(C) +
                          " layer's mask is not made of whole tiles");
  SparseParts p;
  const at::Tensor kept_tiles = tile_keep.flatten().nonzero().squeeze(1);
  p.values = wt.reshape({tr * tc, R, C}).index_select(0, kept_tiles).contiguous();  // [T, R, C]
  p.col_idx = tile_keep.nonzero().select(1, 1).to(at::kInt).contiguous();  // [T]
  p.row_ptr = row_pointers(tile_keep.sum(1));                       // [tr + 1]
  return p;
}

PackedModel pack_model(const ModelPayload& payload) {
  std::map<std::string, const LayerStorage*> by_param;
  for (const auto& l : payload.layers)
    if (!by_param.emplace(l.param, &l).second)
      throw InvalidArgument("export: parameter '" + l.param + "' has two storage entries");
  PackedModel out;
  out.metadata = payload.metadata;
  nlohmann::json storage = nlohmann::json::object();
  std::set<std::string> seen;
  for (const auto& [name, t] : payload.tensors) {
    seen.insert(name);
    auto it = by_param.find(name);
    if (it == by_param.end()) {  // not prunable: dense, as it is
      out.tensors.emplace_back(name, t);
      continue;
    }
    const LayerStorage& l = *it->second;
    if (t.dim() != 2 || t.scalar_type() != at::kFloat)
      throw InvalidArgument("export: prunable '" + name + "' is not a 2-D F32 matrix");
    const at::Tensor keep = keep_of(t, l.mask);
    nlohmann::json e = {{"layer", l.layer}, {"format", to_string(l.kind)},
                        {"shape", t.sizes().vec()}, {"nnz", keep.sum().item<int64_t>()},
                        {"level", l.level}};
    if (l.kind == StorageKind::kDense) {
      out.tensors.emplace_back(name, (t.to(at::kCPU) * keep).contiguous());
    } else {
      const bool csr = l.kind == StorageKind::kCsr;
      SparseParts p = csr ? pack_csr(t, keep) : pack_bsr(t, keep, l.block_rows, l.block_cols);
      const std::string pre = name + (csr ? ".csr_" : ".bsr_");
      out.tensors.emplace_back(pre + "values", p.values);
      out.tensors.emplace_back(pre + "col_idx", p.col_idx);
      out.tensors.emplace_back(pre + "row_ptr", p.row_ptr);
      if (!csr) e["block"] = {l.block_rows, l.block_cols};
    }
    storage[name] = std::move(e);
  }
  for (const auto& [param, l] : by_param)
    if (!seen.count(param)) throw InvalidArgument("export: no tensor '" + param + "' to store");
  out.metadata[kFormatKey] = kModelFormatName;
  out.metadata[kFormatVersionKey] = std::to_string(kModelFormatVersion);
  out.metadata[kStorageKey] = storage.dump();
  return out;
}

void write_model_safetensors(const std::filesystem::path& path, const ModelPayload& payload) {
  PackedModel p = pack_model(payload);
  write_safetensors(path, p.tensors, p.metadata);
}

}  // namespace omnisparse
