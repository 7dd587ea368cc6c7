// The discrete set of sparsity levels a sub-network draws its per-layer levels from
// (default {0, 0.1, ..., 0.9, 0.95}). Sorted ascending, distinct, each in [0, 1), 0 included
// (the dense net is always a member).
//   Ladder ladder;                       // the default
//   ladder.largest_at_most(0.85) == 0.8
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

namespace omnisparse {

struct Ladder {
  std::vector<double> levels = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};

  // Throws ConfigError ("ladder: ...") when empty, unsorted, repeated, outside [0,1) or
  // without 0.
  void Validate() const;

  // Levels <= max_sparsity (with 1e-9 slack for float noise); never empty because 0 is a level.
  std::vector<double> at_most(double max_sparsity) const;
  double largest_at_most(double max_sparsity) const;
  // Index of `level` in levels (within 1e-9), or -1.
  int index_of(double level) const;
};

// JSON: a plain array of levels.
void to_json(nlohmann::json& j, const Ladder& l);
void from_json(const nlohmann::json& j, Ladder& l);

}  // namespace omnisparse
