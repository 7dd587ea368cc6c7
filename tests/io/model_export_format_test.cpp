// The exported-model format: CSR/BSR packing against brute force, round trips through
// safetensors and HDF5, and the exact byte counts of the accounting formulas.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

#include "core/io/h5_model_export.h"
#include "core/io/model_export.h"
#include "core/io/model_import.h"
#include "core/sparsity/accounting.h"
#include "tests/io/model_export_test_util.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

const at::Tensor& find(const NamedTensors& ts, const std::string& name) {
  for (const auto& [n, t] : ts)
    if (n == name) return t;
  throw std::runtime_error("no tensor " + name);
}

uint64_t header_len(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  return n;
}

// Every stored parameter equals the original where the mask keeps it and is exactly 0 elsewhere.
void expect_masked_round_trip(const ModelPayload& p, const StoredModel& m) {
  ASSERT_EQ(m.tensors.size(), p.tensors.size());
  for (const auto& [name, orig] : p.tensors) {
    at::Tensor want = orig;
    for (const auto& l : p.layers)
      if (l.param == name) want = orig * l.mask.ne(0);
    const at::Tensor& got = find(m.tensors, name);
    EXPECT_EQ(got.scalar_type(), at::kFloat) << name;
    EXPECT_TRUE(got.equal(want)) << name;
  }
}

}  // namespace

TEST(ModelExportFormat, CsrPartsMatchBruteForce) {
  const at::Tensor w = at::arange(1, 13, at::kFloat).view({3, 4});
  const at::Tensor mask = at::tensor({0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0}).to(at::kBool).view({3, 4});
  SparseParts p = pack_csr(w, mask);
  EXPECT_TRUE(p.values.equal(at::tensor({2.f, 4.f, 9.f, 10.f, 11.f})));
  EXPECT_TRUE(p.col_idx.equal(at::tensor({1, 3, 0, 1, 2}, at::kInt)));
  EXPECT_TRUE(p.row_ptr.equal(at::tensor({0, 2, 2, 5}, at::kInt)));
  EXPECT_NO_THROW(check_csr(p, 3, 4, "x", "w"));
}

TEST(ModelExportFormat, BsrPadsPartialEdgeTilesWithZeros) {
  const at::Tensor w = at::arange(1, 16, at::kFloat).view({3, 5});  // 2x2 tiles: 2 x 3, edges partial
  at::Tensor tiles = at::tensor({0, 0, 1, 1, 0, 0}).to(at::kBool).view({2, 3});
  at::Tensor mask = tiles.repeat_interleave(2, 0).repeat_interleave(2, 1).narrow(0, 0, 3).narrow(1, 0, 5);
  SparseParts p = pack_bsr(w, mask, 2, 2);
  ASSERT_EQ(p.values.sizes(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_TRUE(p.values[0].equal(at::tensor({5.f, 0.f, 10.f, 0.f}).view({2, 2})));   // tile (0,2)
  EXPECT_TRUE(p.values[1].equal(at::tensor({11.f, 12.f, 0.f, 0.f}).view({2, 2})));  // tile (1,0)
  EXPECT_TRUE(p.col_idx.equal(at::tensor({2, 0}, at::kInt)));
  EXPECT_TRUE(p.row_ptr.equal(at::tensor({0, 1, 2}, at::kInt)));
  EXPECT_THROW(pack_bsr(w, w.gt(7), 2, 2), InvalidArgument);  // not whole tiles
}

TEST(ModelExportFormat, SafetensorsRoundTripDensifiesWithExactZeros) {
  test::TempDir dir;
  const ModelPayload p = test::small_payload();
  write_model_safetensors(dir / "m.safetensors", p);
  EXPECT_TRUE(fs::exists(dir / "m.safetensors.sha256.json"));
  StoredModel m = read_model_safetensors(dir / "m.safetensors");
  expect_masked_round_trip(p, m);
  EXPECT_EQ(m.metadata.at("note"), "unit test");
  EXPECT_EQ(m.metadata.at(kFormatKey), "omnisparse-model");
  EXPECT_EQ(m.storage["model.a"]["format"], "csr");
  EXPECT_EQ(m.storage["model.b"]["format"], "bsr");
  EXPECT_EQ(m.storage["model.c"]["format"], "dense");
  // nnz: CSR kept weights + BSR real weights of 4 tiles (16 + 12 + 8 + 6) + dense mask count.
  const int64_t want = p.layers[0].mask.sum().item<int64_t>() + 16 + 12 + 8 + 6 +
                       p.layers[2].mask.sum().item<int64_t>();
  EXPECT_EQ(m.nnz_prunable, want);
}

TEST(ModelExportFormat, Hdf5HoldsTheSameContentAsSafetensors) {
  test::TempDir dir;
  const ModelPayload p = test::small_payload(11);
  write_model_h5(dir / "m.h5", p);
  write_model_safetensors(dir / "m.safetensors", p);
  EXPECT_TRUE(fs::exists(dir / "m.h5.sha256.json"));
  StoredModel h = read_model_h5(dir / "m.h5", {}, /*require_manifest=*/true);
  StoredModel s = read_model_safetensors(dir / "m.safetensors");
  expect_masked_round_trip(p, h);
  EXPECT_EQ(h.metadata, s.metadata);
  EXPECT_EQ(h.nnz_prunable, s.nnz_prunable);
}

TEST(ModelExportFormat, DataSectionIsExactlyTheAccountedBytes) {
  // Per layer: accounting's formula at the kept count equals the bytes the file stores.
  test::TempDir dir;
  const ModelPayload p = test::small_payload(3);
  write_model_safetensors(dir / "m.safetensors", p);
  int64_t want = 0;
  for (const auto& [name, t] : p.tensors) {
    const LayerStorage* l = nullptr;
    for (const auto& x : p.layers)
      if (x.param == name) l = &x;
    if (!l) {
      want += 4 * t.numel();
      continue;
    }
    Granularity g = l->kind == StorageKind::kBsr ? Granularity::Block(l->block_rows, l->block_cols)
                                                  : Granularity::Unstructured();
    LayerAccount a = account_layer({l->layer, "enc", t.size(0), t.size(1)}, g, l->level,
                                   l->mask.ne(0).sum().item<int64_t>());
    want += l->kind == StorageKind::kDense ? a.bytes_dense : a.bytes_sparse;
  }
  const uint64_t size = fs::file_size(dir / "m.safetensors");
  EXPECT_EQ(static_cast<int64_t>(size - 8 - header_len(dir / "m.safetensors")), want);
}

}  // namespace omnisparse
