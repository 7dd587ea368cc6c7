// What the tests of core/train share: a tiny synthetic corpus made once per test binary, a
// micro model's training config that trains a few steps in seconds, and the weights a run saved.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/data/synth_corpus.h"
#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"
#include "core/train/train_config.h"
#include "tests/test_support.h"

namespace omnisparse::test {

// 30 utterances, synthesised on first use (one corpus for the whole test binary).
inline const std::filesystem::path& micro_corpus() {
  static TempDir* dir = new TempDir("omnisparse-train-corpus");
  static std::filesystem::path p = [] {
    SynthConfig c;
    c.out = (dir->path() / "corpus").string();
    c.utterances = 30;
    c.seed = 5;
    synthesize_corpus(c, /*progress=*/false);
    return dir->path() / "corpus";
  }();
  return p;
}

// A one-layer 24-32 unit transducer on micro_corpus(): no evaluation or checkpoints until the end,
// no CTC-only phase or warm-up, an event per step, masks refreshed every step.
inline TrainConfig micro_config(const std::filesystem::path& run, TrainMode mode, int64_t steps) {
  TrainConfig c;
  c.data = micro_corpus().string();
  c.run = run.string();
  c.mode = mode;
  c.steps = steps;
  c.max_frames_per_batch = 1200;
  c.max_batch = 4;
  c.eval_utterances = 2;
  c.eval_every = 1000;
  c.checkpoint_every = 1000;
  c.log_every = 1;
  c.ctc_warmup = 0;
  c.lr_warmup_steps = 0;
  c.wave_augment_prob = 0;
  c.eval_levels = {0.0};
  c.model.encoder_layers = 1;
  c.model.encoder_hidden = 32;
  c.model.encoder_dim = 24;
  c.model.input_dim = 24;
  c.model.predictor_embed = 8;
  c.model.predictor_hidden = 24;
  c.model.joiner_dim = 24;
  c.omni.refresh_every = 1;
  return c;
}

// The weights of a run's latest checkpoint by name; with `prefixes`, only those whose names
// start with "model." and one of them.
inline std::map<std::string, at::Tensor> latest_weights(
    const std::filesystem::path& run, const std::vector<std::string>& prefixes = {}) {
  const auto ck = load_latest_checkpoint(RunDir::open(run));  // a local: the loop reads into it
  std::map<std::string, at::Tensor> out;
  for (auto& [k, v] : ck->second.weights) {
    const bool wanted = prefixes.empty() || std::any_of(prefixes.begin(), prefixes.end(),
                                                        [&](const std::string& p) {
                                                          return k.rfind("model." + p, 0) == 0;
                                                        });
    if (wanted) out[k] = v;
  }
  return out;
}

// The largest absolute difference between two sets of the same weights.
inline double max_change(const std::map<std::string, at::Tensor>& a,
                         const std::map<std::string, at::Tensor>& b) {
  double m = 0;
  for (auto& [k, v] : a) m = std::max(m, (b.at(k) - v).abs().max().item<double>());
  return m;
}

}  // namespace omnisparse::test
