// Global CMVN statistics: known values, merging, normalisation, JSON/file round trips, errors.
#include "core/audio/feature_stats.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/common/error.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

// Column d holds the values {d, d + 2} repeated: mean d + 1, population std 1.
at::Tensor known_block(int64_t T, int64_t D) {
  at::Tensor x = at::empty({T, D}, at::kFloat);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t d = 0; d < D; ++d) x[t][d] = float(d + (t % 2 ? 2 : 0));
  return x;
}

TEST(FeatureStats, KnownDataGivesKnownMeanAndStd) {
  FeatureStats s(4);
  s.accumulate(known_block(10, 4));
  s.accumulate(known_block(6, 4));
  s.finalize();
  EXPECT_EQ(s.count(), 16);
  for (int d = 0; d < 4; ++d) {
    EXPECT_DOUBLE_EQ(s.mean()[d], d + 1.0);
    EXPECT_NEAR(s.stddev()[d], 1.0, 1e-12);
  }
}

TEST(FeatureStats, LargeOffsetsKeepPrecision) {
  // 1e6 frames of 1e4 + {-1, +1}: naive float sums would lose the variance entirely.
  FeatureStats s(1);
  at::Tensor x = at::empty({1000, 1}, at::kFloat);
  for (int t = 0; t < 1000; ++t) x[t][0] = 10000.0f + (t % 2 ? 1.0f : -1.0f);
  for (int i = 0; i < 1000; ++i) s.accumulate(x);
  s.finalize();
  EXPECT_DOUBLE_EQ(s.mean()[0], 10000.0);
  EXPECT_NEAR(s.stddev()[0], 1.0, 1e-9);
}

TEST(FeatureStats, BatchesAndMergeEqualOneBigBatch) {
  at::manual_seed(3);
  at::Tensor a = at::randn({50, 8}) * 3 + 5, b = at::randn({17, 8}) - 2;
  FeatureStats whole(8), part1(8), part2(8);
  whole.accumulate(at::cat({a, b}, 0));
  part1.accumulate(a);
  part2.accumulate(b);
  part1.merge(part2);
  whole.finalize();
  part1.finalize();
  for (int d = 0; d < 8; ++d) {
    EXPECT_NEAR(whole.mean()[d], part1.mean()[d], 1e-12);
    EXPECT_NEAR(whole.stddev()[d], part1.stddev()[d], 1e-12);
  }
}

TEST(FeatureStats, ApplyNormalisesToZeroMeanUnitStdAndFloorsConstantDims) {
  at::manual_seed(4);
  at::Tensor x = at::randn({400, 3}) * 2.5 + 7;
  x.select(1, 2).fill_(-15.9f);  // a band stuck at the log floor
  FeatureStats s(3, 0.01);
  s.accumulate(x);
  s.finalize();
  at::Tensor y = s.apply(x);
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  EXPECT_LT(y.mean(0).abs().max().item<float>(), 1e-4);
  EXPECT_NEAR(y.select(1, 0).std(false).item<float>(), 1.0, 1e-4);
  EXPECT_EQ(s.stddev()[2], 0.01);
  EXPECT_TRUE(at::isfinite(y).all().item<bool>());
  EXPECT_EQ(s.apply(x.unsqueeze(0)).sizes(), (std::vector<int64_t>{1, 400, 3}));  // [B, T, F]
}

TEST(FeatureStats, MisuseThrows) {
  FeatureStats s(80);
  EXPECT_THROW(s.finalize(), InvalidArgument);                // nothing accumulated
  EXPECT_THROW(s.accumulate(at::zeros({5, 40})), InvalidArgument);
  EXPECT_THROW(s.apply(at::zeros({5, 80})), InvalidArgument);  // not finalized
  at::Tensor nan = at::zeros({2, 80});
  nan[1][3] = NAN;
  EXPECT_THROW(s.accumulate(nan), InvalidArgument);
}

TEST(FeatureStats, JsonAndFileRoundTrip) {
  at::manual_seed(5);
  FeatureStats s(80);
  s.accumulate(at::randn({300, 80}) * 4 - 3);
  s.finalize();
  const FeatureStats back = FeatureStats::from_json(s.to_json());
  EXPECT_EQ(back.count(), s.count());
  EXPECT_EQ(back.mean(), s.mean());
  for (int d = 0; d < 80; ++d) EXPECT_DOUBLE_EQ(back.stddev()[d], s.stddev()[d]);

  test::TempDir dir;
  s.save(dir / "stats.json");
  const FeatureStats loaded = FeatureStats::load(dir / "stats.json", 80);
  EXPECT_EQ(loaded.mean(), s.mean());
  at::Tensor x = at::randn({20, 80});
  EXPECT_TRUE(at::equal(loaded.apply(x), s.apply(x)));
}

TEST(FeatureStats, CorruptOrMismatchedFileIsFormatErrorNamingIt) {
  test::TempDir dir;
  FeatureStats s(80);
  s.accumulate(at::randn({10, 80}));
  s.finalize();
  s.save(dir / "good.json");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  auto expect_format_error = [](const std::filesystem::path& p, int64_t dim) {
    try {
      FeatureStats::load(p, dim);
      ADD_FAILURE() << "loaded " << p;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << e.what();
    }
  };
  expect_format_error(dir / "good.json", 40);  // mismatched dimension
  expect_format_error(write("trunc.json", "{\"type\": \"global_cmvn\", \"dim\": 80, \"me"), 0);
  nlohmann::json j = s.to_json();
  j["mean"].erase(j["mean"].begin());
  expect_format_error(write("short.json", j.dump()), 0);
  j = s.to_json();
  j["variance"][5] = -1.0;
  expect_format_error(write("negvar.json", j.dump()), 0);
  j = s.to_json();
  j["extra"] = 1;
  expect_format_error(write("extra.json", j.dump()), 0);
  EXPECT_THROW(FeatureStats::load(dir / "missing.json"), IoError);
}

}  // namespace
}  // namespace omnisparse
