#include "core/sparsity/ladder.h"

#include <cmath>
#include <string>

#include "core/common/error.h"

namespace omnisparse {

namespace {
constexpr double kSlack = 1e-9;
}

void Ladder::Validate() const {
  if (levels.empty()) throw ConfigError("ladder: empty; give at least the level 0");
  for (size_t i = 0; i < levels.size(); ++i) {
    const double s = levels[i];
    if (!(s >= 0.0 && s < 1.0)) {
      throw ConfigError("ladder: level " + std::to_string(s) + " is outside [0, 1)");
    }
    if (i > 0 && !(s > levels[i - 1])) {
      throw ConfigError("ladder: levels must be strictly increasing (" +
                        std::to_string(levels[i - 1]) + " then " + std::to_string(s) + ")");
    }
  }
  if (levels.front() != 0.0) throw ConfigError("ladder: must contain 0 (the dense net)");
}

std::vector<double> Ladder::at_most(double max_sparsity) const {
  std::vector<double> out;
  for (double s : levels) {
    if (s <= max_sparsity + kSlack) out.push_back(s);
  }
  if (out.empty()) out.push_back(0.0);
  return out;
}

double Ladder::largest_at_most(double max_sparsity) const { return at_most(max_sparsity).back(); }

int Ladder::index_of(double level) const {
  for (size_t i = 0; i < levels.size(); ++i) {
    if (std::abs(levels[i] - level) <= kSlack) return static_cast<int>(i);
  }
  return -1;
}

void to_json(nlohmann::json& j, const Ladder& l) { j = l.levels; }

void from_json(const nlohmann::json& j, Ladder& l) {
  if (!j.is_array()) throw ConfigError("ladder: expected an array of levels such as [0, 0.5, 0.9]");
  l.levels.clear();
  for (const auto& v : j) {
    if (!v.is_number()) throw ConfigError("ladder: levels must be numbers");
    l.levels.push_back(v.get<double>());
  }
  l.Validate();
}

}  // namespace omnisparse
