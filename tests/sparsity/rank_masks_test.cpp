#include "core/sparsity/rank_masks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/common/error.h"
#include "core/sparsity/ladder.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace {

const char* kGranularities[] = {"unstructured", "block1x4", "block4x4", "block3x5", "nm4", "nm8"};

at::Tensor random_weight(int64_t rows, int64_t cols, uint64_t seed) {
  return test::make_layer("w", "encoder", rows, cols, seed).weight;
}

int64_t ones(const at::Tensor& mask) { return mask.sum().item<int64_t>(); }

// Indices 0..n-1 sorted by score descending, ties by index ascending.
std::vector<int64_t> brute_order(const std::vector<double>& score) {
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return order;
}

TEST(RankMasks, MaskAt90IsSubsetOfMaskAt80) {
  const Ladder ladder;
  for (const char* g : kGranularities) {
    const auto ranks = compute_ranks(random_weight(37, 53, 3), Granularity::Parse(g));
    const auto m80 = mask_at(ranks, 0.8), m90 = mask_at(ranks, 0.9);
    EXPECT_TRUE((m90 & ~m80).sum().item<int64_t>() == 0) << g;
    EXPECT_LE(ones(m90), ones(m80)) << g;
    // Every adjacent pair of the default ladder nests too.
    for (size_t i = 1; i < ladder.levels.size(); ++i) {
      const auto denser = mask_at(ranks, ladder.levels[i - 1]);
      const auto sparser = mask_at(ranks, ladder.levels[i]);
      EXPECT_EQ((sparser & ~denser).sum().item<int64_t>(), 0)
          << g << " " << ladder.levels[i - 1] << " -> " << ladder.levels[i];
    }
  }
}

TEST(RankMasks, MaskAtZeroKeepsEverything) {
  for (const char* g : kGranularities) {
    const auto ranks = compute_ranks(random_weight(9, 7, 4), Granularity::Parse(g));
    EXPECT_EQ(ones(mask_at(ranks, 0.0)), 63) << g;
  }
}

TEST(RankMasks, UnstructuredKeepsExactlyCeilOfKeptFraction) {
  const auto ranks = compute_ranks(random_weight(37, 53, 5), Granularity::Unstructured());
  const int64_t n = 37 * 53;
  for (double s : Ladder().levels) {
    const auto mask = mask_at(ranks, s);
    EXPECT_EQ(mask.sizes(), at::IntArrayRef({37, 53}));
    EXPECT_EQ(ones(mask), static_cast<int64_t>(std::ceil((1 - s) * n - 1e-9))) << s;
    EXPECT_EQ(ones(mask), kept_weights(ranks, s));
    EXPECT_EQ(ones(mask), kept_weights(37, 53, Granularity::Unstructured(), s));
  }
  EXPECT_EQ(ones(mask_at(ranks, 0.8)), 393);  // ceil(0.2 * 1961) by hand
}

TEST(RankMasks, BlockKeepsCeilOfTilesWithPartialEdgeTilesCountedExactly) {
  // 37x53 in 4x4 tiles: a 10x14 grid, last tile row 1 high, last tile column 1 wide.
  const auto ranks = compute_ranks(random_weight(37, 53, 6), Granularity::Block(4, 4));
  ASSERT_EQ(ranks.ranks.sizes(), at::IntArrayRef({10, 14}));
  EXPECT_EQ(ranks.units(), 140);
  for (double s : Ladder().levels) {
    const auto mask = mask_at(ranks, s);
    EXPECT_EQ(mask.sizes(), at::IntArrayRef({37, 53}));
    const int64_t tiles = kept_units(140, s);
    const auto kept_tiles = ranks.ranks < tiles;
    EXPECT_EQ(kept_tiles.sum().item<int64_t>(), static_cast<int64_t>(std::ceil((1 - s) * 140 - 1e-9)));
    // Brute force: the ones of the mask are the real weights of the kept tiles.
    int64_t expected = 0;
    for (int64_t i = 0; i < 10; ++i) {
      for (int64_t j = 0; j < 14; ++j) {
        if (!kept_tiles[i][j].item<bool>()) continue;
        expected += std::min<int64_t>(4, 37 - 4 * i) * std::min<int64_t>(4, 53 - 4 * j);
        EXPECT_TRUE(mask.slice(0, 4 * i, 4 * i + 4).slice(1, 4 * j, 4 * j + 4).all().item<bool>());
      }
    }
    EXPECT_EQ(ones(mask), expected) << s;
    EXPECT_EQ(kept_weights(ranks, s), expected) << s;
  }
  EXPECT_THROW(kept_weights(37, 53, Granularity::Block(4, 4), 0.5), InvalidArgument);
  EXPECT_EQ(kept_weights(36, 52, Granularity::Block(4, 4), 0.5), kept_units(9 * 13, 0.5) * 16);
}

TEST(RankMasks, NestedNMKeepsCeilOfMPerGroupIncludingPartialLastGroup) {
  // 53 columns in groups of 4: 13 full groups and a last group of 1.
  const auto ranks = compute_ranks(random_weight(5, 53, 7), Granularity::NestedNM(4));
  ASSERT_EQ(ranks.ranks.sizes(), at::IntArrayRef({5, 53}));
  for (double s : Ladder().levels) {
    const auto mask = mask_at(ranks, s);
    const int64_t n = static_cast<int64_t>(std::ceil((1 - s) * 4 - 1e-9));
    for (int64_t r = 0; r < 5; ++r) {
      for (int64_t g = 0; g < 13; ++g) {
        EXPECT_EQ(ones(mask[r].slice(0, 4 * g, 4 * g + 4)), n) << s;
      }
      EXPECT_EQ(ones(mask[r].slice(0, 52, 53)), std::min<int64_t>(n, 1)) << s;
    }
    EXPECT_EQ(ones(mask), 5 * (13 * n + std::min<int64_t>(n, 1)));
    EXPECT_EQ(ones(mask), kept_weights(5, 53, Granularity::NestedNM(4), s));
  }
  // M=4: 0.5 and 0.6 keep 2 of 4, 0.75 and 0.9 keep 1 of 4.
  EXPECT_TRUE(mask_at(ranks, 0.5).equal(mask_at(ranks, 0.6)));
  EXPECT_TRUE(mask_at(ranks, 0.75).equal(mask_at(ranks, 0.9)));
}

TEST(RankMasks, UnstructuredKeepsTheLargestMagnitudes) {
  const auto w = random_weight(6, 7, 8);
  const auto ranks = compute_ranks(w, Granularity::Unstructured());
  std::vector<double> score;
  for (int64_t i = 0; i < 42; ++i) score.push_back(std::abs(w.view({-1})[i].item<double>()));
  const auto order = brute_order(score);
  for (int64_t keep = 1; keep <= 42; ++keep) {
    const double s = 1.0 - static_cast<double>(keep) / 42.0;
    const auto mask = mask_at(ranks, s).view({-1});
    for (int64_t pos = 0; pos < 42; ++pos) {
      EXPECT_EQ(mask[order[pos]].item<bool>(), pos < keep) << "keep " << keep;
    }
  }
}

TEST(RankMasks, BlocksAreRankedByL2Norm) {
  const auto w = random_weight(6, 10, 9);  // 1x4 tiles: grid 6x3, last column tiles 2 wide
  const auto ranks = compute_ranks(w, Granularity::Block(1, 4));
  std::vector<double> score;
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      score.push_back(w[i].slice(0, 4 * j, std::min<int64_t>(4 * j + 4, 10)).norm().item<double>());
    }
  }
  const auto order = brute_order(score);
  for (size_t pos = 0; pos < order.size(); ++pos) {
    EXPECT_EQ(ranks.ranks.view({-1})[order[pos]].item<int>(), static_cast<int>(pos));
  }
}

TEST(RankMasks, NestedNMKeepsTheLargestInEachGroup) {
  const auto w = random_weight(4, 14, 10);  // groups of 8: one full, one of 6
  const auto ranks = compute_ranks(w, Granularity::NestedNM(8));
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t g0 : {0, 8}) {
      const int64_t len = std::min<int64_t>(8, 14 - g0);
      std::vector<double> score;
      for (int64_t j = 0; j < len; ++j) score.push_back(std::abs(w[r][g0 + j].item<double>()));
      const auto order = brute_order(score);
      for (int64_t pos = 0; pos < len; ++pos) {
        EXPECT_EQ(ranks.ranks[r][g0 + order[pos]].item<int>(), pos);
      }
    }
  }
}

TEST(RankMasks, TiesAreBrokenByIndex) {
  // Equal magnitudes (signs differ): lower row-major index ranks first.
  auto w = at::tensor({1.0f, -1.0f, 2.0f, 1.0f, -2.0f, 1.0f, 0.0f, 0.0f}).view({2, 4});
  const auto r = compute_ranks(w, Granularity::Unstructured());
  EXPECT_TRUE(r.ranks.view({-1}).equal(at::tensor({2, 3, 0, 4, 1, 5, 6, 7}, at::kInt)));
  // Same tensor ranked twice: identical.
  EXPECT_TRUE(compute_ranks(w, Granularity::Unstructured()).ranks.equal(r.ranks));
  // All-equal N:M group: the first N of the group are kept.
  const auto nm = compute_ranks(at::ones({1, 8}), Granularity::NestedNM(4));
  EXPECT_TRUE(mask_at(nm, 0.5).equal(
      at::tensor({1, 1, 0, 0, 1, 1, 0, 0}, at::kInt).to(at::kBool).view({1, 8})));
  // All-equal tiles: the first tiles in row-major grid order are kept.
  const auto blk = compute_ranks(at::ones({4, 4}), Granularity::Block(2, 2));
  EXPECT_TRUE(blk.ranks.equal(at::tensor({0, 1, 2, 3}, at::kInt).view({2, 2})));
}

TEST(RankMasks, GradientsAreNotTracked) {
  auto w = random_weight(4, 4, 11).requires_grad_(true);
  const auto r = compute_ranks(w, Granularity::Unstructured());
  EXPECT_FALSE(r.ranks.requires_grad());
  EXPECT_EQ(r.ranks.scalar_type(), at::kInt);
}

}  // namespace
}  // namespace omnisparse
