#include "core/sparsity/sampler.h"

#include <cmath>
#include <map>
#include <sstream>

#include "core/common/error.h"
#include "core/sparsity/json_keys.h"

namespace omnisparse {

void SandwichConfig::Validate() const {
  if (k < 2) throw ConfigError("sandwich.k: must be >= 2 (dense and sparsest), got " + std::to_string(k));
  ladder.Validate();
  if (!(target_tolerance > 0.0 && target_tolerance < 1.0)) {
    throw ConfigError("sandwich.target_tolerance: must be in (0, 1)");
  }
}

void to_json(nlohmann::json& j, const SandwichConfig& c) {
  j = {{"k", c.k},
       {"ladder", c.ladder},
       {"distribution", c.distribution == SampleDistribution::kTargetSize ? "target_size"
                                                                          : "per_layer_uniform"},
       {"per_group", c.per_group},
       {"target_tolerance", c.target_tolerance}};
}

void from_json(const nlohmann::json& j, SandwichConfig& c) {
  const std::string what = "sandwich";
  detail::check_keys(j, what, {"k", "ladder", "distribution", "per_group", "target_tolerance"});
  detail::read_key(j, what, "k", c.k);
  if (j.contains("ladder")) c.ladder = j.at("ladder").get<Ladder>();
  std::string dist;
  detail::read_key(j, what, "distribution", dist);
  if (dist == "target_size") {
    c.distribution = SampleDistribution::kTargetSize;
  } else if (dist == "per_layer_uniform") {
    c.distribution = SampleDistribution::kPerLayerUniform;
  } else if (!dist.empty()) {
    throw ConfigError("sandwich.distribution: unknown value '" + dist +
                      "' (expected per_layer_uniform or target_size)");
  }
  detail::read_key(j, what, "per_group", c.per_group);
  detail::read_key(j, what, "target_tolerance", c.target_tolerance);
  c.Validate();
}

SandwichSampler::SandwichSampler(SandwichConfig config, LayerSpecs layers, uint64_t seed)
    : config_(std::move(config)), layers_(std::move(layers)), rng_(seed) {
  config_.Validate();
  if (layers_.empty()) throw InvalidArgument("sandwich sampler: the model has no prunable layers");
  std::map<std::string, size_t> group_unit;
  for (size_t i = 0; i < layers_.size(); ++i) {
    size_t unit = unit_params_.size();
    if (config_.per_group) {
      auto [it, inserted] = group_unit.emplace(layers_[i].group, unit);
      unit = it->second;
      if (!inserted) {
        unit_of_layer_.push_back(unit);
        unit_params_[unit] += static_cast<double>(layers_[i].numel());
        continue;
      }
    }
    unit_of_layer_.push_back(unit);
    unit_params_.push_back(static_cast<double>(layers_[i].numel()));
  }
}

uint64_t SandwichSampler::uniform_int(uint64_t n) {
  // Rejection sampling: no modulo bias, and the same numbers on every standard library.
  const uint64_t limit = std::mt19937_64::max() - std::mt19937_64::max() % n;
  uint64_t x;
  do {
    x = rng_();
  } while (x >= limit);
  return x % n;
}

double SandwichSampler::uniform_real() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

SubnetConfig SandwichSampler::from_unit_levels(const std::vector<double>& unit_levels) const {
  std::vector<double> levels;
  levels.reserve(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) levels.push_back(unit_levels[unit_of_layer_[i]]);
  return SubnetConfig::Explicit(names_of(layers_), std::move(levels));
}

SubnetConfig SandwichSampler::dense() const { return SubnetConfig::Uniform(layers_, 0.0); }

SubnetConfig SandwichSampler::sparsest(double max_sparsity) const {
  return SubnetConfig::Uniform(layers_, config_.ladder.largest_at_most(max_sparsity));
}

SubnetConfig SandwichSampler::random_config(double max_sparsity) {
  const std::vector<double> allowed = config_.ladder.at_most(max_sparsity);
  const size_t units = unit_params_.size();
  std::vector<size_t> idx(units);
  for (auto& i : idx) i = uniform_int(allowed.size());

  if (config_.distribution == SampleDistribution::kTargetSize) {
    const double target = uniform_real() * allowed.back();
    double total = 0.0, weighted = 0.0;
    for (size_t u = 0; u < units; ++u) {
      total += unit_params_[u];
      weighted += unit_params_[u] * allowed[idx[u]];
    }
    double err = weighted / total - target;
    // Each accepted step strictly reduces |err| over a finite set of states: this terminates.
    while (std::abs(err) > config_.target_tolerance) {
      std::vector<std::pair<size_t, double>> moves;  // (unit, new err)
      for (size_t u = 0; u < units; ++u) {
        const bool up = err < 0;
        if (up ? idx[u] + 1 >= allowed.size() : idx[u] == 0) continue;
        const size_t next = up ? idx[u] + 1 : idx[u] - 1;
        const double e = err + (allowed[next] - allowed[idx[u]]) * unit_params_[u] / total;
        if (std::abs(e) < std::abs(err)) moves.emplace_back(u, e);
      }
      if (moves.empty()) break;
      const auto& [u, e] = moves[uniform_int(moves.size())];
      idx[u] = err < 0 ? idx[u] + 1 : idx[u] - 1;
      err = e;
    }
  }
  std::vector<double> unit_levels(units);
  for (size_t u = 0; u < units; ++u) unit_levels[u] = allowed[idx[u]];
  return from_unit_levels(unit_levels);
}

std::vector<SubnetConfig> SandwichSampler::sample(double max_sparsity) {
  if (!(max_sparsity >= 0.0 && max_sparsity < 1.0)) {
    throw ConfigError("sandwich sampler: max sparsity " + std::to_string(max_sparsity) +
                      " is outside [0, 1)");
  }
  std::vector<SubnetConfig> out;
  out.reserve(config_.k);
  out.push_back(dense());
  out.push_back(sparsest(max_sparsity));
  for (int i = 2; i < config_.k; ++i) out.push_back(random_config(max_sparsity));
  return out;
}

std::string SandwichSampler::state() const {
  std::ostringstream os;
  os << rng_;
  return os.str();
}

void SandwichSampler::set_state(const std::string& state) {
  std::istringstream is(state);
  std::mt19937_64 rng;
  is >> rng;
  if (is.fail()) throw InvalidArgument("sandwich sampler: malformed RNG state");
  is >> std::ws;
  if (!is.eof()) throw InvalidArgument("sandwich sampler: trailing data after the RNG state");
  rng_ = rng;
}

}  // namespace omnisparse
