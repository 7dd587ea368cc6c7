#include "core/sparsity/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "core/common/error.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace {

const LayerSpecs kSpecs = specs_of(test::make_layers());

TEST(SandwichSampler, AlwaysDenseThenSparsestThenRandomWithinMax) {
  for (auto dist : {SampleDistribution::kPerLayerUniform, SampleDistribution::kTargetSize}) {
    SandwichConfig cfg;
    cfg.k = 5;
    cfg.distribution = dist;
    SandwichSampler sampler(cfg, kSpecs, 42);
    for (double max_s : {0.0, 0.05, 0.1, 0.37, 0.8, 0.9, 0.93, 0.99}) {
      for (int rep = 0; rep < 20; ++rep) {
        const auto batch = sampler.sample(max_s);
        ASSERT_EQ(batch.size(), 5u);
        EXPECT_TRUE(batch[0].is_dense());
        EXPECT_EQ(batch[1], SubnetConfig::Uniform(kSpecs, cfg.ladder.largest_at_most(max_s)));
        for (const auto& c : batch) {
          EXPECT_EQ(c.names, names_of(kSpecs));
          for (double s : c.levels) {
            EXPECT_LE(s, max_s + 1e-12);
            EXPECT_GE(cfg.ladder.index_of(s), 0) << s << " is not a ladder level";
          }
        }
      }
    }
  }
}

TEST(SandwichSampler, SparsestIsTheLargestLadderLevelNotAboveMax) {
  SandwichSampler sampler(SandwichConfig{}, kSpecs, 1);
  EXPECT_EQ(sampler.sparsest(0.85).levels, std::vector<double>(4, 0.8));
  EXPECT_EQ(sampler.sparsest(0.95).levels, std::vector<double>(4, 0.95));
  EXPECT_TRUE(sampler.sparsest(0.09).is_dense());  // warm-up: nothing sparse allowed yet
}

TEST(SandwichSampler, PerLayerUniformVisitsEveryAllowedLevel) {
  SandwichSampler sampler(SandwichConfig{}, kSpecs, 3);
  std::set<double> seen;
  for (int i = 0; i < 300; ++i) {
    for (double s : sampler.random_config(0.5).levels) seen.insert(s);
  }
  EXPECT_EQ(seen, (std::set<double>{0.0, 0.1, 0.2, 0.3, 0.4, 0.5}));
}

TEST(SandwichSampler, PerGroupGivesOneLevelPerGroup) {
  SandwichConfig cfg;
  cfg.per_group = true;
  SandwichSampler sampler(cfg, kSpecs, 5);
  bool groups_differ = false;
  for (int i = 0; i < 50; ++i) {
    const auto c = sampler.random_config(0.9);
    EXPECT_EQ(c.levels[0], c.levels[1]);  // both encoder layers
    groups_differ = groups_differ || c.levels[0] != c.levels[2] || c.levels[2] != c.levels[3];
  }
  EXPECT_TRUE(groups_differ);
}

TEST(SandwichSampler, TargetSizeMeetsItsTargetWithinTolerance) {
  // Many equal layers: every target in [0, 0.9] is reachable within 0.02 by single steps.
  LayerSpecs specs;
  for (int i = 0; i < 12; ++i) {
    std::string name = "l";
    name += std::to_string(i);  // (not "l" + ...: GCC 12 -Wrestrict false positive)
    specs.push_back({name, "encoder", 64, 64});
  }
  SandwichConfig cfg;
  cfg.distribution = SampleDistribution::kTargetSize;
  cfg.target_tolerance = 0.02;
  SandwichSampler sampler(cfg, specs, 11);
  double lo = 1.0, hi = 0.0;
  for (int i = 0; i < 200; ++i) {
    const double w = sampler.random_config(0.9).weighted_level(specs);
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  // The weighted levels spread over the whole allowed range (targets are uniform in [0, 0.9]).
  EXPECT_LT(lo, 0.1);
  EXPECT_GT(hi, 0.8);
  // And each one meets its own target: replay the target draw through a copy of the state.
  SandwichSampler a(cfg, specs, 99);
  for (int i = 0; i < 50; ++i) {
    const std::string st = a.state();
    std::mt19937_64 rng;
    std::istringstream(st) >> rng;
    // Skip the 12 initial level draws (the allowed set has 10 levels; 2^64 % 10 rejections are
    // astronomically rare), then the target is the next draw.
    for (int d = 0; d < 12; ++d) rng();
    const double target = static_cast<double>(rng() >> 11) * 0x1.0p-53 * 0.9;
    const double w = a.random_config(0.9).weighted_level(specs);
    EXPECT_NEAR(w, target, 0.02 + 1e-12) << i;
  }
}

TEST(SandwichSampler, SameSeedSameSamplesAndResumeFromStateIsExact) {
  SandwichConfig cfg;
  cfg.k = 6;
  SandwichSampler a(cfg, kSpecs, 2024), b(cfg, kSpecs, 2024), other(cfg, kSpecs, 2025);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const auto x = a.sample(0.9), y = b.sample(0.9), z = other.sample(0.9);
    EXPECT_EQ(x, y);
    differs = differs || x != z;
  }
  EXPECT_TRUE(differs);
  // Save mid-run, restore into a sampler made with another seed: the same next samples.
  const std::string saved = a.state();
  std::vector<std::vector<SubnetConfig>> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(a.sample(0.7));
  SandwichSampler resumed(cfg, kSpecs, 1);
  resumed.set_state(saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resumed.sample(0.7), expected[i]) << i;
  EXPECT_EQ(resumed.state(), a.state());
}

TEST(SandwichSampler, RejectsBadStateConfigAndMax) {
  SandwichSampler s(SandwichConfig{}, kSpecs, 1);
  EXPECT_THROW(s.set_state("not a state"), InvalidArgument);
  EXPECT_THROW(s.set_state(s.state() + " 12"), InvalidArgument);
  EXPECT_THROW(s.sample(1.0), ConfigError);
  EXPECT_THROW(s.sample(-0.1), ConfigError);
  SandwichConfig one;
  one.k = 1;
  EXPECT_THROW(SandwichSampler(one, kSpecs, 1), ConfigError);
  EXPECT_THROW(SandwichSampler(SandwichConfig{}, LayerSpecs{}, 1), InvalidArgument);
}

TEST(SandwichConfig, JsonRoundTripAndUnknownKey) {
  SandwichConfig c;
  c.k = 3;
  c.ladder.levels = {0.0, 0.5, 0.9};
  c.distribution = SampleDistribution::kTargetSize;
  c.per_group = true;
  c.target_tolerance = 0.05;
  const auto back = nlohmann::json::parse(nlohmann::json(c).dump()).get<SandwichConfig>();
  EXPECT_EQ(back.k, 3);
  EXPECT_EQ(back.ladder.levels, c.ladder.levels);
  EXPECT_EQ(back.distribution, SampleDistribution::kTargetSize);
  EXPECT_TRUE(back.per_group);
  EXPECT_EQ(back.target_tolerance, 0.05);
  EXPECT_THROW(nlohmann::json({{"kk", 3}}).get<SandwichConfig>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"distribution", "gaussian"}}).get<SandwichConfig>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"ladder", {0.5, 0.9}}}).get<SandwichConfig>(), ConfigError);
}

}  // namespace
}  // namespace omnisparse
