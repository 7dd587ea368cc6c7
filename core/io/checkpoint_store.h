// Checkpoint slots in RUN/checkpoints/:
//   ckpt-<step>.safetensors            weights and state (tensors + string metadata)
//   ckpt-<step>.safetensors.sha256.json  manifest
//   latest                             one line, the file name of the newest checkpoint
// save() writes the checkpoint atomically, then its manifest, then the `latest` pointer
// (atomically), then prunes; so after kill -9 at any moment, `latest` names a complete file.
// load_latest() trusts the pointer only after validating the file it names, and otherwise falls
// back to the newest complete, valid checkpoint (reporting what it skipped and why).
//
//   CheckpointStore store(run.checkpoints_dir(), /*keep_last=*/3);
//   store.save(step, {{"model.w", w}, {"adam.m.w", m}}, {{"trainer", state.dump()}});
//   if (auto c = store.load_latest()) resume(c->ref.step, c->file);
//
// One writer per directory (the trainer); any number of readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace omnisparse {

struct CheckpointRef {
  int64_t step = 0;
  std::filesystem::path path;
  // Newer checkpoints (or the pointer) passed over, each with the reason, newest first.
  std::vector<std::string> skipped;
};

struct LoadedCheckpoint {
  CheckpointRef ref;
  SafetensorsFile file;
};

class CheckpointStore {
 public:
  // keep_last >= 1 (InvalidArgument otherwise).
  CheckpointStore(std::filesystem::path dir, int keep_last = 3);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path_for(int64_t step) const;
  std::filesystem::path pointer_path() const { return dir_ / "latest"; }

  // Writes checkpoint `step` (>= 0), points `latest` at it, removes checkpoints with a larger
  // step (a resumed run replaces that future), keeps the newest `keep_last`, and removes
  // temporaries left by a crash.
  CheckpointRef save(int64_t step, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata = {});

  // The newest valid checkpoint (read fully and checked), or nullopt when there is none.
  std::optional<LoadedCheckpoint> load_latest() const;
  std::optional<CheckpointRef> latest() const;

  // Steps of ckpt-<step>.safetensors files present (complete by construction), ascending.
  std::vector<int64_t> steps() const;

 private:
  std::filesystem::path dir_;
  int keep_last_;
};

}  // namespace omnisparse
