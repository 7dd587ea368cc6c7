// Which sub-networks of the omni-sparsity supernet train on each step (docs/DESIGN.md section
// 2). Each step trains k members on the shared weights; the rule says which:
//
//   sandwich  [dense, sparsest, k-2 random per-layer configs]   (BigNAS / AttentiveNAS; k >= 2)
//   levels    each member: dense with probability p_dense, else one of the ladder's uniform
//             levels <= max_s, uniformly or by level_weights      (the levels that are scored)
//   space     each member: dense with probability p_dense, else half the time a uniform level
//             and half the time a random per-layer config from the space the evolutionary
//             search explores
//
//   MemberSampler sampler(MemberSamplerConfig{}, specs_of(model.prunable_layers()), /*seed=*/7);
//   for (const SubnetConfig& c : sampler.sample(ramp.at(step))) { ranks.apply(layers, c); ... }
//   std::string st = sampler.state();     // into the checkpoint
//   sampler.set_state(st);                // resume: the next samples are identical
//
// sample(max_s) returns at most k configs, every level a ladder level <= max_s (or max_s
// itself, with follow_ramp), each distinct
// (a member drawn twice trains once), the dense member first when it is drawn. While max_s is
// below the smallest non-zero level every member is dense, so one dense config comes back.
//
// Random per-layer configs are drawn by `distribution`:
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
enum class MemberRule { kSandwich, kLevels, kSpace };

std::string to_string(MemberRule r);
MemberRule parse_member_rule(const std::string& s);  // ConfigError naming the value

struct MemberSamplerConfig {
  int k = 4;                          // members per step, >= 1 (>= 2 for the sandwich)
  MemberRule rule = MemberRule::kSandwich;
  double p_dense = 0.2;               // levels / space: probability that a member is dense
  std::vector<double> level_weights;  // levels / space: relative weight of each non-zero ladder
                                      // level when a uniform level is drawn; empty: equal
  Ladder ladder;
  SampleDistribution distribution = SampleDistribution::kPerLayerUniform;
  bool per_group = false;
  double target_tolerance = 0.02;  // target_size: |weighted mean level - target| allowed
  bool follow_ramp = false;        // levels / space: a uniform level above max_s is drawn with
                                   // its weight and trains at max_s itself (while the ramp is
                                   // below it), instead of only the levels <= max_s: the sparse
                                   // members prune gradually, as gmp does

  void Validate() const;  // ConfigError naming the key
};

// Keys: k, rule ("sandwich" | "levels" | "space"), p_dense, ladder, distribution
// ("per_layer_uniform" | "target_size"), per_group, target_tolerance, follow_ramp; unknown key ->
// ConfigError.
void to_json(nlohmann::json& j, const MemberSamplerConfig& c);
void from_json(const nlohmann::json& j, MemberSamplerConfig& c);

class MemberSampler {
 public:
  MemberSampler(MemberSamplerConfig config, LayerSpecs layers, uint64_t seed);

  // max_sparsity in [0, 1) (ConfigError otherwise).
  std::vector<SubnetConfig> sample(double max_sparsity);

  SubnetConfig dense() const;
  SubnetConfig sparsest(double max_sparsity) const;
  SubnetConfig random_config(double max_sparsity);
  // One of the ladder's non-zero levels <= max_sparsity, uniformly, as a uniform config (dense
  // when none is allowed yet).
  SubnetConfig random_level(double max_sparsity);

  // The RNG state as text; set_state throws InvalidArgument on text it did not write.
  std::string state() const;
  void set_state(const std::string& state);

  const MemberSamplerConfig& config() const { return config_; }
  const LayerSpecs& layers() const { return layers_; }

 private:
  uint64_t uniform_int(uint64_t n);  // [0, n)
  double uniform_real();             // [0, 1)
  SubnetConfig from_unit_levels(const std::vector<double>& unit_levels) const;

  MemberSamplerConfig config_;
  LayerSpecs layers_;
  std::vector<size_t> unit_of_layer_;  // layer -> unit (itself, or its group)
  std::vector<double> unit_params_;    // parameters per unit
  std::mt19937_64 rng_;
};

}  // namespace omnisparse
