// The size and shape of a streaming RNN-T (Transducer), plus named presets.
//
//   TransducerConfig cfg = preset("tiny");      // 1.80 M parameters, trains on 2 CPU cores
//   cfg.dropout = 0.2;
//   cfg.Validate();                             // throws ConfigError naming the bad key
//   nlohmann::json j = cfg.to_json();           // round trip; unknown keys are rejected
//   TransducerConfig back = TransducerConfig::from_json(j);
//
// Token ids: 0 is blank (also the predictor's start symbol); the default vocabulary of 29 is
// blank + space + a-z + apostrophe (the char tokenizer in core/data defines the mapping).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace omnisparse {

struct TransducerConfig {
  static constexpr int64_t kBlank = 0;

  int64_t feat_dim = 80;          // log-mel bins per 10 ms frame
  int64_t frame_stacking = 4;     // frames stacked per encoder step (4 -> 40 ms)
  int64_t input_dim = 160;        // input projection (not pruned): feat_dim*stacking -> input_dim
  int64_t encoder_layers = 3;     // unidirectional LSTM layers
  int64_t encoder_hidden = 256;
  int64_t encoder_dim = 192;      // encoder output projection (prunable); encode() returns this
  // The predictor: "lstm" (embedding -> masked LSTM, predictor_layers deep) or "stateless"
  // (embedding of the last context_size tokens, concatenated -> masked Linear -> ReLU; the
  // decoder of icefall's stateless transducers and of sherpa-onnx, see docs/DESIGN.md
  // section 3). Both return predictor_hidden features per token.
  std::string predictor = "lstm";
  int64_t context_size = 2;       // stateless only: tokens the predictor sees (>= 1)
  int64_t predictor_embed = 64;   // token embedding (not pruned)
  int64_t predictor_layers = 1;   // lstm only
  int64_t predictor_hidden = 160; // predict() returns this
  int64_t joiner_dim = 192;
  int64_t vocab_size = 29;        // including blank
  double dropout = 0.1;           // between LSTM layers, training only
  double ctc_weight = 0.0;        // auxiliary CTC head on the encoder output; 0 = no head
  int64_t ctc_upsample = 1;       // CTC frames per encoder frame: 2 puts CTC at 20 ms, where
                                  // fast speech still has a blank between most characters

  bool stateless() const { return predictor == "stateless"; }

  // Throws ConfigError naming the first bad key and saying what is allowed.
  void Validate() const;

  // predictor and context_size are written only for a stateless predictor, so an LSTM
  // model's JSON (and every fingerprint over it) is what it was before they existed.
  nlohmann::json to_json() const;
  // Missing keys keep their defaults; unknown keys or wrong types throw ConfigError naming them.
  // The result is validated.
  static TransducerConfig from_json(const nlohmann::json& j);

  std::string ToString() const { return to_json().dump(); }
  bool operator==(const TransducerConfig&) const = default;
};

// "tiny" (1.80 M params, CPU minutes), "small" (5.53 M), "medium" (47.1 M, GPU).
// Unknown name -> ConfigError listing the valid ones.
TransducerConfig preset(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace omnisparse
