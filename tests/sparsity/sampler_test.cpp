#include "core/sparsity/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "core/common/error.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace {

const LayerSpecs kSpecs = specs_of(test::make_layers());

TEST(MemberSampler, AlwaysDenseThenSparsestThenRandomWithinMax) {
  for (auto dist : {SampleDistribution::kPerLayerUniform, SampleDistribution::kTargetSize}) {
    MemberSamplerConfig cfg;
    cfg.k = 5;
    cfg.distribution = dist;
    MemberSampler sampler(cfg, kSpecs, 42);
    for (double max_s : {0.0, 0.05, 0.1, 0.37, 0.8, 0.9, 0.93, 0.99}) {
      for (int rep = 0; rep < 20; ++rep) {
        const auto batch = sampler.sample(max_s);
        // Distinct members: all five while anything sparse is allowed (random per-layer
        // configs almost never repeat), the dense net alone before.
        const SubnetConfig sparsest = SubnetConfig::Uniform(kSpecs, cfg.ladder.largest_at_most(max_s));
        ASSERT_LE(batch.size(), 5u);
        EXPECT_TRUE(batch[0].is_dense());
        if (sparsest.is_dense()) {
          EXPECT_EQ(batch.size(), 1u);
        } else {
          ASSERT_GE(batch.size(), 2u);
          EXPECT_EQ(batch[1], sparsest);
        }
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

TEST(MemberSampler, SparsestIsTheLargestLadderLevelNotAboveMax) {
  MemberSampler sampler(MemberSamplerConfig{}, kSpecs, 1);
  EXPECT_EQ(sampler.sparsest(0.85).levels, std::vector<double>(4, 0.8));
  EXPECT_EQ(sampler.sparsest(0.95).levels, std::vector<double>(4, 0.95));
  EXPECT_TRUE(sampler.sparsest(0.09).is_dense());  // warm-up: nothing sparse allowed yet
}

TEST(MemberSampler, PerLayerUniformVisitsEveryAllowedLevel) {
  MemberSampler sampler(MemberSamplerConfig{}, kSpecs, 3);
  std::set<double> seen;
  for (int i = 0; i < 300; ++i) {
    for (double s : sampler.random_config(0.5).levels) seen.insert(s);
  }
  EXPECT_EQ(seen, (std::set<double>{0.0, 0.1, 0.2, 0.3, 0.4, 0.5}));
}

TEST(MemberSampler, PerGroupGivesOneLevelPerGroup) {
  MemberSamplerConfig cfg;
  cfg.per_group = true;
  MemberSampler sampler(cfg, kSpecs, 5);
  bool groups_differ = false;
  for (int i = 0; i < 50; ++i) {
    const auto c = sampler.random_config(0.9);
    EXPECT_EQ(c.levels[0], c.levels[1]);  // both encoder layers
    groups_differ = groups_differ || c.levels[0] != c.levels[2] || c.levels[2] != c.levels[3];
  }
  EXPECT_TRUE(groups_differ);
}

TEST(MemberSampler, TargetSizeMeetsItsTargetWithinTolerance) {
  // Many equal layers: every target in [0, 0.9] is reachable within 0.02 by single steps.
  LayerSpecs specs;
  for (int i = 0; i < 12; ++i) {
    std::string name = "l";
    name += std::to_string(i);  // (not "l" + ...: GCC 12 -Wrestrict false positive)
    specs.push_back({name, "encoder", 64, 64});
  }
  MemberSamplerConfig cfg;
  cfg.distribution = SampleDistribution::kTargetSize;
  cfg.target_tolerance = 0.02;
  MemberSampler sampler(cfg, specs, 11);
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
  MemberSampler a(cfg, specs, 99);
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

TEST(MemberSampler, SameSeedSameSamplesAndResumeFromStateIsExact) {
  MemberSamplerConfig cfg;
  cfg.k = 6;
  MemberSampler a(cfg, kSpecs, 2024), b(cfg, kSpecs, 2024), other(cfg, kSpecs, 2025);
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
  MemberSampler resumed(cfg, kSpecs, 1);
  resumed.set_state(saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resumed.sample(0.7), expected[i]) << i;
  EXPECT_EQ(resumed.state(), a.state());
}

TEST(MemberSampler, RejectsBadStateConfigAndMax) {
  MemberSampler s(MemberSamplerConfig{}, kSpecs, 1);
  EXPECT_THROW(s.set_state("not a state"), InvalidArgument);
  EXPECT_THROW(s.set_state(s.state() + " 12"), InvalidArgument);
  EXPECT_THROW(s.sample(1.0), ConfigError);
  EXPECT_THROW(s.sample(-0.1), ConfigError);
  MemberSamplerConfig one;
  one.k = 1;
  EXPECT_THROW(MemberSampler(one, kSpecs, 1), ConfigError);
  EXPECT_THROW(MemberSampler(MemberSamplerConfig{}, LayerSpecs{}, 1), InvalidArgument);
}

TEST(MemberSamplerConfig, JsonRoundTripAndUnknownKey) {
  MemberSamplerConfig c;
  c.k = 3;
  c.ladder.levels = {0.0, 0.5, 0.9};
  c.distribution = SampleDistribution::kTargetSize;
  c.per_group = true;
  c.target_tolerance = 0.05;
  const auto back = nlohmann::json::parse(nlohmann::json(c).dump()).get<MemberSamplerConfig>();
  EXPECT_EQ(back.k, 3);
  EXPECT_EQ(back.ladder.levels, c.ladder.levels);
  EXPECT_EQ(back.distribution, SampleDistribution::kTargetSize);
  EXPECT_TRUE(back.per_group);
  EXPECT_EQ(back.target_tolerance, 0.05);
  EXPECT_THROW(nlohmann::json({{"kk", 3}}).get<MemberSamplerConfig>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"distribution", "gaussian"}}).get<MemberSamplerConfig>(), ConfigError);
  EXPECT_THROW(nlohmann::json({{"ladder", {0.5, 0.9}}}).get<MemberSamplerConfig>(), ConfigError);
}

MemberSamplerConfig levels_config(MemberRule rule, int k, double p_dense) {
  MemberSamplerConfig c;
  c.rule = rule;
  c.k = k;
  c.p_dense = p_dense;
  c.ladder.levels = {0.0, 0.5, 0.7, 0.8, 0.9};
  return c;
}

TEST(MemberSampler, LevelsWithOneMemberTrainsExactlyOneUniformLevelOrTheDenseNet) {
  MemberSampler sampler(levels_config(MemberRule::kLevels, 1, 0.2), kSpecs, 17);
  std::map<double, int> count;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    const auto batch = sampler.sample(0.9);
    ASSERT_EQ(batch.size(), 1u);  // k = 1: a supernet step costs one dense step
    ASSERT_TRUE(batch[0].is_uniform());
    count[batch[0].levels[0]]++;
  }
  EXPECT_EQ(count.size(), 5u);  // dense and each of the four levels
  EXPECT_NEAR(count[0.0] / double(n), 0.2, 0.025);
  for (double s : {0.5, 0.7, 0.8, 0.9}) EXPECT_NEAR(count[s] / double(n), 0.2, 0.025) << s;
}

TEST(MemberSampler, LevelWeightsShiftStepsTowardsTheSparsestLevels) {
  MemberSamplerConfig cfg = levels_config(MemberRule::kLevels, 1, 0.2);
  cfg.level_weights = {1, 1, 2, 4};
  MemberSampler sampler(cfg, kSpecs, 33);
  std::map<double, int> count;
  const int n = 8000;
  for (int i = 0; i < n; ++i) count[sampler.sample(0.9).at(0).levels[0]]++;
  EXPECT_NEAR(count[0.0] / double(n), 0.2, 0.02);
  EXPECT_NEAR(count[0.5] / double(n), 0.1, 0.015);
  EXPECT_NEAR(count[0.7] / double(n), 0.1, 0.015);
  EXPECT_NEAR(count[0.8] / double(n), 0.2, 0.02);
  EXPECT_NEAR(count[0.9] / double(n), 0.4, 0.025);
  // Below the top, the weights of the allowed levels renormalise: 0.5 : 0.7 = 1 : 1.
  std::map<double, int> low;
  for (int i = 0; i < 2000; ++i) low[sampler.sample(0.75).at(0).levels[0]]++;
  EXPECT_EQ(low.count(0.8) + low.count(0.9), 0u);
  EXPECT_NEAR(double(low[0.5]) / low[0.7], 1.0, 0.2);
  cfg.level_weights = {1, 2};  // not one per non-zero level
  EXPECT_THROW(MemberSampler(cfg, kSpecs, 1), ConfigError);
  cfg.level_weights = {1, 0, 1, 1};
  EXPECT_THROW(MemberSampler(cfg, kSpecs, 1), ConfigError);
}

TEST(MemberSampler, LevelsNeverExceedTheAllowedMaximum) {
  MemberSampler sampler(levels_config(MemberRule::kLevels, 3, 0.0), kSpecs, 4);
  for (int i = 0; i < 200; ++i) {
    for (const auto& c : sampler.sample(0.75)) {
      EXPECT_LE(c.levels[0], 0.7 + 1e-12);
      EXPECT_TRUE(c.is_uniform());
    }
  }
  // Below the first non-zero level every member is dense: one pass, not k identical ones.
  const auto warm = sampler.sample(0.3);
  ASSERT_EQ(warm.size(), 1u);
  EXPECT_TRUE(warm[0].is_dense());
}

TEST(MemberSampler, IdenticalMembersRunOnceAndDenseComesFirst) {
  MemberSampler all_dense(levels_config(MemberRule::kLevels, 4, 1.0), kSpecs, 1);
  EXPECT_EQ(all_dense.sample(0.9).size(), 1u);
  MemberSampler sandwich(MemberSamplerConfig{}, kSpecs, 1);  // k = 4 sandwich
  const auto warm = sandwich.sample(0.05);  // sparsest and random members are all dense too
  ASSERT_EQ(warm.size(), 1u);
  EXPECT_TRUE(warm[0].is_dense());
  MemberSampler mixed(levels_config(MemberRule::kLevels, 3, 0.5), kSpecs, 9);
  for (int i = 0; i < 300; ++i) {
    const auto batch = mixed.sample(0.9);
    std::set<std::string> ids;
    for (size_t j = 0; j < batch.size(); ++j) {
      EXPECT_TRUE(ids.insert(batch[j].id()).second) << "member drawn twice trains twice";
      if (batch[j].is_dense()) {
        EXPECT_EQ(j, 0u) << "the dense member (the teacher) runs first";
      }
    }
  }
}

TEST(MemberSampler, SpaceAlsoDrawsPerLayerConfigsFromTheLadder) {
  MemberSampler sampler(levels_config(MemberRule::kSpace, 1, 0.0), kSpecs, 21);
  const Ladder ladder{{0.0, 0.5, 0.7, 0.8, 0.9}};
  int uniform = 0, mixed = 0;
  for (int i = 0; i < 400; ++i) {
    const auto c = sampler.sample(0.9).at(0);
    for (double s : c.levels) EXPECT_GE(ladder.index_of(s), 0);
    (c.is_uniform() ? uniform : mixed)++;
  }
  EXPECT_GT(uniform, 150);  // half uniform levels (plus per-layer draws that happen to agree)
  EXPECT_GT(mixed, 100);
}

// follow_ramp: a level above the ramp keeps its weight and trains at the ramp's sparsity (the
// sparse members prune gradually); once the ramp is at the top the draws are the plain ones.
TEST(MemberSampler, FollowRampTrainsTheLevelsAboveTheRampAtTheRamp) {
  MemberSamplerConfig cfg = levels_config(MemberRule::kLevels, 1, 0.2);
  cfg.level_weights = {1, 1, 2, 4};
  cfg.follow_ramp = true;
  MemberSampler sampler(cfg, kSpecs, 33);
  std::map<double, int> count;
  const int n = 8000;
  for (int i = 0; i < n; ++i) {
    const SubnetConfig c = sampler.sample(0.6).at(0);
    ASSERT_TRUE(c.is_uniform());
    count[c.levels[0]]++;
  }
  ASSERT_EQ(count.size(), 3u) << "dense, 0.5 and the ramp's 0.6 only";
  EXPECT_NEAR(count[0.0] / double(n), 0.2, 0.02);
  EXPECT_NEAR(count[0.5] / double(n), 0.1, 0.015);
  EXPECT_NEAR(count[0.6] / double(n), 0.7, 0.025) << "0.7, 0.8 and 0.9 train at 0.6";
  // Below the first level: every sparse draw is the ramp's sparsity itself.
  for (int i = 0; i < 50; ++i) {
    const SubnetConfig c = sampler.sample(0.12).at(0);
    EXPECT_TRUE(c.is_dense() || c.levels[0] == 0.12) << c.levels[0];
  }
  EXPECT_TRUE(sampler.sample(0.0).at(0).is_dense());
  // At the top the draws equal the plain sampler's with the same seed.
  MemberSamplerConfig plain_cfg = cfg;
  plain_cfg.follow_ramp = false;
  MemberSampler a(cfg, kSpecs, 5), b(plain_cfg, kSpecs, 5);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(a.sample(0.9), b.sample(0.9));
  const auto back = nlohmann::json(cfg).get<MemberSamplerConfig>();
  EXPECT_TRUE(back.follow_ramp);
}

TEST(MemberSampler, RuleValidation) {
  EXPECT_THROW(MemberSampler(levels_config(MemberRule::kSandwich, 1, 0.2), kSpecs, 1), ConfigError);
  EXPECT_THROW(MemberSampler(levels_config(MemberRule::kLevels, 0, 0.2), kSpecs, 1), ConfigError);
  EXPECT_THROW(MemberSampler(levels_config(MemberRule::kLevels, 1, 1.5), kSpecs, 1), ConfigError);
  EXPECT_NO_THROW(MemberSampler(levels_config(MemberRule::kLevels, 1, 0.2), kSpecs, 1));
  EXPECT_EQ(parse_member_rule("space"), MemberRule::kSpace);
  EXPECT_THROW(parse_member_rule("ladder"), ConfigError);
  const auto back = nlohmann::json(levels_config(MemberRule::kLevels, 2, 0.3)).get<MemberSamplerConfig>();
  EXPECT_EQ(back.rule, MemberRule::kLevels);
  EXPECT_EQ(back.k, 2);
  EXPECT_EQ(back.p_dense, 0.3);
}

}  // namespace
}  // namespace omnisparse
