// The sandwich sampler of the omni-sparsity supernet: each training step trains k sub-networks
// on the shared weights, always the dense one and the sparsest allowed one (the "bread"), plus
// k-2 random ones in between.
//
//   SandwichSampler sampler(SandwichConfig{}, specs_of(model.prunable_layers()), /*seed=*/7);
//   for (const SubnetConfig& c : sampler.sample(ramp.at(step))) { ranks.apply(layers, c); ... }
//   std::string st = sampler.state();     // into the checkpoint
//   sampler.set_state(st);                // resume: the next samples are identical
//
// sample(max_s) returns exactly k configs: [dense, sparsest (every layer at the largest ladder
// level <= max_s), k-2 random configs with every level a ladder level <= max_s]. During the
// dense warm-up (max_s below the smallest non-zero level) all k are dense; the trainer may
// then run just one.
//
// Random configs are drawn by `distribution`:
//   per_layer_uniform  each layer (or group) independently uniform over the allowed levels
//   target_size        an overall target t uniform in [0, largest allowed level], then levels
//                      adjusted one ladder step at a time (random among the steps that bring the
//                      parameter-weighted mean level closer to t) until within target_tolerance
//                      of t or no step helps
// per_group: one level per layer group (encoder / predictor / joiner) instead of per layer.
// Random numbers come from a mt19937_64 and our own integer/real mappings (not <random>'s
// distributions, whose output differs between standard libraries), so a seed gives the same
// samples on every platform.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/sparsity/ladder.h"
#include "core/sparsity/layer_spec.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

enum class SampleDistribution { kPerLayerUniform, kTargetSize };

struct SandwichConfig {
  int k = 4;  // sub-networks per step, >= 2
  Ladder ladder;
  SampleDistribution distribution = SampleDistribution::kPerLayerUniform;
  bool per_group = false;
  double target_tolerance = 0.02;  // target_size: |weighted mean level - target| allowed

  void Validate() const;  // ConfigError naming the key
};

// Keys: k, ladder, distribution ("per_layer_uniform" | "target_size"), per_group,
// target_tolerance; unknown key -> ConfigError.
void to_json(nlohmann::json& j, const SandwichConfig& c);
void from_json(const nlohmann::json& j, SandwichConfig& c);

class SandwichSampler {
 public:
  SandwichSampler(SandwichConfig config, LayerSpecs layers, uint64_t seed);

  // max_sparsity in [0, 1) (ConfigError otherwise).
  std::vector<SubnetConfig> sample(double max_sparsity);

  SubnetConfig dense() const;
  SubnetConfig sparsest(double max_sparsity) const;
  SubnetConfig random_config(double max_sparsity);

  // The RNG state as text; set_state throws InvalidArgument on text it did not write.
  std::string state() const;
  void set_state(const std::string& state);

  const SandwichConfig& config() const { return config_; }
  const LayerSpecs& layers() const { return layers_; }

 private:
  uint64_t uniform_int(uint64_t n);  // [0, n)
  double uniform_real();             // [0, 1)
  SubnetConfig from_unit_levels(const std::vector<double>& unit_levels) const;

  SandwichConfig config_;
  LayerSpecs layers_;
  std::vector<size_t> unit_of_layer_;  // layer -> unit (itself, or its group)
  std::vector<double> unit_params_;    // parameters per unit
  std::mt19937_64 rng_;
};

}  // namespace omnisparse
