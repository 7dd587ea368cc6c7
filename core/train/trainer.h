// One trainer for the three modes (dense | omni | gmp), writing the run directory contract
// (DESIGN.md section 5): run.json, events.jsonl (one JSON object per line, flushed per event),
// atomic checkpoints, and resuming after a crash or kill -9 from the last complete checkpoint.
//
//   TrainConfig cfg = ...;
//   std::atomic<bool> stop{false};                 // set from a signal handler to stop cleanly
//   Trainer trainer(cfg, TrainerOptions{.resume = false});
//   TrainSummary s = trainer.run(&stop);
//
// Cost accounting: every forward+backward is one *pass*; events carry the running pass count
// and the wall time, so an omni run (k passes per optimiser step) and N gmp runs compare
// honestly against one dense run.
//
// Data parallel (docs/DESIGN.md section 10): with opts.world of N ranks, every rank runs this
// same trainer on its shard of each batch; gradients are summed across ranks before the
// optimiser step (each rank weighs its loss by its share of the batch, so N workers compute the
// gradient one worker computes on the whole batch); rank 0 alone writes the run directory.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <string>

#include "core/train/train_config.h"

namespace omnisparse {

class World;

struct TrainerOptions {
  bool resume = false;
  // On resume: whether the caller chose a model (preset/config) and a mode explicitly. Those
  // must then match the run; otherwise the run's own are used.
  bool model_given = false;
  bool mode_given = false;
  bool progress_bar = true;  // on stderr
  // Every event written to events.jsonl is also handed here (the CLI prints them with --json).
  std::function<void(const nlohmann::json&)> on_event;
  // The data-parallel workers this trainer is one of (core/dist/world.h); nullptr: alone.
  World* world = nullptr;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t passes = 0;
  double wall_s = 0;       // time spent in the training loop, over all sessions of the run
  bool finished = false;   // false when stopped early (resumable)
  int64_t parent_passes = 0;  // what the --init-from parent cost (with its ancestors; 0: none
  double parent_wall_s = 0;   // or unknown)
  nlohmann::json last_eval;
};

class Trainer {
 public:
  Trainer(TrainConfig cfg, TrainerOptions opts);
  // Throws what run() would throw before touching the disk (a bad config, device or parent, a
  // run directory that exists without --resume or has no checkpoint to resume): a launcher
  // checks once before it starts its workers (`run_dir` false: leave the run directory to the
  // launcher of node 0, which may be making it right now).
  void check(bool run_dir = true) const;
  TrainSummary run(const std::atomic<bool>* stop = nullptr);

 private:
  TrainConfig cfg_;
  TrainerOptions opts_;
};

}  // namespace omnisparse
