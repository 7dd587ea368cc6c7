// Training checkpoints: one safetensors file holding everything a run needs to continue
// exactly where it stopped (weights, Adam moments, sparsity ranks, the trainer's state JSON:
// step, passes, time spent, data position, sampler and RNG state). Weights-only format:
// loading a checkpoint never executes anything.
//
//   Checkpoint c{bundle.weights(), bundle.metadata(), adam_tensors, ranks, state};
//   save_checkpoint(run.checkpoints(), step, c);   // atomic file + manifest + `latest` pointer
//   auto back = load_latest_checkpoint(run);       // newest complete, valid one (or nullopt)
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adam.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/io/run_dir.h"
#include "core/io/safetensors.h"

namespace omnisparse {

struct Checkpoint {
  NamedTensors weights;                       // "model.<param>"
  std::map<std::string, std::string> model_meta;  // ModelBundle::metadata()
  NamedTensors optimizer;                     // "optim.<param>.exp_avg" / ".exp_avg_sq"
  NamedTensors ranks;                         // "ranks.<layer>" int32 (omni / gmp)
  nlohmann::json ranks_meta;                  // RankSet::meta() or null
  nlohmann::json state;                       // trainer state (see Trainer)
  nlohmann::json config;                      // the resolved TrainConfig
};

// Writes checkpoint `step` through the run's checkpoint store; returns its path.
std::filesystem::path save_checkpoint(CheckpointStore store, int64_t step, const Checkpoint& c);
// Splits a checkpoint file into its parts; FormatError naming the file if it is not one of ours.
Checkpoint checkpoint_from_file(const SafetensorsFile& f);
// The newest complete, valid checkpoint of a run, with its path; nullopt when there is none.
std::optional<std::pair<std::filesystem::path, Checkpoint>> load_latest_checkpoint(const RunDir& run);

// Adam moments of `params` (named like the model's parameters) as tensors, and back, with each
// parameter's own Adam step count: parameters can start at different steps (the CTC warm-up
// leaves the predictor and joiner without gradients, so Adam has no state for them yet).
// A parameter missing from `steps` has no state: it is left without one on restore.
// An empty `steps` (checkpoints before per-parameter steps) means: every parameter has state
// at the global `step`.
NamedTensors adam_state_tensors(torch::optim::Adam& adam,
                                const std::vector<std::pair<std::string, at::Tensor>>& params,
                                std::map<std::string, int64_t>* steps_out);
void restore_adam_state(torch::optim::Adam& adam,
                        const std::vector<std::pair<std::string, at::Tensor>>& params,
                        const NamedTensors& tensors, int64_t step,
                        const std::map<std::string, int64_t>& steps,
                        const std::filesystem::path& source);

}  // namespace omnisparse
