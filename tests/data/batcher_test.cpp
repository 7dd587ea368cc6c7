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

namespace {
// A shard's estimated cost, as split_batch defines it.
double shard_cost(const std::vector<size_t>& shard, const std::vector<int64_t>& lengths) {
  if (shard.empty()) return 0;
  int64_t longest = 0;
  for (size_t i : shard) longest = std::max(longest, lengths[i]);
  return static_cast<double>(longest) * (kPassOverhead + static_cast<double>(shard.size()));
}
double max_cost(const std::vector<std::vector<size_t>>& shards, const std::vector<int64_t>& lengths) {
  double m = 0;
  for (const auto& s : shards) m = std::max(m, shard_cost(s, lengths));
  return m;
}
}  // namespace

TEST(SplitBatch, ContiguousRunsInOrderWithTheSmallestLargestCost) {
  const auto lengths = random_lengths(2000, 4);
  BatchConfig c;
  c.max_frames = 6000;
  c.max_batch = 32;
  int fewer_than_dealing = 0, batches = 0;
  for (auto batch : make_batches(lengths, c, 9)) {
    std::stable_sort(batch.begin(), batch.end(),
                     [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
    for (int count : {2, 3}) {
      const auto shards = split_batch(batch, lengths, count);
      ASSERT_EQ(shards.size(), static_cast<size_t>(count));
      std::vector<size_t> joined;
      for (const auto& s : shards) joined.insert(joined.end(), s.begin(), s.end());
      EXPECT_EQ(joined, batch) << "the shards, in order, are the length-sorted batch";
      // Brute force over every set of cut points: no contiguous split has a smaller largest cost.
      const size_t n = batch.size();
      double best = 1e300;
      for (size_t a = 0; a <= n; ++a)
        for (size_t b = (count == 3 ? a : n); b <= n; ++b) {
          std::vector<std::vector<size_t>> s(3);
          s[0].assign(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(a));
          s[1].assign(batch.begin() + static_cast<std::ptrdiff_t>(a), batch.begin() + static_cast<std::ptrdiff_t>(b));
          s[2].assign(batch.begin() + static_cast<std::ptrdiff_t>(b), batch.end());
          best = std::min(best, max_cost(s, lengths));
        }
      EXPECT_NEAR(max_cost(shards, lengths), best, 1e-6 * best);
      if (count == 2) {
        // Dealt out 0 1 0 1 ... instead: never better, and worse for most batches.
        std::vector<std::vector<size_t>> dealt(2);
        for (size_t j = 0; j < n; ++j) dealt[j % 2].push_back(batch[j]);
        EXPECT_LE(max_cost(shards, lengths), max_cost(dealt, lengths) + 1e-9);
        fewer_than_dealing += max_cost(shards, lengths) < max_cost(dealt, lengths);
        ++batches;
      }
    }
  }
  EXPECT_GT(fewer_than_dealing, batches / 3);  // over a third better, none worse
}

TEST(SplitBatch, TheLongestUtterancesGoTogetherInFewerOfThem) {
  std::vector<int64_t> lengths(25);
  for (size_t i = 0; i < lengths.size(); ++i) lengths[i] = 200 + 4 * static_cast<int64_t>(i);
  std::vector<size_t> batch(lengths.size());
  std::iota(batch.begin(), batch.end(), size_t{0});
  const auto shards = split_batch(batch, lengths, 2);
  // 14 | 11: 200..252 frames, 252 * (1 + 14) = 3780; 256..296, 296 * (1 + 11) = 3552. 13 | 12:
  // 296 * (1 + 12) = 3848. Dealt out 0 1 0 1 ... (13 | 12 with the longest in the 13): 296 * 14
  // = 4144.
  EXPECT_EQ(shards[0].size(), 14u);
  EXPECT_EQ(shards[1].size(), 11u);
  EXPECT_EQ(split_batch(batch, lengths, 1)[0], batch);
  // Fewer utterances than workers: one each, the others empty.
  const auto few = split_batch({3, 7}, lengths, 4);
  size_t used = 0;
  for (const auto& s : few) {
    EXPECT_LE(s.size(), 1u);
    used += s.size();
  }
  EXPECT_EQ(used, 2u);
  EXPECT_THROW(split_batch(batch, lengths, 0), InvalidArgument);
  // A batch out of order (one that spans two of make_batches' buckets) is split as if sorted.
  std::vector<size_t> reversed(batch.rbegin(), batch.rend());
  EXPECT_EQ(split_batch(reversed, lengths, 2), shards);
}
