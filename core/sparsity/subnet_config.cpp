#include "core/sparsity/subnet_config.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>

#include "core/common/error.h"

namespace omnisparse {

namespace {

std::string format_level(double level, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), fmt, level);
  return buf;
}

}  // namespace

SubnetConfig SubnetConfig::Uniform(const LayerSpecs& layers, double sparsity) {
  SubnetConfig c;
  c.names = names_of(layers);
  c.levels.assign(layers.size(), sparsity);
  c.Validate();
  return c;
}

SubnetConfig SubnetConfig::PerGroup(const LayerSpecs& layers,
                                    const std::map<std::string, double>& group_levels) {
  std::set<std::string> groups;
  for (const auto& l : layers) groups.insert(l.group);
  for (const auto& [g, level] : group_levels) {
    if (!groups.count(g)) {
      throw InvalidArgument("sub-network config: the model has no layer group '" + g + "'");
    }
  }
  SubnetConfig c;
  for (const auto& l : layers) {
    auto it = group_levels.find(l.group);
    if (it == group_levels.end()) {
      throw ConfigError("sub-network config: no level for layer group '" + l.group + "'");
    }
    c.names.push_back(l.name);
    c.levels.push_back(it->second);
  }
  c.Validate();
  return c;
}

SubnetConfig SubnetConfig::Explicit(std::vector<std::string> names, std::vector<double> levels) {
  SubnetConfig c;
  c.names = std::move(names);
  c.levels = std::move(levels);
  c.Validate();
  return c;
}

void SubnetConfig::Validate() const {
  if (names.size() != levels.size()) {
    throw ConfigError("sub-network config: " + std::to_string(names.size()) + " layer names but " +
                      std::to_string(levels.size()) + " levels");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!seen.insert(names[i]).second) {
      throw ConfigError("sub-network config: layer '" + names[i] + "' appears twice");
    }
    const double s = levels[i];
    if (!(s >= 0.0 && s < 1.0)) {
      throw ConfigError("sub-network config: level " + std::to_string(s) + " for layer '" +
                        names[i] + "' is outside [0, 1)");
    }
  }
}

nlohmann::json SubnetConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < names.size(); ++i) j[names[i]] = levels[i];
  return j;
}

SubnetConfig SubnetConfig::FromJson(const nlohmann::json& j,
                                    const std::vector<std::string>& model_layers) {
  if (!j.is_object()) {
    throw ConfigError("sub-network config: expected an object {layer name: level}");
  }
  const std::set<std::string> known(model_layers.begin(), model_layers.end());
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      throw InvalidArgument("sub-network config: the model has no prunable layer '" + key + "'");
    }
    if (!value.is_number()) {
      throw ConfigError("sub-network config: level for layer '" + key + "' is not a number");
    }
  }
  SubnetConfig c;
  for (const auto& name : model_layers) {
    auto it = j.find(name);
    if (it == j.end()) {
      throw InvalidArgument("sub-network config: no level for the model's layer '" + name + "'");
    }
    c.names.push_back(name);
    c.levels.push_back(it->get<double>());
  }
  c.Validate();
  return c;
}

std::string SubnetConfig::id() const {
  std::string canonical;
  for (size_t i = 0; i < names.size(); ++i) {
    const double rounded = std::round(levels[i] * 1e4) / 1e4;
    canonical += names[i] + "=" + format_level(rounded + 0.0, "%.4f") + ";";
  }
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis
  for (unsigned char ch : canonical) {
    h ^= ch;
    h *= 0x100000001b3ull;  // FNV prime
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 10);
}

bool SubnetConfig::is_uniform() const {
  for (double s : levels) {
    if (std::abs(s - levels.front()) > 1e-9) return false;
  }
  return true;
}

bool SubnetConfig::is_dense() const {
  for (double s : levels) {
    if (s != 0.0) return false;
  }
  return true;
}

double SubnetConfig::mean_level() const {
  if (levels.empty()) return 0.0;
  double sum = 0.0;
  for (double s : levels) sum += s;
  return sum / static_cast<double>(levels.size());
}

double SubnetConfig::weighted_level(const LayerSpecs& layers) const {
  if (layers.size() != levels.size()) {
    throw InvalidArgument("sub-network config has " + std::to_string(levels.size()) +
                          " levels for " + std::to_string(layers.size()) + " layers");
  }
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < layers.size(); ++i) {
    num += levels[i] * static_cast<double>(layers[i].numel());
    den += static_cast<double>(layers[i].numel());
  }
  return den > 0.0 ? num / den : 0.0;
}

std::string SubnetConfig::label() const {
  if (levels.empty()) return "empty";
  if (is_uniform()) return "uniform " + format_level(levels.front(), "%.2f");
  return "mixed mean " + format_level(mean_level(), "%.2f");
}

}  // namespace omnisparse
