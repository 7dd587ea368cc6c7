// Batch-1 CPU inference of a Transducer's streaming computations on our own kernels
// (core/kernels): every prunable matrix becomes a kernels::SparseLinear that runs dense, CSR or
// block-sparse, whichever it measured fastest for that layer's shape and density on this CPU.
// This is what makes a pruned sub-network actually faster (LibTorch's dense path does the same
// work at any sparsity; its sparse tensors are slower still, PLATFORM.md).
//
//   SparseTransducer engine(model);                 // snapshot of weight * mask, calibrates
//   auto es = engine.start_encoder();
//   auto ps = engine.start_predictor();             // after the start blank
//   std::vector<float> enc, ep;
//   int64_t n = engine.encode_chunk(feats, t, es, enc);   // feats [t, F] -> enc [D, n]
//   engine.project_enc(enc.data(), n, ep);                // -> ep [J, n]
//   int64_t k = engine.joint_argmax(ep.data(), n, 0, ps, scratch);   // best token at frame 0
//   engine.predict(k, ps);                                // predictor after emitting k
//   for (auto& l : engine.layers()) l.name, kernels::format_name(l.format);
//
// Activations are feature-major ([features, n] row-major: the n frames of a chunk contiguous
// per feature), the kernels' layout, so W_ih of an encoder LSTM layer multiplies a whole chunk
// at once ([4H, n]); W_hh runs per frame as a matrix-vector product. Non-pruned parts (input
// projection, embedding, biases) stay dense. Results equal the LibTorch masked computation to
// float rounding (summation order differs).
//
// The engine copies the weights (and applies the masks) at construction: later changes to the
// model or its masks need a new engine. It is immutable afterwards and may be shared by
// threads; the states (and the scratch they hold) belong to one stream each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/kernels/dispatch.h"
#include "core/model/transducer.h"

namespace omnisparse {

struct SparseEngineOptions {
  int64_t batch = 8;                      // encoder frames per chunk, the batch W_ih,
                                          // encoder.proj and joiner.enc_proj calibrate at
  std::optional<kernels::Format> force;   // every pruned layer in this format (kDense: the
                                          // baseline that shows what sparsity buys)
  kernels::Isa isa = kernels::best_isa();
  void Validate() const;                  // InvalidArgument naming the field
};

// What one prunable layer runs on.
struct KernelLayerInfo {
  std::string name;  // the model's prunable layer name, e.g. "encoder.lstm0.w_ih"
  kernels::Format format = kernels::Format::kDense;
  int64_t rows = 0, cols = 0, nnz = 0;
  int64_t block_rows = 0, block_cols = 0;  // tile shape offered to the dispatcher (0: none)
};

// "7 sparse / 3 dense layers" (sparse = CSR or block).
std::string kernel_summary(const std::vector<KernelLayerInfo>& layers);

// Time spent in the pruned layers' multiplies (benchmarks: share of the decoding time).
struct KernelProfile {
  double pruned_s = 0;
  int64_t calls = 0;
};

class SparseTransducer {
 public:
  struct EncoderState {
    std::vector<float> h, c;     // [L, H]
    std::vector<float> pending;  // [k, F] frames not yet stacked (k < frame_stacking)
    int64_t frames_out = 0;      // encoder frames produced so far
    std::vector<float> x, y, gates, tmp;  // scratch
  };
  struct PredictorState {
    std::vector<float> h, c;  // [Lp, Hp] (LSTM predictor)
    std::vector<int64_t> history;  // the last context_size - 1 tokens (stateless predictor)
    std::vector<float> pp;    // [J] joiner projection of the predictor output (bias included)
    std::vector<float> x, tmp;  // scratch
  };

  // model on the CPU in float32 (InvalidArgument otherwise); uses its current masks.
  explicit SparseTransducer(const Transducer& model, const SparseEngineOptions& options = {});

  EncoderState start_encoder() const;
  // feats [t, F] row-major (normalised) -> n new encoder frames in enc [D, n]. Frames that do
  // not fill a stack of frame_stacking wait in the state, as in TransducerImpl::encode_chunk.
  int64_t encode_chunk(const float* feats, int64_t t, EncoderState& s, std::vector<float>& enc,
                       KernelProfile* profile = nullptr) const;
  // enc [D, n] -> ep [J, n] (joiner encoder projection, bias included).
  void project_enc(const float* enc, int64_t n, std::vector<float>& ep,
                   KernelProfile* profile = nullptr) const;

  PredictorState start_predictor() const;  // state and pp after the start blank
  void predict(int64_t token, PredictorState& s, KernelProfile* profile = nullptr) const;

  // The joiner's logits out(tanh(ep[:, t] + pp)) for column t of ep [J, n]: V values inside
  // scratch (resized as needed), valid until its next use.
  const float* joint_logits(const float* ep, int64_t n, int64_t t, const PredictorState& s,
                            std::vector<float>& scratch, KernelProfile* profile = nullptr) const;
  // argmax of joint_logits: the first maximum on ties (as at::argmax).
  int64_t joint_argmax(const float* ep, int64_t n, int64_t t, const PredictorState& s,
                       std::vector<float>& scratch, KernelProfile* profile = nullptr) const;

  const std::vector<KernelLayerInfo>& layers() const { return info_; }
  const TransducerConfig& config() const { return config_; }

 private:
  struct Linear {  // y = W x + b, W pruned (SparseLinear) or not
    kernels::SparseLinear w;
    std::vector<float> b;  // [rows] (empty: no bias)
  };
  struct Lstm {
    int64_t hidden = 0;
    kernels::SparseLinear w_ih, w_hh;
    std::vector<float> b;  // [4H] b_ih + b_hh
  };
  void lstm_chunk(const Lstm& l, const float* x, int64_t n, float* h, float* c, float* y,
                  EncoderState& s, KernelProfile* p) const;

  TransducerConfig config_;
  kernels::Isa isa_;    // of the kernels and the gate math
  Linear input_proj_;   // not pruned: always dense
  std::vector<Lstm> encoder_, predictor_;
  Linear encoder_proj_, enc_proj_, pred_proj_, out_;
  Linear context_;  // stateless predictor: [Hp, context_size * E]
  std::vector<float> embedding_;  // [V, E]
  std::vector<KernelLayerInfo> info_;
};

}  // namespace omnisparse
