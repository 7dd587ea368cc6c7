// A recognizer as one value: the transducer with its config, the tokenizer, the feature
// settings and the global feature normalisation. Checkpoints, `eval`, `transcribe` and the
// exporter all pass bundles around, so a model never meets features it was not trained on.
//
//   ModelBundle b = ModelBundle::Create(preset("tiny"), stats);     // fresh weights
//   NamedTensors t = b.weights();                                   // "model.<param>" tensors
//   auto meta = b.metadata();                                       // config, tokenizer, ...
//   ModelBundle c = ModelBundle::FromTensors(meta, t, path);        // validated, on CPU
//
// fingerprint() identifies the architecture (prunable layer names and shapes): results.h5 and
// checkpoints of another model are refused by comparing it.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/audio/fbank.h"
#include "core/audio/feature_stats.h"
#include "core/data/tokenizer.h"
#include "core/model/transducer.h"

namespace omnisparse {

struct ModelBundle {
  TransducerConfig config;
  Transducer model{nullptr};
  CharTokenizer tokenizer;
  FbankConfig fbank;
  FeatureStats stats;

  static ModelBundle Create(const TransducerConfig& config, FeatureStats stats);

  // Parameters and buffers as "model.<name>" -> tensor (CPU copies, detached).
  std::vector<std::pair<std::string, at::Tensor>> weights() const;
  // "omnisparse.model_config", "omnisparse.tokenizer", "omnisparse.fbank",
  // "omnisparse.feature_stats", "omnisparse.fingerprint" (JSON strings).
  std::map<std::string, std::string> metadata() const;

  // Rebuilds a bundle from metadata + tensors (e.g. a checkpoint or an export). Every
  // parameter must be present with the right shape: FormatError naming `source` otherwise.
  static ModelBundle FromTensors(const std::map<std::string, std::string>& metadata,
                                 const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                 const std::filesystem::path& source);

  // Loads parameters from `tensors` ("model.<name>") into this bundle's model in place.
  void load_weights(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                    const std::filesystem::path& source);

  std::string fingerprint() const;
};

// The fbank settings stored in a bundle's metadata (a checkpoint's or an export's), without
// building the model. FormatError naming `source` when absent or invalid.
FbankConfig fbank_of(const std::map<std::string, std::string>& metadata,
                     const std::filesystem::path& source);

// Architecture fingerprint of a model: layers_fingerprint() of its prunable layer names and
// shapes (the key results.h5 uses).
std::string model_fingerprint(const TransducerConfig& config);

}  // namespace omnisparse
