// The run directory (DESIGN.md section 5, a contract that users' scripts rely on):
//   RUN/run.json          resolved config, mode, preset, version, host, model size, data sizes
//   RUN/events.jsonl      one JSON object per line (event_log.h)
//   RUN/checkpoints/      ckpt-<step>.safetensors + manifests + `latest` pointer (checkpoint_store.h)
//   RUN/results.h5        evaluated sub-networks (results_store.h)
//   RUN/exports/          exported models
// A directory is a run directory when it holds run.json (a JSON object).
//
//   RunDir run = RunDir::create("runs/a");       // trainer, new run
//   run.write_run_json(resolved_config);          // atomically, right away
//   RunDir same = RunDir::open("runs/a");         // GUI, eval, --resume
//   auto ckpt = same.latest_checkpoint();         // newest complete, valid checkpoint
// RunDir is a value holding paths; it keeps nothing open.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "core/io/checkpoint_store.h"

namespace omnisparse {

class RunDir {
 public:
  // Makes RUN, RUN/checkpoints and RUN/exports. `path` may exist if it is an empty directory.
  // Throws InvalidArgument when it is already a run directory (open or --resume it instead)
  // or is a non-empty directory, IoError when it cannot be created.
  static RunDir create(const std::filesystem::path& path);
  // Throws IoError if `path` is missing or not a directory, FormatError if it has no valid
  // run.json (not a run directory).
  static RunDir open(const std::filesystem::path& path);
  static bool is_run_dir(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return root_; }
  std::filesystem::path run_json_path() const { return root_ / "run.json"; }
  std::filesystem::path events_path() const { return root_ / "events.jsonl"; }
  std::filesystem::path checkpoints_dir() const { return root_ / "checkpoints"; }
  std::filesystem::path results_path() const { return root_ / "results.h5"; }
  std::filesystem::path exports_dir() const { return root_ / "exports"; }

  // Atomic (temp + rename). `j` must be a JSON object (InvalidArgument otherwise).
  void write_run_json(const nlohmann::json& j) const;
  // FormatError naming run.json if it is not a JSON object.
  nlohmann::json read_run_json() const;

  CheckpointStore checkpoints(int keep_last = 3) const {
    return CheckpointStore(checkpoints_dir(), keep_last);
  }
  std::optional<CheckpointRef> latest_checkpoint() const { return checkpoints().latest(); }

 private:
  explicit RunDir(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace omnisparse
