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

#include <optional>

#include "core/audio/fbank.h"
#include "core/audio/spec_augment.h"
#include "core/audio/wave_augment.h"
#include "core/model/transducer_config.h"

namespace omnisparse {

enum class TrainMode { Dense, Omni, Gmp };
std::string to_string(TrainMode m);
TrainMode parse_train_mode(const std::string& s);  // ConfigError on anything else

// The supernet (docs/DESIGN.md section 2). Best started from a trained dense run
// (TrainConfig::init_from): the largest sparsity the sampler may draw ramps up on the cubic
// schedule to the ladder's top level; each step trains members_per_step members drawn by
// `distribution`; ranks are refreshed every refresh_every steps until freeze_at and never after,
// so the last phase trains exactly the masks that are evaluated and exported; sparse members can
// also fit the dense member's CTC posteriors (in-place distillation).
struct OmniConfig {
  int members_per_step = 1;           // k: forward+backward passes per step (distinct members)
  std::string distribution = "levels";  // sandwich | levels | space (core/sparsity/sampler.h)
  double p_dense = 0.2;               // levels / space: probability that a member is the dense one
  std::vector<double> level_weights = {1, 1.5, 2, 3.5};  // levels / space: relative weight of
                                      // each non-zero ladder level; the sparsest levels need the
                                      // most steps (experiments/omni_vs_individual); empty:
                                      // equal; a config that sets its own ladder without
                                      // weights gets equal weights
  std::vector<double> level_lr = {1, 1, 1, 2};  // learning-rate factor of a step whose member
                                      // sits at each non-zero ladder level (the largest level <=
                                      // its mean sparsity; dense: 1; k > 1: the mean over the
                                      // step's members); empty: 1 everywhere. The 90 % member's
                                      // steps at 2x: with follow_ramp the recipe that met the
                                      // acceptance (experiments/omni_vs_individual); a config
                                      // with its own ladder and no factors gets none
  std::string space = "per_layer_uniform";  // random per-layer configs: or target_size
  double warmup = 0.0;                // progress fraction trained dense only (one pass per step)
  double ramp_end = 0.5;              // progress at which the max sparsity reaches max_sparsity
  bool follow_ramp = true;            // levels / space: a level above the ramp's current max
                                      // sparsity trains at that max (gradual pruning of the
                                      // sparse members, as gmp's cubic ramp) instead of waiting;
                                      // with ramp_end 0.5 the best recipe measured
                                      // (experiments/omni_vs_individual); the sandwich ignores it
  double max_sparsity = 0.0;          // the sampler's top sparsity; 0: the ladder's top level
  int refresh_every = 25;             // optimiser steps between rank refreshes
  double freeze_at = 0.5;             // progress after which the ranks never change again
  double distill_weight = 0.0;        // weight of KL(dense CTC posteriors || member's), sparse
                                      // members only; 0 = off
  double shared_grad = 1.0;           // after freeze_at: factor on a member's gradient into the
                                      // weights the next sparser ladder level also keeps (the
                                      // core every smaller member shares); 0: each member
                                      // trains only the weights it adds to that core, the
                                      // sparsest its whole mask
  std::string granularity = "unstructured";        // or block1x4, block4x4, nm4, ...
  std::vector<double> ladder = {0, 0.5, 0.7, 0.8, 0.9};

  double top_sparsity() const { return max_sparsity > 0 ? max_sparsity : ladder.back(); }
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
  std::string init_from;              // parent: a run directory, a checkpoint or an exported
                                      // model; weights (and feature normalisation) only, fresh
                                      // optimiser and schedule (core/train/parent_model.h)
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
  double pred_dropout = 0;            // share of a transducer step's utterances whose joiner sees
                                      // a zero predictor output, so it must emit from the encoder
                                      // alone; it falls linearly from the end of the CTC-only
                                      // phase to 0 at pred_dropout_end. Measured on the demo's
                                      // dense phase (0.3 to 0.8): on its seed the transducer no
                                      // longer guessed every first word from the predictor's
                                      // prior, on another seed it still did
                                      // (learning_curve/README.md); 0: off
  double pred_dropout_end = 0.8;
  double onset_db = 30;               // no label may be emitted before an utterance's speech
                                      // onset (the first frame within onset_db dB of its loud
                                      // frames; core/audio/speech_onset.h): the RNN-T lattice and
                                      // the CTC loss both lose those alignments. Without it a
                                      // short run could settle on announcing the most common
                                      // first word in the leading silence (demo dense phase, 10
                                      // min: 27.9 -> 16.9 % dev WER on seed 1, 32.7 -> 19.8 % on
                                      // seed 2; learning_curve/README.md); 0: off
  double lr_final = 0.1;              // final lr as a fraction of the peak (cosine decay)
  double grad_clip = 5.0;
  double weight_decay = 0.0;
  int64_t max_frames_per_batch = 6000;  // 10 ms frames summed over a batch (before stacking)
  int64_t max_batch = 32;

  double wave_augment_prob = 0.0;     // share of training utterances that get waveform
                                      // augmentation; off by default: at 15 minutes it cost
                                      // the commands corpus 14 -> 43 % dev WER (learning_curve)
  WaveAugmentConfig wave_augment;
  SpecAugmentConfig spec_augment;
  bool use_spec_augment = true;
  double spec_augment_start = 0.0;    // progress fraction before which batches go unmasked (the
                                      // masks are still drawn, so a batch is the same either
                                      // way); 0.4 rescued two stalled seeds at 2419 steps but
                                      // cost a 15-minute 2-worker run 15 points
                                      // (learning_curve/README.md); fine-tunes: 0 unless set

  std::string trainable = "all";      // which parameters the optimiser moves: all | unpruned (those
                                      // outside the prunable matrices: biases, embeddings, the
                                      // input projection, the CTC head) | pruned (the prunable
                                      // matrices alone); e.g. fine-tuning one sub-network's
                                      // shared parameters (experiments/omni_vs_individual)

  int64_t eval_utterances = 150;      // dev utterances per periodic evaluation (fixed subset)
  std::vector<double> eval_levels = {0.0, 0.5, 0.7, 0.8, 0.9};  // omni: uniform levels evaluated

  OmniConfig omni;
  GmpConfig gmp;
  // The front end of a new model ("fbank": {...}, FbankConfig's keys; missing ones take today's
  // defaults, which are sherpa-onnx's). Unset: the defaults. A resumed run keeps its
  // checkpoint's and a fine-tune its parent's; setting a different one there is a ConfigError.
  std::optional<FbankConfig> fbank;

  void Validate() const;
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);  // unknown keys -> ConfigError
  // A config file (the CLI's and the demo's --config): FormatError naming the file when it is
  // not JSON, ConfigError "<file>: <key>: ..." when a value is wrong. `given` (optional)
  // receives the file's JSON as written, for apply_fine_tune_defaults.
  static TrainConfig from_file(const std::string& path, nlohmann::json* given = nullptr);

  // One line for the start of a long job: what trains, how, for how long.
  // "tiny omni (1 member/step, levels, freeze 0.5) from runs/dense, lr 0.001, 6000 frames/batch
  //  (at most 32 utts), CTC-only 0 %, 15 min"
  std::string ToString() const;

  // The share of utterances whose predictor output is dropped at `progress`: pred_dropout up to
  // the end of the CTC-only phase (ctc_warmup), then falling linearly to 0 at pred_dropout_end.
  double pred_dropout_at(double progress) const;

  // A run that starts from a trained parent (init_from) is a fine-tune: for the keys that the
  // config `given` (the user's JSON) does not set, a fine-tune's settings replace the
  // from-scratch defaults (docs/DESIGN.md section 2: peak lr, warm-up, no CTC-only phase, as
  // measured in experiments/omni_vs_individual).
  void apply_fine_tune_defaults(const nlohmann::json& given);

  // The TransducerConfig of `preset` with the training default CTC head (weight 0.5, at 20 ms);
  // ConfigError for an unknown preset. A config's "model" keys override these values.
  static TransducerConfig preset_config(const std::string& name = "tiny");
};

}  // namespace omnisparse
