// The three training modes as policies of one trainer (DESIGN.md section 2). Each step the
// trainer asks the policy which sub-networks to train on the batch; it runs one forward +
// backward per sub-network on the shared weights, accumulates, and takes one optimiser step.
//
//   dense  [dense]
//   omni   warm-up: [dense]; then k members drawn by the member rule (sandwich | levels | space,
//          core/sparsity/sampler.h) with the largest sparsity ramping on the cubic schedule to
//          the ladder's top; ranks refreshed every K steps until omni.freeze_at, then frozen
//   gmp    [uniform s(t)] with s(t) ramping on the cubic schedule to the target, masks from the
//          current weights every K steps (pruned weights are zeroed, so they stay pruned), then
//          fine-tuning at the fixed mask
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "core/model/prunable.h"
#include "core/sparsity/rank_set.h"
#include "core/sparsity/subnet_config.h"
#include "core/train/train_config.h"

namespace omnisparse {

class TrainPolicy {
 public:
  virtual ~TrainPolicy() = default;

  // Called before each optimiser step with the run's progress in [0, 1]. Returns the
  // sub-networks to train on this step's batch (never empty).
  virtual std::vector<SubnetConfig> plan(int64_t step, double progress,
                                         const PrunableLayers& layers) = 0;
  // Called after the optimiser step (gmp re-zeroes pruned weights here).
  virtual void after_step(const PrunableLayers& layers) { (void)layers; }
  // The sub-networks worth evaluating on dev now (one per curve in the monitor).
  virtual std::vector<SubnetConfig> eval_configs(const LayerSpecs& specs) const = 0;
  // End of training: freeze ranks.
  virtual void finish(const PrunableLayers& layers) { (void)layers; }
  // After a rank refresh: {"overlap": {"<level>": fraction of that level's kept weights that
  // were kept before the refresh}, "frozen": bool}, once; nullopt otherwise.
  virtual std::optional<nlohmann::json> take_mask_event() { return std::nullopt; }

  // While a member's gradient into the weights that smaller members share is scaled
  // (omni.shared_grad < 1, after the freeze point): the config whose masks mark those weights,
  // each layer at the next sparser ladder level than the member's (0 where the member is at the
  // top: no shared core there). nullopt otherwise.
  virtual std::optional<SubnetConfig> shared_core(const SubnetConfig& member) const {
    (void)member;
    return std::nullopt;
  }

  // The factor on the scheduled learning rate for a step that trains `plan` (omni.level_lr).
  virtual double lr_factor(const std::vector<SubnetConfig>& plan) const {
    (void)plan;
    return 1.0;
  }

  // The ranks that turn a config into masks (empty for dense).
  virtual const RankSet* ranks() const { return nullptr; }
  virtual RankSet* mutable_ranks() { return nullptr; }

  virtual nlohmann::json state() const { return nlohmann::json::object(); }
  virtual void restore(const nlohmann::json& state) { (void)state; }
};

std::unique_ptr<TrainPolicy> make_policy(const TrainConfig& cfg, const LayerSpecs& specs);

}  // namespace omnisparse
