// The model of a run directory, ready to decode any of its sub-networks: the newest complete
// checkpoint's weights, tokenizer, features and frozen ranks.
//
//   RunModel rm = RunModel::Load("runs/omni");            // IoError/FormatError naming the file
//   rm.select(rm.uniform(0.8));                           // masks of the 80 % sub-network
//   EvalReport r = evaluate(rm.bundle, dev, {});
//
// A dense run has no ranks: selecting a sparse config then throws InvalidArgument. (One-shot
// magnitude pruning of a dense model is `RunModel::Load(path, /*oneshot_ranks=*/true)`: ranks
// computed from the final weights, no retraining; the floor the supernet must beat.)
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "core/eval/model_bundle.h"
#include "core/sparsity/rank_set.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

struct RunModel {
  ModelBundle bundle;
  std::optional<RankSet> ranks;
  LayerSpecs specs;
  std::filesystem::path run;
  std::filesystem::path checkpoint;
  std::string mode;  // dense | omni | gmp
  int64_t step = 0;

  static RunModel Load(const std::filesystem::path& run, bool oneshot_ranks = false);

  SubnetConfig uniform(double sparsity) const { return SubnetConfig::Uniform(specs, sparsity); }
  // Writes the masks of `config` into the model (dense config: no masks).
  void select(const SubnetConfig& config);
  // Parameters outside the prunable layers (embeddings, biases, input projection, CTC head).
  int64_t non_prunable_params() const;
};

// The masks of `config` for this guard's lifetime, the dense model again after it (also when the
// work in between throws): for evaluating one sub-network after another on the same weights.
class SelectedSubnet {
 public:
  SelectedSubnet(RunModel& rm, const SubnetConfig& config);
  ~SelectedSubnet();
  SelectedSubnet(const SelectedSubnet&) = delete;
  SelectedSubnet& operator=(const SelectedSubnet&) = delete;

 private:
  RunModel& rm_;
};

}  // namespace omnisparse
