// The omni policy's schedule of masks: ranks refreshed until omni.freeze_at and never after (nor
// at finish), so the masks that are evaluated and exported are the ones the last phase trained;
// mask churn reported per refresh.
#include "core/train/train_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <torch/torch.h>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/train/train_config.h"
#include "tests/test_support.h"
#include "tests/sparsity/sparsity_test_util.h"

namespace omnisparse {
namespace {

TrainConfig omni_config(double freeze_at) {
  TrainConfig c;
  c.mode = TrainMode::Omni;
  c.steps = 100;
  c.omni.members_per_step = 1;
  c.omni.distribution = "levels";
  c.omni.warmup = 0.0;
  c.omni.ramp_end = 0.0;
  c.omni.refresh_every = 5;
  c.omni.freeze_at = freeze_at;
  return c;
}

std::vector<at::Tensor> rank_tensors(const TrainPolicy& p) {
  std::vector<at::Tensor> out;
  for (auto& [name, t] : p.ranks()->tensors()) out.push_back(t.clone());
  return out;
}

bool same(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!a[i].equal(b[i])) return false;
  return true;
}

// New random weights in place: any refresh would now change the ranks.
void scramble(const PrunableLayers& layers, uint64_t seed) {
  torch::NoGradGuard g;
  auto gen = at::detail::createCPUGenerator(seed);
  for (const auto& l : layers) l.weight.copy_(at::randn(l.weight.sizes(), gen));
}

TEST(OmniPolicy, RanksFollowTheWeightsUntilTheFreezePointAndNeverAfter) {
  const PrunableLayers layers = test::make_layers(3);
  const TrainConfig cfg = omni_config(0.5);
  auto policy = make_policy(cfg, specs_of(layers));
  int64_t step = 0;
  for (; step < 50; ++step) {  // progress < 0.5
    if (step == 20) {
      const auto before = rank_tensors(*policy);
      scramble(layers, 100);
      for (int i = 0; i < 5; ++i, ++step) (void)policy->plan(step, step / 100.0, layers);
      EXPECT_FALSE(same(before, rank_tensors(*policy))) << "ranks must follow the weights";
    }
    (void)policy->plan(step, step / 100.0, layers);
  }
  EXPECT_FALSE(policy->ranks()->frozen());
  (void)policy->take_mask_event();
  (void)policy->plan(step, 0.5, layers);  // the freeze point: one last refresh, then frozen
  EXPECT_TRUE(policy->ranks()->frozen());
  auto last = policy->take_mask_event();
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->at("frozen").get<bool>());
  const auto frozen = rank_tensors(*policy);
  for (++step; step < 100; ++step) {
    if (step % 10 == 0) scramble(layers, 200 + step);
    (void)policy->plan(step, step / 100.0, layers);
  }
  EXPECT_TRUE(same(frozen, rank_tensors(*policy)));
  EXPECT_FALSE(policy->take_mask_event().has_value()) << "no refresh after the freeze point";
  scramble(layers, 999);
  policy->finish(layers);  // no refresh at finish: the trained masks are the exported masks
  EXPECT_TRUE(same(frozen, rank_tensors(*policy)));
}

TEST(OmniPolicy, ReportsMaskChurnPerRefresh) {
  const PrunableLayers layers = test::make_layers(4);
  auto policy = make_policy(omni_config(1.0), specs_of(layers));
  (void)policy->plan(0, 0.0, layers);
  auto first = policy->take_mask_event();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->at("overlap").empty());  // nothing to compare the first ranks with
  EXPECT_FALSE(policy->take_mask_event().has_value()) << "an event is taken once";
  (void)policy->plan(5, 0.05, layers);  // refresh with unchanged weights: no churn
  auto again = policy->take_mask_event();
  ASSERT_TRUE(again.has_value());
  for (const char* level : {"0.50", "0.70", "0.80", "0.90"})
    EXPECT_DOUBLE_EQ(again->at("overlap").at(level).get<double>(), 1.0) << level;
  scramble(layers, 7);  // independent weights: a 90 % mask keeps ~10 % of what it kept before
  (void)policy->plan(10, 0.1, layers);
  auto churned = policy->take_mask_event();
  ASSERT_TRUE(churned.has_value());
  EXPECT_LT(churned->at("overlap").at("0.90").get<double>(), 0.35);
  EXPECT_GT(churned->at("overlap").at("0.50").get<double>(), 0.35);
}

TEST(OmniPolicy, OneMemberPerStepAndTheSamplerTopIsTheLaddersTop) {
  const PrunableLayers layers = test::make_layers(5);
  TrainConfig cfg = omni_config(1.0);
  cfg.omni.p_dense = 0.0;
  auto policy = make_policy(cfg, specs_of(layers));
  double top = 0;
  for (int64_t step = 0; step < 200; ++step) {
    const auto plan = policy->plan(step, 0.5, layers);
    ASSERT_EQ(plan.size(), 1u);
    top = std::max(top, plan[0].levels[0]);
  }
  EXPECT_DOUBLE_EQ(top, 0.9);  // the default ladder {0, .5, .7, .8, .9}: never 0.95
}

TEST(TrainConfig, OmniKnobsRoundTripAndBadValuesNameTheirKey) {
  TrainConfig c = omni_config(0.4);
  c.omni.distill_weight = 0.5;
  c.omni.p_dense = 0.3;
  c.init_from = "runs/parent";
  const TrainConfig back = TrainConfig::from_json(c.to_json());
  EXPECT_EQ(back.omni.freeze_at, 0.4);
  EXPECT_EQ(back.omni.distill_weight, 0.5);
  EXPECT_EQ(back.omni.p_dense, 0.3);
  EXPECT_EQ(back.omni.distribution, "levels");
  EXPECT_EQ(back.init_from, "runs/parent");
  auto error_of = [](const nlohmann::json& omni) {
    TrainConfig t;
    t.steps = 10;
    try {
      TrainConfig::from_json({{"steps", 10}, {"omni", omni}}).Validate();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({{"members_per_step", 0}}).find("omni.members_per_step"), std::string::npos);
  EXPECT_NE(error_of({{"distribution", "gauss"}}).find("omni.distribution"), std::string::npos);
  EXPECT_NE(error_of({{"distribution", "sandwich"}, {"members_per_step", 1}}).find("omni.members_per_step"),
            std::string::npos);
  EXPECT_NE(error_of({{"freeze_at", 1.5}}).find("omni.freeze_at"), std::string::npos);
  EXPECT_NE(error_of({{"distill_weight", -1}}).find("omni.distill_weight"), std::string::npos);
  EXPECT_NE(error_of({{"p_dense", 2}}).find("omni.p_dense"), std::string::npos);
  EXPECT_NE(error_of({{"ladder", {0.5, 0.9}}}).find("omni.ladder"), std::string::npos);
  EXPECT_NE(error_of({{"frozen_at", 0.5}}).find("omni.frozen_at"), std::string::npos);
  EXPECT_EQ(error_of({{"freeze_at", 0.5}, {"distill_weight", 1.0}}), "");
}

TEST(TrainConfig, DefaultLevelWeightsBelongToTheDefaultLadder) {
  EXPECT_EQ(TrainConfig().omni.level_weights.size() + 1, TrainConfig().omni.ladder.size());
  EXPECT_NO_THROW(TrainConfig::from_json({{"steps", 10}}).Validate());
  // A ladder of its own without weights: equal weights, not the default ladder's.
  const TrainConfig own =
      TrainConfig::from_json({{"steps", 10}, {"omni", {{"ladder", {0.0, 0.6, 0.9}}}}});
  EXPECT_TRUE(own.omni.level_weights.empty());
  EXPECT_NO_THROW(own.Validate());
  const TrainConfig weighted = TrainConfig::from_json(
      {{"steps", 10}, {"omni", {{"ladder", {0.0, 0.6, 0.9}}, {"level_weights", {1.0, 3.0}}}}});
  EXPECT_EQ(weighted.omni.level_weights, (std::vector<double>{1.0, 3.0}));
  EXPECT_THROW(TrainConfig::from_json({{"steps", 10},
                                       {"omni", {{"ladder", {0.0, 0.6, 0.9}}, {"level_weights", {1.0}}}}})
                   .Validate(),
               ConfigError);
}

TEST(OmniPolicy, LevelLrScalesAStepByItsMembersLadderLevel) {
  const PrunableLayers layers = test::make_layers(3);
  TrainConfig cfg = omni_config(0.5);
  cfg.omni.ladder = {0.0, 0.5, 0.9};
  cfg.omni.level_weights.clear();
  cfg.omni.level_lr = {2.0, 4.0};
  auto policy = make_policy(cfg, specs_of(layers));
  const LayerSpecs specs = specs_of(layers);
  const SubnetConfig dense = SubnetConfig::Uniform(specs, 0.0), s50 = SubnetConfig::Uniform(specs, 0.5),
                     s70 = SubnetConfig::Uniform(specs, 0.7), s90 = SubnetConfig::Uniform(specs, 0.9);
  EXPECT_DOUBLE_EQ(policy->lr_factor({dense}), 1.0);
  EXPECT_DOUBLE_EQ(policy->lr_factor({s50}), 2.0);
  EXPECT_DOUBLE_EQ(policy->lr_factor({s70}), 2.0) << "the largest ladder level at or below 0.7";
  EXPECT_DOUBLE_EQ(policy->lr_factor({s90}), 4.0);
  EXPECT_DOUBLE_EQ(policy->lr_factor({dense, s90}), 2.5) << "k > 1: the mean of the members'";
  // A per-layer mixture counts by its mean level: (0.9 + 0.9 + 0.5 + 0.0) / 4 = 0.575 -> 0.5.
  EXPECT_DOUBLE_EQ(policy->lr_factor({SubnetConfig::Explicit(dense.names, {0.9, 0.9, 0.5, 0.0})}), 2.0);

  cfg.omni.level_lr.clear();  // off: every step at the scheduled rate
  EXPECT_DOUBLE_EQ(make_policy(cfg, specs)->lr_factor({s90}), 1.0);
  cfg.mode = TrainMode::Gmp;
  cfg.omni.level_lr = {2.0, 4.0};  // an omni knob: gmp ignores it
  EXPECT_DOUBLE_EQ(make_policy(cfg, specs)->lr_factor({s90}), 1.0);
}

// omni.follow_ramp in the policy: mid-ramp the sparse members sit at the ladder levels the ramp
// has passed or at the ramp's own sparsity.
TEST(OmniPolicy, FollowRampPrunesTheSparseMembersGradually) {
  const PrunableLayers layers = test::make_layers(3);
  TrainConfig cfg = omni_config(0.5);
  cfg.omni.ramp_end = 0.5;
  cfg.omni.follow_ramp = true;
  auto policy = make_policy(cfg, specs_of(layers));
  const double ramp = 0.9 * (1 - std::pow(1 - 0.15 / 0.5, 3));  // the cubic ramp at 0.15: 0.59
  std::set<double> seen;
  for (int i = 0; i < 200; ++i)
    for (const SubnetConfig& c : policy->plan(15, 0.15, layers)) seen.insert(c.levels.at(0));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(*seen.begin(), 0.0);
  EXPECT_EQ(*std::next(seen.begin()), 0.5);
  EXPECT_NEAR(*seen.rbegin(), ramp, 1e-4) << "0.7, 0.8 and 0.9 train at the ramp's sparsity";

  // The default (the measured recipe), both values round-trip, and a config saved before the
  // key existed (it names every other omni key) loads as it trained: without.
  const TrainConfig plain = TrainConfig::from_json({{"steps", 10}});
  EXPECT_TRUE(plain.omni.follow_ramp);
  EXPECT_DOUBLE_EQ(plain.omni.ramp_end, 0.5);
  EXPECT_TRUE(TrainConfig::from_json(cfg.to_json()).omni.follow_ramp);
  TrainConfig off = cfg;
  off.omni.follow_ramp = false;
  nlohmann::json saved = off.to_json();
  EXPECT_FALSE(TrainConfig::from_json(saved).omni.follow_ramp);
  saved["omni"].erase("follow_ramp");
  saved["omni"]["ramp_end"] = 0.2;
  EXPECT_FALSE(TrainConfig::from_json(saved).omni.follow_ramp) << "an older run.json";
  EXPECT_DOUBLE_EQ(TrainConfig::from_json(saved).omni.ramp_end, 0.2);
  EXPECT_TRUE(TrainConfig::from_json({{"steps", 10}, {"omni", {{"ramp_end", 0.3}}}}).omni.follow_ramp)
      << "a hand-written config that sets a few keys gets the default";
  // The sandwich draws no uniform levels: it ignores the key rather than refusing the default.
  cfg.omni.distribution = "sandwich";
  cfg.omni.members_per_step = 2;
  EXPECT_NO_THROW(cfg.Validate());
}

TEST(TrainConfig, LevelLrDefaultsFollowTheLadderAndBadFactorsNameTheKey) {
  const TrainConfig plain = TrainConfig::from_json({{"steps", 10}});
  EXPECT_EQ(plain.omni.level_lr, (std::vector<double>{1, 1, 1, 2})) << "the default ladder's";
  EXPECT_EQ(TrainConfig::from_json(plain.to_json()).omni.level_lr, plain.omni.level_lr);
  // Its own ladder without factors: none (the defaults belong to the default ladder); so is a
  // config saved before level_lr was always written (it names its ladder, not the factors).
  EXPECT_TRUE(TrainConfig::from_json({{"steps", 10}, {"omni", {{"ladder", {0, 0.5, 0.9}}}}})
                  .omni.level_lr.empty());
  nlohmann::json older = plain.to_json();
  older["omni"].erase("level_lr");
  EXPECT_TRUE(TrainConfig::from_json(older).omni.level_lr.empty());
  TrainConfig none = plain;
  none.omni.level_lr.clear();
  EXPECT_TRUE(TrainConfig::from_json(none.to_json()).omni.level_lr.empty()) << "off round-trips";
  const TrainConfig set = TrainConfig::from_json({{"steps", 10}, {"omni", {{"level_lr", {1, 1, 1.5, 2}}}}});
  EXPECT_EQ(set.omni.level_lr, (std::vector<double>{1, 1, 1.5, 2}));
  EXPECT_EQ(TrainConfig::from_json(set.to_json()).omni.level_lr, set.omni.level_lr);
  EXPECT_NO_THROW(set.Validate());
  auto error_of = [](const nlohmann::json& omni) {
    try {
      TrainConfig::from_json({{"steps", 10}, {"omni", omni}}).Validate();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({{"level_lr", {1, 2}}}).find("omni.level_lr"), std::string::npos);
  EXPECT_NE(error_of({{"level_lr", {1, 1, 0, 2}}}).find("omni.level_lr"), std::string::npos);
  EXPECT_NE(error_of({{"level_lr", {1, 1, 1, 1000}}}).find("omni.level_lr"), std::string::npos);
}

TEST(TrainConfig, SpecAugmentStartIsAFractionAndFineTunesMaskFromTheStart) {
  TrainConfig c = TrainConfig::from_json({{"steps", 10}, {"spec_augment_start", 0.4}});
  EXPECT_DOUBLE_EQ(c.spec_augment_start, 0.4);
  c.apply_fine_tune_defaults(nlohmann::json::object());
  EXPECT_DOUBLE_EQ(c.spec_augment_start, 0.0);
  c = TrainConfig::from_json({{"steps", 10}, {"spec_augment_start", 0.25}});
  c.apply_fine_tune_defaults({{"spec_augment_start", 0.25}});
  EXPECT_DOUBLE_EQ(c.spec_augment_start, 0.25) << "the user's own value stays";
  EXPECT_DOUBLE_EQ(TrainConfig::from_json(c.to_json()).spec_augment_start, 0.25);
  try {
    TrainConfig::from_json({{"steps", 10}, {"spec_augment_start", 1.5}}).Validate();
    ADD_FAILURE() << "1.5 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("spec_augment_start"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, OlderConfigsWithKKeepTheSandwichRule) {
  // run.json / checkpoints written before members_per_step resume with what they trained.
  const TrainConfig c =
      TrainConfig::from_json({{"steps", 10}, {"omni", {{"k", 3}, {"distribution", "target_size"}}}});
  EXPECT_EQ(c.omni.members_per_step, 3);
  EXPECT_EQ(c.omni.distribution, "sandwich");
  EXPECT_EQ(c.omni.space, "target_size");
  EXPECT_EQ(c.omni.freeze_at, 1.0);
  EXPECT_NO_THROW(c.Validate());
}

// The CLI's and the demo's --config: one reader, errors naming the file (and the key).
TEST(TrainConfig, ConfigFilesAreReadInOnePlaceWithErrorsNamingTheFileAndKey) {
  test::TempDir dir;
  const std::string good = (dir / "good.json").string(), bad_json = (dir / "bad.json").string(),
                    bad_key = (dir / "key.json").string();
  write_file_atomic(good, R"({"lr": 0.002, "omni": {"freeze_at": 0.6}})");
  write_file_atomic(bad_json, "{\"lr\": 0.002,");
  write_file_atomic(bad_key, R"({"lr": 0.002, "omni": {"freez_at": 0.6}})");
  nlohmann::json given;
  const TrainConfig c = TrainConfig::from_file(good, &given);
  EXPECT_EQ(c.lr, 0.002);
  EXPECT_EQ(c.omni.freeze_at, 0.6);
  EXPECT_EQ(given, nlohmann::json::parse(R"({"lr": 0.002, "omni": {"freeze_at": 0.6}})"));
  try {
    TrainConfig::from_file(bad_json);
    ADD_FAILURE() << "invalid JSON accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bad_json + ": not valid JSON", 0), 0u) << e.what();
  }
  try {
    TrainConfig::from_file(bad_key);
    ADD_FAILURE() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bad_key + ": ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("freez_at"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TrainConfig::from_file((dir / "missing.json").string()), IoError);
}

// A run with a parent: a short warm-up and no CTC-only phase (its encoder is trained), the
// training default peak rate; whatever the user's config sets stays.
TEST(TrainConfig, FineTuneDefaultsFillOnlyWhatTheUsersConfigLeavesUnset) {
  TrainConfig c;
  c.init_from = "runs/dense";
  c.apply_fine_tune_defaults(nlohmann::json::object());
  EXPECT_EQ(c.lr, TrainConfig{}.lr);
  EXPECT_EQ(c.lr_warmup_steps, 30);
  EXPECT_EQ(c.ctc_warmup, 0.0);
  const nlohmann::json given = {{"lr", 0.001}, {"ctc_warmup", 0.2}};
  TrainConfig own = TrainConfig::from_json(given);
  own.apply_fine_tune_defaults(given);
  EXPECT_EQ(own.lr, 0.001);
  EXPECT_EQ(own.ctc_warmup, 0.2);
  EXPECT_EQ(own.lr_warmup_steps, 30);
}

TEST(TrainConfig, ToStringSaysWhatTrainsHowAndForHowLong) {
  TrainConfig c = omni_config(0.5);
  c.init_from = "runs/dense";
  c.lr = 0.003;
  c.minutes = 5;
  EXPECT_EQ(c.ToString(),
            "tiny omni (1 member/step, levels, freeze 0.5) from runs/dense, lr 0.003, 6000 frames/batch "
            "(at most 32 utts), CTC-only 40 %, no emission before the onset (30 dB), 100 steps "
            "or 5 min");
  TrainConfig g;
  g.mode = TrainMode::Gmp;
  g.gmp.target_sparsity = 0.8;
  g.steps = 0;
  g.minutes = 15;
  EXPECT_NE(g.ToString().find("tiny gmp (target 0.8), "), std::string::npos) << g.ToString();
  EXPECT_NE(g.ToString().find(", 15 min"), std::string::npos) << g.ToString();
}

}  // namespace
}  // namespace omnisparse
