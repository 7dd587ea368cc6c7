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
// With options.beam > 1 the search is beam search instead (core/decode/beam_search.h, same
// greedy.max_symbols_per_frame); the final result equals beam_search over all frames, and a
// partial result is the best hypothesis so far (it may still change words already shown).
//
// decode() feeds the encoder chunk by chunk (chunk_ms of features, the encoder keeps its LSTM
// state and the < 4 frames not yet stacked) and continues greedy search with the predictor
// state and hypothesis carried over. Because the encoder is causal and the search resumable,
// the tokens equal greedy_decode(model, model->encode(all frames)) exactly, for any chunk size.
//
// Kernels: by default (Kernels::kAuto) a float32 model on the CPU runs on our own kernels
// (SparseTransducer, core/stream/sparse_transducer.h): each pruned layer dense, CSR or
// block-sparse, whichever measured fastest, so a sparser sub-network decodes faster. The
// tokens equal the LibTorch path's. Kernels::kTorch (and any model on a GPU) runs LibTorch.
// The kernel path snapshots the weights and masks at construction: select a sub-network
// first, then build the recognizer (a change to the masks afterwards needs a new one).
//
// Threads: the recognizer is immutable after construction and may be shared; each stream is
// used by one thread at a time; different streams may decode concurrently. The constructor
// puts the model in eval() mode (no dropout), as exact streaming requires.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/decode/beam_search.h"
#include "core/decode/decoder.h"
#include "core/model/transducer.h"
#include "core/stream/sparse_transducer.h"

namespace omnisparse {

// Which implementation runs the model (see the header comment).
enum class Kernels {
  kAuto,   // our kernels for a float32 model on the CPU, LibTorch otherwise
  kTorch,  // LibTorch (at::lstm, at::linear): the reference, and what a GPU uses
  kDense,  // our kernels with every layer dense: the baseline that shows what sparsity buys
};
const char* kernels_name(Kernels k);  // "auto", "torch", "dense"

struct StreamingOptions {
  double chunk_ms = 320;         // features per decode step; latency vs. per-call overhead
  double frame_shift_ms = 10;    // of the input feature frames
  GreedyOptions greedy;          // max_symbols_per_frame, for beam search too
  int beam = 0;                  // 0 or 1: greedy search; > 1: beam search of this width
  Kernels kernels = Kernels::kAuto;
  void Validate() const;         // InvalidArgument naming the bad field
  int64_t chunk_frames() const;  // round(chunk_ms / frame_shift_ms)
  std::string search_name() const;  // "greedy" or "beam 4" (for status lines)
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

  // The kernel path's engine, or nullptr when LibTorch runs the model.
  const SparseTransducer* engine() const;
  // "kernels: 7 sparse / 3 dense layers" or "kernels: torch" (for timing lines).
  std::string kernels_description() const;

  struct Shared;  // model, options, callbacks; shared by the streams

 private:
  std::shared_ptr<const Shared> shared_;
};

class OnlineStream {
 public:
  explicit OnlineStream(std::shared_ptr<const StreamingRecognizer::Shared> shared);
  ~OnlineStream();

  void accept_features(const at::Tensor& feats);  // [t, F]; throws after input_finished()
  void input_finished();
  bool is_ready() const;  // a full chunk waits, or any frames after input_finished()
  void decode();          // decodes every waiting chunk
  RecognitionResult result() const;
  int64_t frames_decoded() const { return frames_decoded_; }  // feature frames consumed

  // Benchmarks: accumulate the time spent in pruned-layer multiplies into *profile (kernel
  // path only; nullptr stops). The profile must outlive the decoding calls.
  void set_kernel_profile(KernelProfile* profile) { profile_ = profile; }

 private:
  void decode_torch(const at::Tensor& chunk);    // [n, F]
  void decode_kernels(const at::Tensor& chunk);  // [n, F]
  DecodeResult decoded() const;

  std::shared_ptr<const StreamingRecognizer::Shared> shared_;
  at::Tensor buffer_;  // [n, F] features accepted but not yet decoded
  EncoderStreamState encoder_state_;
  std::optional<GreedySearch> search_;  // LibTorch path (one of the two)
  std::optional<BeamSearch> beam_;
  struct KernelPath;                    // kernel path: encoder state, search, buffers
  std::unique_ptr<KernelPath> kernel_;
  KernelProfile* profile_ = nullptr;
  int64_t frames_decoded_ = 0;
  bool finished_ = false;
};

}  // namespace omnisparse
