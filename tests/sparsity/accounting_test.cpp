#include "core/sparsity/accounting.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace {

TEST(Accounting, NnzEqualsTheOnesOfTheAppliedMasks) {
  for (const char* g : {"unstructured", "block4x4", "block1x4", "nm4"}) {
    const auto layers = test::make_layers(3);
    RankSet ranks(Granularity::Parse(g));
    ranks.refresh(layers);
    for (const auto& levels : std::vector<std::vector<double>>{
             {0.0, 0.0, 0.0, 0.0}, {0.5, 0.9, 0.3, 0.95}, {0.8, 0.8, 0.8, 0.8}, {0.1, 0.0, 0.7, 0.6}}) {
      const auto config = SubnetConfig::Explicit(names_of(ranks.specs()), levels);
      ranks.apply(layers, config);
      int64_t ones = 0;
      for (const auto& l : layers) {
        ones += l.mask->defined() ? l.mask->sum().item<int64_t>() : l.numel();
      }
      const auto a = account(config, ranks, /*nonprunable_params=*/77);
      EXPECT_EQ(a.nnz_prunable, ones) << g;
      EXPECT_EQ(a.nnz_total, ones + 77) << g;
      EXPECT_EQ(a.total_params, 1203 + 77);
      EXPECT_EQ(a.bytes_dense, 4 * (1203 + 77));
    }
  }
}

TEST(Accounting, BytesMatchTheFormulaOnAHandCheckedCsrCase) {
  const LayerSpecs specs = {{"a", "encoder", 4, 6}, {"b", "joiner", 3, 5}};
  const auto config = SubnetConfig::Explicit({"a", "b"}, {0.75, 0.0});
  const auto a = account(config, specs, Granularity::Unstructured(), /*nonprunable_params=*/10);
  // a: 24 weights, keeps ceil(0.25*24) = 6: CSR 6*4 + 6*4 + 5*4 = 68 < dense 96.
  EXPECT_EQ(a.layers[0].nnz, 6);
  EXPECT_EQ(a.layers[0].bytes_sparse, 68);
  EXPECT_FALSE(a.layers[0].stored_dense);
  EXPECT_EQ(a.layers[0].bytes_stored, 68);
  // b at 0 %: CSR would be 15*8 + 4*4 = 136, dense 60 is smaller.
  EXPECT_EQ(a.layers[1].nnz, 15);
  EXPECT_EQ(a.layers[1].bytes_sparse, 136);
  EXPECT_TRUE(a.layers[1].stored_dense);
  EXPECT_EQ(a.layers[1].bytes_stored, 60);
  EXPECT_EQ(a.total_params, 49);
  EXPECT_EQ(a.nnz_total, 31);
  EXPECT_EQ(a.bytes_dense, 196);
  EXPECT_EQ(a.bytes_stored, 68 + 60 + 40);
  EXPECT_NEAR(a.sparsity(), 1.0 - 31.0 / 49.0, 1e-12);
}

TEST(Accounting, BlockAndNMBytesOnHandCheckedCases) {
  // 8x8 in 4x4 tiles at 0.5: 2 of 4 tiles; 2*16*4 values + 2*4 indices + 3*4 row pointers.
  const LayerSpecs block = {{"w", "encoder", 8, 8}};
  const auto b = account(SubnetConfig::Explicit({"w"}, {0.5}), block, Granularity::Block(4, 4), 0);
  EXPECT_EQ(b.nnz_total, 32);
  EXPECT_EQ(b.layers[0].bytes_sparse, 128 + 8 + 12);
  EXPECT_EQ(b.bytes_stored, 148);
  // 2x6 in groups of 4 (one full, one of 2): at 0.75, N = 1 per group -> 2 per row, 4 in all;
  // CSR 4*4 + 4*4 + 3*4 = 44 < dense 48. At 0.5, N = 2 -> 8 kept; CSR 76 > 48: stored dense.
  const LayerSpecs nm = {{"w", "encoder", 2, 6}};
  const auto n75 = account(SubnetConfig::Explicit({"w"}, {0.75}), nm, Granularity::NestedNM(4), 0);
  EXPECT_EQ(n75.nnz_total, 4);
  EXPECT_EQ(n75.bytes_stored, 44);
  const auto n50 = account(SubnetConfig::Explicit({"w"}, {0.5}), nm, Granularity::NestedNM(4), 0);
  EXPECT_EQ(n50.nnz_total, 8);
  EXPECT_EQ(n50.layers[0].bytes_sparse, 76);
  EXPECT_EQ(n50.bytes_stored, 48);
}

TEST(Accounting, PartialTilesNeedTheRanks) {
  // 5x8 in 4x4 tiles: the bottom tiles hold 1x4 real weights, so nnz depends on which tile
  // is kept; the bytes do not (tiles are stored whole).
  auto w = at::zeros({5, 8});
  w[4][0] = 100.0f;  // the bottom-left partial tile has the largest norm
  PrunableLayers layers = {{"w", "encoder", w, std::make_shared<torch::Tensor>()}};
  RankSet ranks(Granularity::Block(4, 4));
  ranks.refresh(layers);
  const auto config = SubnetConfig::Explicit({"w"}, {0.75});  // keep 1 of 4 tiles
  const auto a = account(config, ranks, 0);
  EXPECT_EQ(a.nnz_total, 4);
  EXPECT_EQ(a.layers[0].bytes_sparse, 64 + 4 + 12);
  EXPECT_THROW(account(config, ranks.specs(), ranks.granularity(), 0), InvalidArgument);
}

TEST(Accounting, RejectsAConfigForOtherLayers) {
  const LayerSpecs specs = {{"a", "encoder", 4, 6}};
  EXPECT_THROW(account(SubnetConfig::Explicit({"b"}, {0.5}), specs, Granularity::Unstructured(), 0),
               InvalidArgument);
  EXPECT_THROW(account(SubnetConfig::Explicit({"a"}, {0.5}), specs, Granularity::Unstructured(), -1),
               InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
