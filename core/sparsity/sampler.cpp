#include "core/sparsity/sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/common/error.h"
#include "core/common/config_json.h"

namespace omnisparse {

std::string to_string(MemberRule r) {
  switch (r) {
    case MemberRule::kSandwich: return "sandwich";
    case MemberRule::kLevels: return "levels";
    case MemberRule::kSpace: return "space";
  }
  return "?";
}

MemberRule parse_member_rule(const std::string& s) {
  if (s == "sandwich") return MemberRule::kSandwich;
  if (s == "levels") return MemberRule::kLevels;
  if (s == "space") return MemberRule::kSpace;
  throw ConfigError("members.rule: unknown value '" + s + "' (expected sandwich, levels or space)");
}

void MemberSamplerConfig::Validate() const {
  if (k < 1) throw ConfigError("members.k: must be >= 1, got " + std::to_string(k));
  if (rule == MemberRule::kSandwich && k < 2)
    throw ConfigError("members.k: the sandwich rule needs k >= 2 (dense and sparsest), got " +
                      std::to_string(k));
  if (!(p_dense >= 0.0 && p_dense <= 1.0)) throw ConfigError("members.p_dense: must be in [0, 1]");
  if (!level_weights.empty()) {
    if (level_weights.size() + 1 != ladder.levels.size())
      throw ConfigError("members.level_weights: needs one weight per non-zero ladder level (" +
                        std::to_string(ladder.levels.size() - 1) + "), got " +
                        std::to_string(level_weights.size()));
    for (double w : level_weights)
      if (!(w > 0 && std::isfinite(w))) throw ConfigError("members.level_weights: weights must be > 0");
  }
  ladder.Validate();
  if (!(target_tolerance > 0.0 && target_tolerance < 1.0)) {
    throw ConfigError("members.target_tolerance: must be in (0, 1)");
  }
}

void to_json(nlohmann::json& j, const MemberSamplerConfig& c) {
  j = {{"k", c.k},
       {"rule", to_string(c.rule)},
       {"p_dense", c.p_dense},
       {"level_weights", c.level_weights},
       {"ladder", c.ladder},
       {"distribution", c.distribution == SampleDistribution::kTargetSize ? "target_size"
                                                                          : "per_layer_uniform"},
       {"per_group", c.per_group},
       {"target_tolerance", c.target_tolerance},
       {"follow_ramp", c.follow_ramp}};
}

void from_json(const nlohmann::json& j, MemberSamplerConfig& c) {
  JsonFields f(j, "members");
  f.get("k", c.k);
  std::string rule;
  f.get("rule", rule);
  if (!rule.empty()) c.rule = parse_member_rule(rule);
  f.get("p_dense", c.p_dense);
  f.get("level_weights", c.level_weights);
  f.get("ladder", c.ladder);
  std::string dist;
  f.get("distribution", dist);
  if (dist == "target_size") {
    c.distribution = SampleDistribution::kTargetSize;
  } else if (dist == "per_layer_uniform") {
    c.distribution = SampleDistribution::kPerLayerUniform;
  } else if (!dist.empty()) {
    throw ConfigError("members.distribution: unknown value '" + dist +
                      "' (expected per_layer_uniform or target_size)");
  }
  f.get("per_group", c.per_group);
  f.get("target_tolerance", c.target_tolerance);
  f.get("follow_ramp", c.follow_ramp);
  f.finish();
  c.Validate();
}

MemberSampler::MemberSampler(MemberSamplerConfig config, LayerSpecs layers, uint64_t seed)
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

uint64_t MemberSampler::uniform_int(uint64_t n) {
  // Rejection sampling: no modulo bias, and the same numbers on every standard library.
  const uint64_t limit = std::mt19937_64::max() - std::mt19937_64::max() % n;
  uint64_t x;
  do {
    x = rng_();
  } while (x >= limit);
  return x % n;
}

double MemberSampler::uniform_real() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

SubnetConfig MemberSampler::from_unit_levels(const std::vector<double>& unit_levels) const {
  std::vector<double> levels;
  levels.reserve(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) levels.push_back(unit_levels[unit_of_layer_[i]]);
  return SubnetConfig::Explicit(names_of(layers_), std::move(levels));
}

SubnetConfig MemberSampler::dense() const { return SubnetConfig::Uniform(layers_, 0.0); }

SubnetConfig MemberSampler::sparsest(double max_sparsity) const {
  return SubnetConfig::Uniform(layers_, config_.ladder.largest_at_most(max_sparsity));
}

SubnetConfig MemberSampler::random_config(double max_sparsity) {
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

SubnetConfig MemberSampler::random_level(double max_sparsity) {
  // Index among the first n non-zero ladder levels: uniform, or weighted by level_weights (level
  // i >= 1 of the ladder has weight level_weights[i - 1]); one draw either way.
  auto pick = [&](size_t n) -> size_t {
    if (config_.level_weights.empty()) return uniform_int(n);
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += config_.level_weights[i];
    double u = uniform_real() * total;
    for (size_t i = 0; i < n; ++i) {
      u -= config_.level_weights[i];
      if (u < 0) return i;
    }
    return n - 1;
  };
  if (config_.follow_ramp) {
    // Every non-zero level with its weight; one above the ramp trains at the ramp's sparsity.
    const std::vector<double>& levels = config_.ladder.levels;  // levels[0] == 0
    const double s = std::min(levels[1 + pick(levels.size() - 1)], max_sparsity);
    return s > 0 ? SubnetConfig::Uniform(layers_, s) : dense();
  }
  std::vector<double> allowed = config_.ladder.at_most(max_sparsity);
  allowed.erase(allowed.begin());  // 0 is always the first level
  if (allowed.empty()) return dense();
  return SubnetConfig::Uniform(layers_, allowed[pick(allowed.size())]);
}

std::vector<SubnetConfig> MemberSampler::sample(double max_sparsity) {
  if (!(max_sparsity >= 0.0 && max_sparsity < 1.0)) {
    throw ConfigError("member sampler: max sparsity " + std::to_string(max_sparsity) +
                      " is outside [0, 1)");
  }
  std::vector<SubnetConfig> drawn;
  drawn.reserve(config_.k);
  if (config_.rule == MemberRule::kSandwich) {
    drawn.push_back(dense());
    drawn.push_back(sparsest(max_sparsity));
    for (int i = 2; i < config_.k; ++i) drawn.push_back(random_config(max_sparsity));
  } else {
    for (int i = 0; i < config_.k; ++i) {
      if (uniform_real() < config_.p_dense) {
        drawn.push_back(dense());
      } else if (config_.rule == MemberRule::kSpace && uniform_real() < 0.5) {
        drawn.push_back(random_config(max_sparsity));
      } else {
        drawn.push_back(random_level(max_sparsity));
      }
    }
  }
  // Distinct members, dense first (it is the teacher of in-place distillation).
  std::vector<SubnetConfig> out;
  for (bool want_dense : {true, false}) {
    for (const auto& c : drawn) {
      if (c.is_dense() != want_dense) continue;
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  }
  return out;
}

std::string MemberSampler::state() const {
  std::ostringstream os;
  os << rng_;
  return os.str();
}

void MemberSampler::set_state(const std::string& state) {
  std::istringstream is(state);
  std::mt19937_64 rng;
  is >> rng;
  if (is.fail()) throw InvalidArgument("sandwich sampler: malformed RNG state");
  is >> std::ws;
  if (!is.eof()) throw InvalidArgument("sandwich sampler: trailing data after the RNG state");
  rng_ = rng;
}

}  // namespace omnisparse
