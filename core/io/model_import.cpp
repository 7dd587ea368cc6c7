#include "core/io/model_import.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <unordered_map>

#include "core/common/error.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;

struct ImportEntry {
  std::string param;
  StorageKind kind = StorageKind::kDense;
  int64_t rows = 0, cols = 0, nnz = 0, R = 1, C = 1;
};

int64_t positive_int(const nlohmann::json& v, const fs::path& path, const std::string& what,
                     int64_t lo, int64_t hi) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    throw FormatError(path, what + " is " + v.dump() + ", expected an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.get<int64_t>();
}

ImportEntry parse_import_entry(const std::string& param, const nlohmann::json& j, const fs::path& path) {
  const std::string what = "storage entry '" + param + "'";
  if (!j.is_object()) throw FormatError(path, what + " is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "layer" && it.key() != "format" && it.key() != "shape" && it.key() != "nnz" &&
        it.key() != "level" && it.key() != "block")
      throw FormatError(path, what + " has an unknown key '" + it.key() + "'");
  ImportEntry e;
  e.param = param;
  if (!j.contains("format") || !j["format"].is_string())
    throw FormatError(path, what + " has no string 'format'");
  const std::string f = j["format"].get<std::string>();
  if (f == "dense") e.kind = StorageKind::kDense;
  else if (f == "csr") e.kind = StorageKind::kCsr;
  else if (f == "bsr") e.kind = StorageKind::kBsr;
  else throw FormatError(path, what + " has unknown format '" + f + "' (dense, csr or bsr)");
  if (!j.contains("shape") || !j["shape"].is_array() || j["shape"].size() != 2)
    throw FormatError(path, what + " has no 'shape' [rows, cols]");
  e.rows = positive_int(j["shape"][0], path, what + " rows", 1, kMaxDim - 1);
  e.cols = positive_int(j["shape"][1], path, what + " cols", 1, kMaxDim - 1);
  if (!j.contains("nnz")) throw FormatError(path, what + " has no 'nnz'");
  e.nnz = positive_int(j["nnz"], path, what + " nnz", 0, e.rows * e.cols);
  if (e.kind == StorageKind::kBsr) {
    if (!j.contains("block") || !j["block"].is_array() || j["block"].size() != 2)
      throw FormatError(path, what + " (bsr) has no 'block' [R, C]");
    e.R = positive_int(j["block"][0], path, what + " block rows", 1, e.rows);
    e.C = positive_int(j["block"][1], path, what + " block cols", 1, e.cols);
  }
  return e;
}

void check_part(const at::Tensor& t, at::ScalarType type, int64_t dim, const fs::path& path,
                const std::string& what, const char* part) {
  if (t.scalar_type() != type)
    throw FormatError(path, what + ": " + part + " has dtype " + c10::toString(t.scalar_type()) +
                                ", expected " + c10::toString(type));
  if (t.dim() != dim)
    throw FormatError(path, what + ": " + part + " has " + std::to_string(t.dim()) +
                                " dimensions, expected " + std::to_string(dim));
}

// Row pointers [n + 1] from 0 to nnz, never decreasing; column indices in [0, cols), none twice
// within a row (sorted copy per row, so nothing proportional to cols is allocated).
void check_compressed(const SparseParts& p, int64_t n, int64_t cols, int64_t nnz,
                      const fs::path& path, const std::string& what) {
  if (p.row_ptr.size(0) != n + 1)
    throw FormatError(path, what + ": row_ptr has " + std::to_string(p.row_ptr.size(0)) +
                                " entries, expected " + std::to_string(n + 1));
  const int32_t* rp = p.row_ptr.data_ptr<int32_t>();
  const int32_t* ci = p.col_idx.data_ptr<int32_t>();
  if (rp[0] != 0) throw FormatError(path, what + ": row_ptr[0] is " + std::to_string(rp[0]) + ", not 0");
  if (rp[n] != nnz)
    throw FormatError(path, what + ": row_ptr ends at " + std::to_string(rp[n]) + " but there are " +
                                std::to_string(nnz) + " stored entries");
  for (int64_t r = 0; r < n; ++r)
    if (rp[r + 1] < rp[r] || rp[r + 1] > nnz)
      throw FormatError(path, what + ": row_ptr is not monotone from 0 to nnz at row " +
                                  std::to_string(r) + " (" + std::to_string(rp[r]) + " -> " +
                                  std::to_string(rp[r + 1]) + ")");
  std::vector<int32_t> row;
  for (int64_t r = 0; r < n; ++r) {
    row.assign(ci + rp[r], ci + rp[r + 1]);
    for (int32_t c : row)
      if (c < 0 || c >= cols)
        throw FormatError(path, what + ": column index " + std::to_string(c) + " in row " +
                                    std::to_string(r) + " is outside [0, " + std::to_string(cols) + ")");
    std::sort(row.begin(), row.end());
    if (std::adjacent_find(row.begin(), row.end()) != row.end())
      throw FormatError(path, what + ": row " + std::to_string(r) + " has a column twice");
  }
}

void check_finite_values(const at::Tensor& v, const fs::path& path, const std::string& what) {
  if (v.numel() > 0 && !at::isfinite(v).all().item<bool>())
    throw FormatError(path, what + ": values are not all finite");
}

at::Tensor densify_csr(const SparseParts& p, int64_t rows, int64_t cols) {
  at::Tensor dense = at::zeros({rows, cols}, at::kFloat);
  if (p.values.numel() == 0) return dense;
  const at::Tensor counts = p.row_ptr.to(at::kLong).diff();
  const at::Tensor r = at::arange(rows, at::kLong).repeat_interleave(counts);
  dense.view({-1}).index_copy_(0, r * cols + p.col_idx.to(at::kLong), p.values);
  return dense;
}

at::Tensor densify_bsr(const SparseParts& p, int64_t rows, int64_t cols, int64_t R, int64_t C) {
  const int64_t tr = (rows + R - 1) / R, tc = (cols + C - 1) / C;
  at::Tensor tiles = at::zeros({tr * tc, R, C}, at::kFloat);
  if (p.values.size(0) > 0) {
    const at::Tensor counts = p.row_ptr.to(at::kLong).diff();
    const at::Tensor r = at::arange(tr, at::kLong).repeat_interleave(counts);
    tiles.index_copy_(0, r * tc + p.col_idx.to(at::kLong), p.values);
  }
  return tiles.view({tr, tc, R, C}).permute({0, 2, 1, 3}).reshape({tr * R, tc * C})
      .narrow(0, 0, rows).narrow(1, 0, cols).contiguous();
}

// Real (unpadded) weights in the kept tiles of a checked BSR matrix.
int64_t bsr_kept_weights(const SparseParts& p, int64_t rows, int64_t cols, int64_t R, int64_t C) {
  const int32_t* rp = p.row_ptr.data_ptr<int32_t>();
  const int32_t* ci = p.col_idx.data_ptr<int32_t>();
  int64_t kept = 0;
  for (int64_t r = 0; r + 1 < p.row_ptr.size(0); ++r)
    for (int32_t k = rp[r]; k < rp[r + 1]; ++k)
      kept += std::min(R, rows - r * R) * std::min(C, cols - ci[k] * C);
  return kept;
}

}  // namespace

void check_csr(const SparseParts& p, int64_t rows, int64_t cols, const fs::path& path,
               const std::string& what) {
  check_part(p.values, at::kFloat, 1, path, what, "csr_values");
  check_part(p.col_idx, at::kInt, 1, path, what, "csr_col_idx");
  check_part(p.row_ptr, at::kInt, 1, path, what, "csr_row_ptr");
  const int64_t nnz = p.values.size(0);
  if (p.col_idx.size(0) != nnz)
    throw FormatError(path, what + ": " + std::to_string(nnz) + " values but " +
                                std::to_string(p.col_idx.size(0)) + " column indices");
  if (nnz > rows * cols)
    throw FormatError(path, what + ": " + std::to_string(nnz) + " stored entries in a " +
                                std::to_string(rows) + "x" + std::to_string(cols) + " matrix");
  check_compressed(p, rows, cols, nnz, path, what);
  check_finite_values(p.values, path, what);
}

void check_bsr(const SparseParts& p, int64_t rows, int64_t cols, int64_t R, int64_t C,
               const fs::path& path, const std::string& what) {
  check_part(p.values, at::kFloat, 3, path, what, "bsr_values");
  check_part(p.col_idx, at::kInt, 1, path, what, "bsr_col_idx");
  check_part(p.row_ptr, at::kInt, 1, path, what, "bsr_row_ptr");
  const int64_t tr = (rows + R - 1) / R, tc = (cols + C - 1) / C;
  const int64_t T = p.values.size(0);
  if (p.values.size(1) != R || p.values.size(2) != C)
    throw FormatError(path, what + ": bsr_values tiles are " + std::to_string(p.values.size(1)) +
                                "x" + std::to_string(p.values.size(2)) + ", the entry declares " +
                                std::to_string(R) + "x" + std::to_string(C));
  if (p.col_idx.size(0) != T || T > tr * tc)
    throw FormatError(path, what + ": " + std::to_string(T) + " tiles but " +
                                std::to_string(p.col_idx.size(0)) + " tile column indices (" +
                                std::to_string(tr * tc) + " tiles fit)");
  check_compressed(p, tr, tc, T, path, what);
  check_finite_values(p.values, path, what);
}

void refuse_executable_formats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char b[9] = {0};
  if (!in.read(reinterpret_cast<char*>(b), 9)) return;  // too short: the reader says why
  if (b[8] == '{') return;  // a safetensors JSON header starts here
  const bool zip = b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
  const bool pickle = b[0] == 0x80 && b[1] >= 2 && b[1] <= 5;
  if (zip || pickle)
    throw FormatError(path, std::string("a ") + (zip ? "zip archive (TorchScript or torch.save)" : "Python pickle") +
                                " file: refused, it could execute code; export the model with "
                                "`omnisparse export` (safetensors or HDF5)");
}

StoredModel unpack_model(const NamedTensors& stored, const std::map<std::string, std::string>& metadata,
                         const fs::path& path, const ImportLimits& limits) {
  auto fmt = metadata.find(kFormatKey);
  if (fmt == metadata.end() || fmt->second != kModelFormatName)
    throw FormatError(path, "not an omnisparse model export (metadata '" + std::string(kFormatKey) +
                                "' is " + (fmt == metadata.end() ? "missing" : "'" + fmt->second + "'") +
                                ", expected '" + kModelFormatName + "')");
  auto ver = metadata.find(kFormatVersionKey);
  if (ver == metadata.end() || ver->second != std::to_string(kModelFormatVersion))
    throw FormatError(path, "model format version " + (ver == metadata.end() ? std::string("(missing)") : ver->second) +
                                " is not supported (this build reads version " +
                                std::to_string(kModelFormatVersion) + ")");
  auto st = metadata.find(kStorageKey);
  if (st == metadata.end()) throw FormatError(path, "missing metadata '" + std::string(kStorageKey) + "'");
  StoredModel out;
  out.path = path;
  out.metadata = metadata;
  try {
    out.storage = nlohmann::json::parse(st->second);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("storage map is not valid JSON (") + e.what() + ")");
  }
  if (!out.storage.is_object()) throw FormatError(path, "storage map is not a JSON object");

  std::unordered_map<std::string, const at::Tensor*> by_name;
  for (const auto& [name, t] : stored)
    if (!by_name.emplace(name, &t).second) throw FormatError(path, "tensor '" + name + "' is stored twice");
  auto take = [&](const std::string& name, const std::string& param) -> const at::Tensor& {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw FormatError(path, "parameter '" + param + "': missing tensor '" + name + "'");
    return *it->second;
  };
  static const char* kParts[] = {".csr_values", ".csr_col_idx", ".csr_row_ptr",
                                 ".bsr_values", ".bsr_col_idx", ".bsr_row_ptr"};

  std::map<std::string, ImportEntry> entries;
  int64_t params = 0;
  for (auto it = out.storage.begin(); it != out.storage.end(); ++it) {
    ImportEntry e = parse_import_entry(it.key(), *it, path);
    const bool sparse = e.kind != StorageKind::kDense;
    if (sparse == (by_name.count(e.param) > 0))
      throw FormatError(path, "parameter '" + e.param + "' is stored " +
                                  (sparse ? "both dense and sparse" : "dense in the map but not in the file"));
    for (const char* part : kParts) {
      const bool mine = sparse && std::string(part).substr(1, 3) == to_string(e.kind);
      if (!mine && by_name.count(e.param + part))
        throw FormatError(path, "parameter '" + e.param + "' is stored " + to_string(e.kind) +
                                    " but the file also has '" + e.param + part + "'");
    }
    params += e.rows * e.cols;
    entries.emplace(e.param, e);
  }
  auto part_of = [&](const std::string& name) -> const char* {
    for (const char* part : kParts)
      if (name.size() > std::strlen(part) && name.ends_with(part)) return part;
    return nullptr;
  };
  for (const auto& [name, t] : stored) {
    const char* part = part_of(name);
    if (part && !entries.count(name.substr(0, name.size() - std::strlen(part))))
      throw FormatError(path, "sparse part '" + name + "' has no entry in the storage map");
    if (!part && !entries.count(name)) params += t.numel();
    if (params > limits.max_params)
      throw FormatError(path, "the model declares over " + std::to_string(params) +
                                  " parameters, above the loader's limit of " +
                                  std::to_string(limits.max_params));
  }

  // Validate every sparse layer before densifying any.
  std::map<std::string, SparseParts> parts;
  std::map<std::string, std::string> values_of;  // "<param>.csr_values" -> param
  for (const auto& [param, e] : entries) {
    const std::string what = "parameter '" + param + "'";
    if (e.kind == StorageKind::kDense) {
      const at::Tensor& t = take(param, param);
      if (t.scalar_type() != at::kFloat || t.dim() != 2 || t.size(0) != e.rows || t.size(1) != e.cols)
        throw FormatError(path, what + " is stored dense as " + c10::toString(t.scalar_type()) + " " +
                                    c10::str(t.sizes()) + ", the storage map declares F32 [" +
                                    std::to_string(e.rows) + ", " + std::to_string(e.cols) + "]");
      continue;
    }
    const std::string pre = param + "." + to_string(e.kind) + "_";
    SparseParts p{take(pre + "values", param), take(pre + "col_idx", param), take(pre + "row_ptr", param)};
    if (e.kind == StorageKind::kCsr) {
      check_csr(p, e.rows, e.cols, path, what);
      if (p.values.size(0) != e.nnz)
        throw FormatError(path, what + ": " + std::to_string(p.values.size(0)) +
                                    " stored weights, the storage map declares " + std::to_string(e.nnz));
    } else {
      check_bsr(p, e.rows, e.cols, e.R, e.C, path, what);
      if (const int64_t kept = bsr_kept_weights(p, e.rows, e.cols, e.R, e.C); kept != e.nnz)
        throw FormatError(path, what + ": the stored tiles hold " + std::to_string(kept) +
                                    " weights, the storage map declares " + std::to_string(e.nnz));
    }
    parts.emplace(param, p);
    values_of.emplace(pre + "values", param);
  }

  for (const auto& [name, t] : stored) {
    auto v = values_of.find(name);
    if (v != values_of.end()) {  // a sparse layer appears where its values are stored
      const ImportEntry& e = entries.at(v->second);
      const SparseParts& p = parts.at(v->second);
      out.tensors.emplace_back(v->second, e.kind == StorageKind::kCsr
                                              ? densify_csr(p, e.rows, e.cols)
                                              : densify_bsr(p, e.rows, e.cols, e.R, e.C));
    } else if (!part_of(name)) {
      out.tensors.emplace_back(name, t);
    }
  }
  for (const auto& [param, e] : entries) out.nnz_prunable += e.nnz;
  return out;
}

StoredModel read_model_safetensors(const fs::path& path, const ReadLimits& read,
                                   const ImportLimits& limits) {
  refuse_executable_formats(path);
  SafetensorsFile f = read_safetensors(path, read);
  return unpack_model(f.tensors, f.metadata, path, limits);
}

}  // namespace omnisparse
