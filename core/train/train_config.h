// Everything a training run needs, in one struct that the CLI flags, the GUI form and the
// experiment files all fill (and that run.json stores, resolved).
//
//   TrainConfig cfg;                          // defaults: tiny preset, omni mode
//   cfg.data = "corpus"; cfg.run = "runs/a"; cfg.minutes = 15;
//   cfg.Validate();                           // ConfigError naming the bad key
//   nlohmann::json j = cfg.to_json();         // round trip; unknown keys rejected
//
// Schedules run on *progress* p in [0, 1]: step/steps, or elapsed/minutes for time-bounded
// runs, so a 15-minute run and a 3000-step run ramp the same way.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/audio/spec_augment.h"
#include "core/audio/wave_augment.h"
#include "core/model/transducer_config.h"

namespace omnisparse {

enum class TrainMode { Dense, Omni, Gmp };
std::string to_string(TrainMode m);
TrainMode parse_train_mode(const std::string& s);  // ConfigError on anything else

// The supernet (DESIGN.md section 2): dense warm-up, then the largest sparsity the sampler may
// draw ramps up on the cubic schedule; each step trains k sub-networks (sandwich rule).
struct OmniConfig {
  int k = 4;                          // sub-networks per step: dense, sparsest, k-2 random
  double warmup = 0.15;               // progress fraction trained dense only (one pass per step)
  double ramp_end = 0.6;              // progress at which the max sparsity reaches max_sparsity
  double max_sparsity = 0.95;
  int refresh_every = 25;             // optimiser steps between rank refreshes
  std::string distribution = "per_layer_uniform";  // or "target_size"
  std::string granularity = "unstructured";        // or block1x4, block4x4, nm4, ...
  std::vector<double> ladder = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
};

// The individually pruned baseline: gradual magnitude pruning to one target, then fine-tuning.
struct GmpConfig {
  double target_sparsity = 0.8;
  double start = 0.15;                // progress where pruning starts
  double end = 0.6;                   // progress where the target is reached; fine-tune after
  int prune_every = 25;               // optimiser steps between mask updates
  std::string granularity = "unstructured";
};

struct TrainConfig {
  std::string data;                   // corpus root (train/ and dev/ subsets) or LibriSpeech root
  std::string run;                    // run directory
  std::string preset = "tiny";
  TransducerConfig model = preset_config();
  TrainMode mode = TrainMode::Omni;
  int64_t steps = 0;                  // optimiser steps for the whole run (0: use minutes)
  double minutes = 0;                 // wall-clock budget for the whole run (0: use steps)
  int64_t checkpoint_every = 200;
  int64_t eval_every = 200;
  int64_t log_every = 10;
  std::string device = "auto";
  int threads = 1;
  uint64_t seed = 1;

  // Defaults: what made the tiny transducer learn the commands corpus in 15 minutes on one CPU
  // thread (experiments/learning_curve): small batches, a high peak rate, CTC warm-up.
  double lr = 3e-3;                   // peak learning rate (Adam)
  int64_t lr_warmup_steps = 60;
  double ctc_warmup = 0.4;            // progress fraction trained on the CTC loss alone (encoder
                                      // + CTC head, no predictor/joiner: ~2x cheaper a pass);
                                      // without it the transducer settled on guessing the first
                                      // word at frame 0 from its prior; 0.4 beat 0.17 and 0.6 in
                                      // 15 minutes (learning_curve/README.md)
  double lr_final = 0.1;              // final lr as a fraction of the peak (cosine decay)
  double grad_clip = 5.0;
  double weight_decay = 0.0;
  int64_t max_frames_per_batch = 6000;  // 10 ms frames summed over a batch (before stacking)
  int64_t max_batch = 32;

  double wave_augment_prob = 0.5;     // share of training utterances that get waveform augmentation
  WaveAugmentConfig wave_augment;
  SpecAugmentConfig spec_augment;
  bool use_spec_augment = true;

  int64_t eval_utterances = 150;      // dev utterances per periodic evaluation (fixed subset)
  std::vector<double> eval_levels = {0.0, 0.5, 0.7, 0.8, 0.9};  // omni: uniform levels evaluated

  OmniConfig omni;
  GmpConfig gmp;

  void Validate() const;
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);  // unknown keys -> ConfigError

  // The TransducerConfig of `preset` with the training default CTC head (weight 0.5, at 20 ms);
  // ConfigError for an unknown preset. A config's "model" keys override these values.
  static TransducerConfig preset_config(const std::string& name = "tiny");
};

}  // namespace omnisparse
