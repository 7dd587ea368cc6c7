// The parent of a run started with `train --init-from`: the trained model it starts from
// (weights and feature normalisation only; optimiser, schedule and ranks start fresh) and what
// the parent cost, so every cost figure can be shown with the parent included
// (docs/DESIGN.md section 2, "Cost accounting").
//
//   ParentModel p = load_parent("runs/dense");          // a run dir, a checkpoint or an export
//   check_parent_compatible(p, cfg.model);              // ConfigError naming the difference
//   bundle.load_weights(p.bundle.weights(), p.path);
//   run_json["parent"] = p.info;                         // path, kind, fingerprint, cost
//
// info: {"path", "kind": "run" | "checkpoint" | "model", "fingerprint", "mode", "step",
//        "passes", "wall_s", "total_passes", "total_wall_s"}; the totals include the parent's
// own ancestors (a chain of --init-from runs), and are null when the cost is unknown (an
// exported model file does not record what it cost).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "core/eval/model_bundle.h"

namespace omnisparse {

struct ParentModel {
  std::filesystem::path path;
  ModelBundle bundle;      // on CPU
  std::string preset;      // the parent's preset when it is a run or a checkpoint, else empty
  nlohmann::json info;

  // The parent's cost with its own ancestors; 0 when unknown.
  int64_t total_passes() const;
  double total_wall_s() const;
};

// IoError / FormatError naming the path when it is none of the three.
ParentModel load_parent(const std::filesystem::path& path);

// ConfigError naming the first difference ("init-from runs/d: model.encoder_hidden is 256 in
// the parent, 320 here") when the parent's model or tokenizer differs from what this run
// trains. Dropout and the CTC weight may differ (training-only), the CTC head's presence may
// not. The feature settings are not compared: the run takes the parent's (its fbank config and
// normalisation), so a parent trained before a default changed keeps hearing what it learned.
void check_parent_compatible(const ParentModel& parent, const TransducerConfig& model,
                             const std::string& preset);

}  // namespace omnisparse
