#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/common/error.h"
#include "core/data/batcher.h"
#include "core/data/seeded_rng.h"

using namespace omnisparse;

namespace {
std::vector<int64_t> random_lengths(size_t n, uint64_t seed) {
  SeededRng rng(seed);
  std::vector<int64_t> l(n);
  for (auto& x : l) x = 50 + static_cast<int64_t>(rng.index(950));
  return l;
}
}  // namespace

TEST(Batcher, EveryIndexExactlyOnceAndCapsRespected) {
  const auto lengths = random_lengths(1000, 1);
  BatchConfig c;
  c.max_frames = 8000;
  c.max_batch = 16;
  for (bool shuffle : {true, false}) {
    c.shuffle = shuffle;
    const auto batches = make_batches(lengths, c, 3);
    std::vector<int> seen(lengths.size(), 0);
    for (const auto& b : batches) {
      ASSERT_FALSE(b.empty());
      EXPECT_LE(static_cast<int64_t>(b.size()), c.max_batch);
      int64_t tmax = 0;
      for (size_t i : b) tmax = std::max(tmax, lengths[i]), ++seen[i];
      EXPECT_LE(tmax * static_cast<int64_t>(b.size()), c.max_frames);
    }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  }
}

TEST(Batcher, DeterministicUnderSeedAndDifferentAcrossSeeds) {
  const auto lengths = random_lengths(500, 2);
  BatchConfig c;
  c.max_frames = 5000;
  EXPECT_EQ(make_batches(lengths, c, 7), make_batches(lengths, c, 7));
  EXPECT_NE(make_batches(lengths, c, 7), make_batches(lengths, c, 8));
}

TEST(Batcher, BucketingKeepsPaddingSmall) {
  const auto lengths = random_lengths(2000, 3);
  BatchConfig c;
  c.max_frames = 100000;
  c.max_batch = 16;
  int64_t padded = 0, real = 0;
  for (const auto& b : make_batches(lengths, c, 1)) {
    int64_t tmax = 0;
    for (size_t i : b) tmax = std::max(tmax, lengths[i]), real += lengths[i];
    padded += tmax * static_cast<int64_t>(b.size());
  }
  // Random batches of 16 would pad ~45 % here; sorted buckets keep it to a few percent.
  EXPECT_LT(static_cast<double>(padded - real) / padded, 0.05);
}

TEST(Batcher, OverlongItemGetsItsOwnBatch) {
  BatchConfig c;
  c.max_frames = 100;
  c.shuffle = false;
  const auto b = make_batches({10, 500, 20, 30}, c, 0);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(b[1], (std::vector<size_t>{1}));
}

TEST(Batcher, ConfigValidates) {
  BatchConfig c;
  c.max_batch = 0;
  EXPECT_THROW(c.Validate(), ConfigError);
  EXPECT_EQ(BatchConfig::from_json(BatchConfig{}.to_json()).to_json(), BatchConfig{}.to_json());
  EXPECT_THROW(BatchConfig::from_json({{"max_frame", 3}}), ConfigError);
}

TEST(PadBatch, ShapesLengthsAndPadding) {
  std::vector<at::Tensor> feats = {at::ones({3, 4}), at::full({5, 4}, 2.0), at::full({1, 4}, 3.0)};
  std::vector<std::vector<int64_t>> tokens = {{1, 2}, {3}, {4, 5, 6, 7}};
  const auto b = pad_batch(feats, tokens);
  EXPECT_EQ(b.feats.sizes(), (at::IntArrayRef{3, 5, 4}));
  EXPECT_EQ(b.targets.sizes(), (at::IntArrayRef{3, 4}));
  EXPECT_EQ(b.feat_lens.dtype(), at::kLong);
  EXPECT_EQ(b.feat_lens[0].item<int64_t>(), 3);
  EXPECT_EQ(b.feat_lens[1].item<int64_t>(), 5);
  EXPECT_EQ(b.target_lens[2].item<int64_t>(), 4);
  EXPECT_EQ(b.feats.sum().item<float>(), 3 * 4 * 1 + 5 * 4 * 2 + 1 * 4 * 3);  // padding is zero
  EXPECT_EQ(b.feats[0][2][0].item<float>(), 1.0f);
  EXPECT_EQ(b.feats[0][3][0].item<float>(), 0.0f);
  EXPECT_EQ(b.targets[1][0].item<int64_t>(), 3);
  EXPECT_EQ(b.targets[1][1].item<int64_t>(), 0);
  EXPECT_EQ(b.targets[2][3].item<int64_t>(), 7);
}

TEST(PadBatch, MismatchedInputsAreRejected) {
  EXPECT_THROW(pad_batch({at::ones({2, 3})}, {}), InvalidArgument);
  EXPECT_THROW(pad_batch({at::ones({2, 3}), at::ones({2, 4})}, {{1}, {2}}), InvalidArgument);
  EXPECT_THROW(pad_batch({}, {}), InvalidArgument);
}
