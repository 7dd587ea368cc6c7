// What training a run cost, with and without the parent it started from (`train --init-from`):
// forward+backward passes and training wall time, read from run.json ("parent") and the last
// step/done/stopped event of events.jsonl. `pareto` stores it in results.h5 and prints it; the
// experiment tables and the workbench read the same numbers (docs/DESIGN.md section 2).
//
//   RunCost c = read_run_cost(RunDir::open("runs/omni"));
//   c.passes; c.total_passes();   // this run's; with the parent chain (when known)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "core/io/run_dir.h"

namespace omnisparse {

struct RunCost {
  int64_t steps = 0, passes = 0;
  double wall_s = 0;                   // training time (evaluations and checkpoints excluded)
  bool finished = false;
  bool has_parent = false;
  std::string parent_path;
  std::optional<int64_t> parent_passes;  // with the parent's own ancestors; nullopt: unknown
  std::optional<double> parent_wall_s;

  std::optional<int64_t> total_passes() const;
  std::optional<double> total_wall_s() const;
  nlohmann::json to_json() const;  // {steps, passes, wall_s, finished, parent?, parent_passes, ...}
  // "1500 passes, 12.3 min (with the parent: 4500 passes, 40.1 min)"
  std::string summary() const;
};

// run.json's "parent" object, or null when the run has none.
nlohmann::json parent_info_of_run(const nlohmann::json& run_json);

// Never throws for a missing or damaged events log (the cost is then what could be read).
RunCost read_run_cost(const RunDir& run);

}  // namespace omnisparse
