#include "core/train/parent_model.h"

#include <fmt/format.h>

#include <set>

#include "core/audio/fbank.h"
#include "core/common/error.h"
#include "core/data/tokenizer.h"
#include "core/eval/model_file.h"
#include "core/io/checkpoint.h"
#include "core/io/run_cost.h"
#include "core/io/run_dir.h"

namespace omnisparse {

namespace fs = std::filesystem;

namespace {

// The first key whose value differs between two JSON objects, as "key: a vs b"; empty if none.
std::string first_difference(const nlohmann::json& parent, const nlohmann::json& here,
                             const std::string& section, const std::set<std::string>& skip) {
  std::set<std::string> keys;
  for (auto it = parent.begin(); it != parent.end(); ++it) keys.insert(it.key());
  for (auto it = here.begin(); it != here.end(); ++it) keys.insert(it.key());
  for (const std::string& k : keys) {
    if (skip.count(k)) continue;
    const nlohmann::json a = parent.contains(k) ? parent.at(k) : nlohmann::json();
    const nlohmann::json b = here.contains(k) ? here.at(k) : nlohmann::json();
    if (a != b) return fmt::format("{}.{} is {} in the parent, {} here", section, k, a.dump(), b.dump());
  }
  return {};
}

// Cost of a trained state: its own passes and time plus those of its parent, if any.
nlohmann::json cost_info(const nlohmann::json& trainer_state, const nlohmann::json& grandparent) {
  const int64_t passes = trainer_state.value("passes", int64_t{0});
  const double wall = trainer_state.value("train_s", 0.0);
  nlohmann::json info = {{"step", trainer_state.value("step", int64_t{0})},
                         {"passes", passes},
                         {"wall_s", wall},
                         {"total_passes", passes},
                         {"total_wall_s", wall}};
  if (grandparent.is_object()) {
    if (grandparent.value("total_passes", nlohmann::json()).is_number() &&
        grandparent.value("total_wall_s", nlohmann::json()).is_number()) {
      info["total_passes"] = passes + grandparent.at("total_passes").get<int64_t>();
      info["total_wall_s"] = wall + grandparent.at("total_wall_s").get<double>();
    } else {
      info["total_passes"] = nullptr;
      info["total_wall_s"] = nullptr;
    }
  }
  return info;
}

ParentModel from_checkpoint(const fs::path& path, const Checkpoint& c, const std::string& kind,
                            const nlohmann::json& grandparent) {
  ParentModel p;
  p.path = path;
  p.bundle = ModelBundle::FromTensors(c.model_meta, c.weights, path);
  p.preset = c.config.value("preset", std::string());
  p.info = cost_info(c.state.value("trainer", nlohmann::json::object()), grandparent);
  p.info["mode"] = c.config.value("mode", std::string());
  p.info["kind"] = kind;
  return p;
}

}  // namespace

int64_t ParentModel::total_passes() const {
  const auto v = info.value("total_passes", nlohmann::json());
  return v.is_number() ? v.get<int64_t>() : 0;
}

double ParentModel::total_wall_s() const {
  const auto v = info.value("total_wall_s", nlohmann::json());
  return v.is_number() ? v.get<double>() : 0.0;
}

ParentModel load_parent(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path, "--init-from: no such run, checkpoint or model file");
  ParentModel p;
  if (fs::is_directory(path, ec)) {
    RunDir run = RunDir::open(path);
    auto latest = load_latest_checkpoint(run);
    if (!latest) throw IoError(path, "--init-from: the run has no complete checkpoint yet");
    p = from_checkpoint(latest->first, latest->second, "run",
                        parent_info_of_run(run.read_run_json()));
  } else {
    SafetensorsFile f;
    bool safetensors = true;
    try {
      f = read_safetensors(path);
    } catch (const FormatError&) {
      safetensors = false;  // an HDF5 export, or not a model at all: load_export says which
    }
    if (safetensors && f.metadata.count("omnisparse.train_state")) {
      Checkpoint c = checkpoint_from_file(f);
      p = from_checkpoint(path, c, "checkpoint",
                          c.config.value("init_from", std::string()).empty()
                              ? nlohmann::json()
                              : nlohmann::json{{"total_passes", nullptr}, {"total_wall_s", nullptr}});
    } else {
      LoadedExport e = load_export(path);
      p.path = path;
      p.bundle = std::move(e.bundle);
      // An export records its source run, not what training it cost.
      p.info = {{"kind", "model"},       {"mode", nullptr},         {"step", nullptr},
                {"passes", nullptr},     {"wall_s", nullptr},       {"total_passes", nullptr},
                {"total_wall_s", nullptr}, {"source_run", e.source_run}};
    }
  }
  p.path = fs::absolute(path, ec).lexically_normal();
  p.info["path"] = p.path.string();
  p.info["fingerprint"] = p.bundle.fingerprint();
  p.bundle.model->to(torch::kCPU);
  return p;
}

void check_parent_compatible(const ParentModel& parent, const TransducerConfig& model,
                             const std::string& preset) {
  auto refuse = [&](const std::string& what) {
    throw ConfigError(fmt::format("--init-from {}: {}", parent.path.string(), what));
  };
  if (!parent.preset.empty() && !preset.empty() && parent.preset != preset)
    refuse(fmt::format("preset is {} in the parent, {} here", parent.preset, preset));
  // Dropout and the CTC loss weight only shape training; the CTC head must exist in both or
  // neither (it is a parameter of the model).
  const TransducerConfig& pm = parent.bundle.config;
  if ((pm.ctc_weight > 0) != (model.ctc_weight > 0))
    refuse(fmt::format("model.ctc_weight is {} in the parent, {} here (the CTC head must exist "
                       "in both or in neither)",
                       pm.ctc_weight, model.ctc_weight));
  std::string d = first_difference(pm.to_json(), model.to_json(), "model", {"dropout", "ctc_weight"});
  if (d.empty())
    d = first_difference(parent.bundle.tokenizer.to_json(), CharTokenizer().to_json(), "tokenizer", {});
  if (!d.empty()) refuse(d);
}

}  // namespace omnisparse
