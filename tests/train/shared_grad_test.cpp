// omni.shared_grad: after the freeze point a member's gradient into the weights that the next
// sparser ladder level also keeps is scaled (0: each member trains only the weights it adds to
// that core, the sparsest member its whole mask). The policy names the core; a real training
// run shows that with factor 0 the dense member never moves the core, and with factor 1 it does.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/common/error.h"
#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"
#include "core/model/transducer.h"
#include "core/sparsity/layer_spec.h"
#include "core/train/train_policy.h"
#include "core/train/trainer.h"
#include "tests/sparsity/sparsity_test_util.h"
#include "tests/test_support.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace shared_grad_test {  // named: the unity build compiles this file with its siblings

TEST(SharedGrad, TheCoreIsTheNextSparserLevelPerLayerAndOnlyAfterTheFreeze) {
  const PrunableLayers layers = test::make_layers(3);  // 4 layers
  TrainConfig cfg;
  cfg.mode = TrainMode::Omni;
  cfg.steps = 100;
  cfg.omni.ramp_end = 0.0;
  cfg.omni.freeze_at = 0.5;
  cfg.omni.shared_grad = 0.25;
  auto policy = make_policy(cfg, specs_of(layers));
  const SubnetConfig dense = SubnetConfig::Uniform(specs_of(layers), 0.0);
  (void)policy->plan(0, 0.0, layers);
  EXPECT_FALSE(policy->shared_core(dense).has_value()) << "masks still move: no fixed core yet";
  (void)policy->plan(50, 0.5, layers);  // freezes
  ASSERT_TRUE(policy->ranks()->frozen());

  const auto core_dense = policy->shared_core(dense);
  ASSERT_TRUE(core_dense.has_value());
  EXPECT_EQ(core_dense->levels, std::vector<double>({0.5, 0.5, 0.5, 0.5}));
  const SubnetConfig mixed = SubnetConfig::Explicit(dense.names, {0.7, 0.9, 0.0, 0.5});
  const auto core_mixed = policy->shared_core(mixed);
  ASSERT_TRUE(core_mixed.has_value());
  EXPECT_EQ(core_mixed->levels, std::vector<double>({0.8, 0.0, 0.5, 0.7}));  // 0.9: no core
  EXPECT_FALSE(policy->shared_core(SubnetConfig::Uniform(specs_of(layers), 0.9)).has_value())
      << "the sparsest member trains its whole mask";

  cfg.omni.shared_grad = 1.0;  // plain shared training: never a core
  auto plain = make_policy(cfg, specs_of(layers));
  (void)plain->plan(50, 0.5, layers);
  EXPECT_FALSE(plain->shared_core(dense).has_value());
}

// The prunable matrices of a trained run by parameter name, read from its last checkpoint.
std::map<std::string, at::Tensor> prunable_weights(const fs::path& run, const TrainConfig& cfg) {
  Transducer model(cfg.model);
  const PrunableLayers layers = model->prunable_layers();
  auto ck = load_latest_checkpoint(RunDir::open(run));
  std::map<std::string, at::Tensor> by_name;
  for (auto& [k, v] : ck->second.weights) by_name[k] = v;
  std::map<std::string, at::Tensor> out;
  for (const auto& p : model->named_parameters())
    for (const PrunableLayer& l : layers)
      if (l.weight.is_same(p.value())) out[p.key()] = by_name.at("model." + p.key());
  return out;
}

TrainSummary train(const TrainConfig& c) {
  TrainerOptions o;
  o.progress_bar = false;
  return Trainer(c, o).run();
}

class SharedGradRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("omnisparse-shared-grad");
    parent_ = dir_->path() / "dense";
    parent_cfg_ = test::micro_config(parent_, TrainMode::Dense, 3);
    train(parent_cfg_);
  }
  // Only the dense member, from the parent, ranks frozen at the first step, ladder {0, 0.5}.
  static TrainConfig child(const std::string& name, double shared_grad) {
    TrainConfig c = test::micro_config(dir_->path() / name, TrainMode::Omni, 4);
    c.init_from = parent_.string();
    c.omni.ladder = {0.0, 0.5};
    c.omni.level_lr.clear();
    c.omni.level_weights.clear();
    c.omni.ramp_end = 0.0;
    c.omni.p_dense = 1.0;
    c.omni.freeze_at = 0.0;
    c.omni.shared_grad = shared_grad;
    c.weight_decay = 0.0;
    return c;
  }
  static test::TempDir* dir_;
  static fs::path parent_;
  static TrainConfig parent_cfg_;
};
test::TempDir* SharedGradRun::dir_ = nullptr;
fs::path SharedGradRun::parent_;
TrainConfig SharedGradRun::parent_cfg_;

TEST_F(SharedGradRun, FactorZeroLeavesTheCoreOfTheDenseMemberExactlyAsItWas) {
  const TrainConfig c = child("sg0", 0.0);
  train(c);
  const auto before = prunable_weights(parent_, parent_cfg_), after = prunable_weights(c.run, c);
  ASSERT_FALSE(before.empty());
  for (const auto& [name, w0] : before) {
    const at::Tensor same = after.at(name).eq(w0);
    // Half the matrix (the 50 % mask of the frozen ranks) untouched, the other half trained...
    EXPECT_NEAR(same.to(at::kDouble).mean().item<double>(), 0.5, 0.02) << name;
    // ...and the untouched half is the larger-magnitude half: the core the 50 % member keeps.
    const at::Tensor mag = w0.abs();
    const double smallest_kept = mag.masked_select(same).min().item<double>();
    const double largest_trained = mag.masked_select(same.logical_not()).max().item<double>();
    EXPECT_GE(smallest_kept, largest_trained) << name;
  }
}

TEST_F(SharedGradRun, FactorOneTrainsEveryWeight) {
  const TrainConfig c = child("sg1", 1.0);
  train(c);
  const auto before = prunable_weights(parent_, parent_cfg_), after = prunable_weights(c.run, c);
  for (const auto& [name, w0] : before)
    EXPECT_LT(after.at(name).eq(w0).to(at::kDouble).mean().item<double>(), 0.02) << name;
}

// omni.level_lr in a real run: one step of the 50 % member from the parent, once at the
// scheduled rate and once at 3x. Adam's first update is lr * g / (|g| + eps), about lr per weight
// the member trains, so every weight moves 3x as far.
TEST_F(SharedGradRun, LevelLrScalesTheStepOfThatLevelsMember) {
  auto one_step = [&](const std::string& name, double factor) {
    TrainConfig c = child(name, 1.0);
    c.steps = 1;
    c.lr_warmup_steps = 0;
    c.grad_clip = 1e9;
    c.omni.p_dense = 0.0;  // the 50 % member
    c.omni.level_lr = {factor};
    train(c);
    return prunable_weights(c.run, c);
  };
  const auto before = prunable_weights(parent_, parent_cfg_);
  const auto at1 = one_step("lr1", 1.0), at3 = one_step("lr3", 3.0);
  for (const auto& [name, w0] : before) {
    const at::Tensor d1 = (at1.at(name) - w0).abs(), d3 = (at3.at(name) - w0).abs();
    const at::Tensor moved = d1.gt(1e-9);
    ASSERT_GT(moved.sum().item<int64_t>(), 0) << name;
    const double ratio = (d3.masked_select(moved).sum() / d1.masked_select(moved).sum()).item<double>();
    EXPECT_NEAR(ratio, 3.0, 0.05) << name;
  }
}

// cfg.trainable in a real run (the dense member, 4 steps from the parent): "unpruned" leaves
// every prunable matrix exactly as the parent had it and moves the rest; "pruned" the reverse.
TEST_F(SharedGradRun, TrainableChoosesWhichParametersMove) {
  auto all_weights = [](const fs::path& run) {
    auto ck = load_latest_checkpoint(RunDir::open(run));
    std::map<std::string, at::Tensor> out;
    for (auto& [k, v] : ck->second.weights) out[k] = v;
    return out;
  };
  const auto prunable = prunable_weights(parent_, parent_cfg_);
  const auto before = all_weights(parent_);
  for (const std::string which : {"unpruned", "pruned"}) {
    TrainConfig c = child("trainable-" + which, 1.0);
    c.trainable = which;
    train(c);
    const auto after = all_weights(c.run);
    int moved_prunable = 0, moved_other = 0, prunable_seen = 0;
    for (const auto& [name, w0] : before) {
      if (!after.count(name) || !w0.is_floating_point()) continue;
      const bool is_prunable = name.rfind("model.", 0) == 0 && prunable.count(name.substr(6)) > 0;
      prunable_seen += is_prunable;
      const bool moved = !after.at(name).equal(w0);
      (is_prunable ? moved_prunable : moved_other) += moved;
    }
    ASSERT_EQ(prunable_seen, static_cast<int>(prunable.size()));
    if (which == "unpruned") {
      EXPECT_EQ(moved_prunable, 0);
      EXPECT_GT(moved_other, 3);
    } else {
      EXPECT_EQ(moved_prunable, static_cast<int>(prunable.size()));
      EXPECT_EQ(moved_other, 0);
    }
  }
  TrainConfig bad;
  bad.steps = 1;
  bad.trainable = "biases";
  try {
    bad.Validate();
    FAIL() << "trainable = biases accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("trainable"), std::string::npos) << e.what();
  }
  TrainConfig round = bad;
  round.trainable = "unpruned";
  EXPECT_EQ(TrainConfig::from_json(round.to_json()).trainable, "unpruned");
  EXPECT_FALSE(TrainConfig().to_json().contains("trainable")) << "older run.json files stay equal";
}

}  // namespace shared_grad_test
}  // namespace omnisparse
