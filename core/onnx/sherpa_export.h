// Exporting a sub-network for sherpa-onnx's streaming LSTM transducer (the contract of icefall's
// lstm_transducer_stateless2 export, docs/DESIGN.md section 7): a directory with
//   encoder.onnx  x [N, T, 80] (sherpa-onnx's log-mel), h, c [L, N, H] -> encoder_out
//                 [N, T/4 * M, J], next_h, next_c; the log-energy offset of our sample scale,
//                 the global CMVN, the frame stacking, the LSTM encoder, both encoder
//                 projections and the M-fold frame repeat (symbols_per_frame) are in the
//                 graph; metadata model_type
//                 "lstm", T, decode_chunk_len, num_encoder_layers, d_model, rnn_hidden_size
//   decoder.onnx  y [N, context_size] int64 -> decoder_out [N, J] (stateless predictor and the
//                 joiner's predictor projection); metadata context_size, vocab_size
//   joiner.onnx   encoder_out [N, J], decoder_out [N, J] -> logit [N, V]; metadata joiner_dim
//   tokens.txt    "<blk> 0", then one symbol per id (the space is sherpa's word mark "▁")
//   model.json    sub-network, sparsity, non-zeros, source run, options, SHA-256 of every file
// Pruned weights are written as the masked (zero) tensors. With int8, every matrix is stored as
// int8 with one scale per tensor and a DequantizeLinear in front of its use.
//
//   RunModel rm = RunModel::Load("runs/omni");
//   SherpaExportReport r = export_sherpa_onnx(rm, rm.uniform(0.8), "out/s0.80", {});
//
// Only a model with a stateless predictor can be exported (sherpa-onnx's transducer decoder is
// stateless): InvalidArgument otherwise. The directory is written under a temporary name next to
// `dir` and renamed, so a failure leaves nothing half-written; an existing non-empty `dir` is
// refused unless options.force (then it is replaced).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval/model_bundle.h"
#include "core/eval/run_model.h"
#include "core/sparsity/accounting.h"

namespace omnisparse {

struct SherpaExportOptions {
  int64_t chunk_frames = 32;  // feature frames per encoder call (T = decode_chunk_len); a
                              // multiple of the model's frame stacking
  int64_t symbols_per_frame = 3;  // each encoder frame repeated this many times, so sherpa-onnx's
                              // one-symbol-per-frame greedy search equals ours with
                              // max_symbols_per_frame = this (GreedyOptions' default: 3). Its
                              // timestamps and endpoint silences then count frames this many
                              // times over
  bool int8 = false;          // per-tensor int8 matrices (DequantizeLinear), else float32
  bool force = false;         // replace an existing non-empty directory
  void Validate(const TransducerConfig& model) const;  // InvalidArgument naming the option
};

struct SherpaExportReport {
  std::filesystem::path dir;
  std::string subnet_id;
  Accounting accounting;
  std::map<std::string, int64_t> file_bytes;   // file name -> bytes
  std::map<std::string, std::string> sha256;   // file name -> hex digest
  std::vector<std::string> feature_differences;  // our fbank vs sherpa-onnx's, one line each
  int64_t total_bytes() const;
  nlohmann::json to_json() const;              // also what model.json holds (plus provenance)
};

// The three graphs of a bundle whose model already carries the sub-network's masks (the
// effective weights are used), serialised and checked: "encoder.onnx", "decoder.onnx",
// "joiner.onnx" -> bytes. Exposed for tests that run the graphs.
std::map<std::string, std::string> sherpa_onnx_graphs(ModelBundle& bundle,
                                                      const SherpaExportOptions& options);

// How a model's fbank settings differ from sherpa-onnx's fixed ones (kaldi-native-fbank as
// sherpa-onnx sets it up), one line per setting; empty when they agree.
std::vector<std::string> sherpa_feature_differences(const FbankConfig& fbank);

// tokens.txt of a tokenizer, as sherpa-onnx's symbol table reads it.
std::string sherpa_tokens_txt(const CharTokenizer& tokenizer);

SherpaExportReport export_sherpa_onnx(RunModel& rm, const SubnetConfig& config,
                                      const std::filesystem::path& dir,
                                      const SherpaExportOptions& options);

}  // namespace omnisparse
