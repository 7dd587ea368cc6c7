// Streaming speech recognition with a transducer, in the shape of sherpa-onnx's online API.
//
//   StreamingOptions opts;                   // opts.chunk_ms = 320 (default)
//   StreamingRecognizer rec(model, symbol_table(tokenizer_symbols), opts,
//                           [&](const at::Tensor& f) { return stats.apply(f); });
//   auto stream = rec.create_stream();
//   while (audio) {
//     stream->accept_features(fbank_frames);   // [t, 80] un-normalised log-mel frames
//     stream->decode();                        // runs every complete chunk
//     show(stream->result().text);             // partial result
//   }
//   stream->input_finished();
//   stream->decode();                          // flushes the last partial chunk
//   stream->result();                          // final == the full-utterance greedy result
//
// decode() feeds the encoder chunk by chunk (chunk_ms of features, the encoder keeps its LSTM
// state and the < 4 frames not yet stacked) and continues greedy search with the predictor
// state and hypothesis carried over. Because the encoder is causal and the search resumable,
// the tokens equal greedy_decode(model, model->encode(all frames)) exactly, for any chunk size.
//
// Threads: the recognizer is immutable after construction and may be shared; each stream is
// used by one thread at a time; different streams may decode concurrently. The constructor
// puts the model in eval() mode (no dropout), as exact streaming requires.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/eval/decoder.h"
#include "core/model/transducer.h"

namespace omnisparse {

struct StreamingOptions {
  double chunk_ms = 320;         // features per decode step; latency vs. per-call overhead
  double frame_shift_ms = 10;    // of the input feature frames
  GreedyOptions greedy;
  void Validate() const;         // InvalidArgument naming the bad field
  int64_t chunk_frames() const;  // round(chunk_ms / frame_shift_ms)
};

using TokensToText = std::function<std::string(const std::vector<int64_t>&)>;
// [t, F] -> [t, F], applied frame by frame (e.g. global mean/variance normalisation).
using FeatureTransform = std::function<at::Tensor(const at::Tensor&)>;

// Text by concatenating symbols[id] (ids out of range throw InvalidArgument; blank is never
// passed in). For the char tokenizer: its symbols with " " for space.
TokensToText symbol_table(std::vector<std::string> symbols);

struct RecognitionResult {
  std::vector<int64_t> tokens;
  std::vector<double> timestamps;  // seconds from the stream start, one per token
  std::string text;
  bool final = false;              // input_finished() was called and everything is decoded
};

class OnlineStream;

class StreamingRecognizer {
 public:
  StreamingRecognizer(Transducer model, TokensToText to_text, StreamingOptions options = {},
                      FeatureTransform normalize = {});

  std::unique_ptr<OnlineStream> create_stream() const;
  const StreamingOptions& options() const;

  struct Shared;  // model, options, callbacks; shared by the streams

 private:
  std::shared_ptr<const Shared> shared_;
};

class OnlineStream {
 public:
  explicit OnlineStream(std::shared_ptr<const StreamingRecognizer::Shared> shared);

  void accept_features(const at::Tensor& feats);  // [t, F]; throws after input_finished()
  void input_finished();
  bool is_ready() const;  // a full chunk waits, or any frames after input_finished()
  void decode();          // decodes every waiting chunk
  RecognitionResult result() const;
  int64_t frames_decoded() const { return frames_decoded_; }  // feature frames consumed

 private:
  std::shared_ptr<const StreamingRecognizer::Shared> shared_;
  at::Tensor buffer_;  // [n, F] features accepted but not yet decoded
  EncoderStreamState encoder_state_;
  GreedySearch search_;
  int64_t frames_decoded_ = 0;
  bool finished_ = false;
};

}  // namespace omnisparse
