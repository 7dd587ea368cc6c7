#include "core/sparsity/schedules.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"

namespace omnisparse {
namespace {

TEST(CubicSchedule, DenseDuringWarmupThenInitialAndFinalAtTheEnds) {
  const CubicSchedule s{0.1, 0.9, /*warmup_steps=*/100, /*ramp_steps=*/400, /*update_every=*/1};
  EXPECT_EQ(s.at(0), 0.0);
  EXPECT_EQ(s.at(99), 0.0);
  EXPECT_DOUBLE_EQ(s.at(100), 0.1);
  EXPECT_DOUBLE_EQ(s.at(500), 0.9);
  EXPECT_DOUBLE_EQ(s.at(100000), 0.9);
  // Halfway: s_f + (s_i - s_f) * 0.5^3.
  EXPECT_DOUBLE_EQ(s.at(300), 0.9 - 0.8 * 0.125);
}

TEST(CubicSchedule, IsNonDecreasingAndFastestEarly) {
  const CubicSchedule s{0.0, 0.95, 10, 1000, 1};
  double prev = 0.0;
  for (int64_t t = 0; t <= 1200; ++t) {
    EXPECT_GE(s.at(t), prev) << t;
    prev = s.at(t);
  }
  // Cubic: the first tenth of the ramp gains more than the last tenth.
  EXPECT_GT(s.at(110) - s.at(10), s.at(1010) - s.at(910));
}

TEST(CubicSchedule, ChangesOnlyEveryUpdateInterval) {
  const CubicSchedule s{0.0, 0.8, 0, 100, 10};
  EXPECT_EQ(s.at(0), s.at(9));
  EXPECT_EQ(s.at(10), s.at(19));
  EXPECT_LT(s.at(9), s.at(10));
  EXPECT_DOUBLE_EQ(s.at(15), 0.8 - 0.8 * std::pow(0.9, 3));
}

TEST(CubicSchedule, JsonRoundTripAndBadValues) {
  const CubicSchedule s{0.05, 0.9, 7, 300, 3};
  const auto back = nlohmann::json::parse(nlohmann::json(s).dump()).get<CubicSchedule>();
  EXPECT_EQ(back.initial, 0.05);
  EXPECT_EQ(back.final, 0.9);
  EXPECT_EQ(back.warmup_steps, 7);
  EXPECT_EQ(back.ramp_steps, 300);
  EXPECT_EQ(back.update_every, 3);
  EXPECT_THROW(nlohmann::json({{"finall", 0.9}}).get<CubicSchedule>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"final", 1.0}}).get<CubicSchedule>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"ramp_steps", 0}}).get<CubicSchedule>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"initial", 0.5}, {"final", 0.2}}).get<CubicSchedule>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"final", "high"}}).get<CubicSchedule>(), ConfigError);
}

}  // namespace
}  // namespace omnisparse
