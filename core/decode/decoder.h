// Greedy RNN-T decoding: for one utterance (resumable, used by streaming) and batched over
// utterances (evaluation speed). Beam search lives in beam_search.h.
//
//   model->eval();
//   auto [enc, lens] = model->encode(feats, feat_lens);
//   DecodeResult r = greedy_decode(model, enc[0].narrow(0, 0, lens[0].item<int64_t>()));
//   r.tokens;  // token ids, blank never included; r.frames[i] = encoder frame of token i
//
//   GreedySearch search(model);          // streaming: feed encoder frames as they come
//   search.advance(enc_chunk1);          // [t1, D]
//   search.advance(enc_chunk2);          // same result as one advance over [t1 + t2, D]
//
// Per frame, up to max_symbols_per_frame non-blank symbols are emitted; blank moves to the
// next frame. The predictor runs only when a non-blank symbol is emitted (its output and state
// are cached). Runs under NoGradGuard; the model should be in eval() mode.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/model/transducer.h"

namespace omnisparse {

struct DecodeResult {
  std::vector<int64_t> tokens;  // non-blank token ids
  std::vector<int64_t> frames;  // encoder frame index at which each token was emitted
  double log_prob = 0.0;        // beam search: the hypothesis' log-probability; greedy: 0
};

struct GreedyOptions {
  int max_symbols_per_frame = 3;
  void Validate() const;  // InvalidArgument unless >= 1
};

// Greedy search over one utterance, resumable across chunks of encoder frames.
class GreedySearch {
 public:
  explicit GreedySearch(Transducer model, GreedyOptions options = {});

  void advance(const torch::Tensor& enc);  // [t, D] or [1, t, D] encoder frames, t >= 0
  const DecodeResult& result() const { return result_; }
  int64_t frames_seen() const { return frame_; }

 private:
  void emit(int64_t token);
  Transducer model_;
  GreedyOptions options_;
  DecodeResult result_;
  LSTMState pred_state_;  // [L, 1, Hp] after the last emitted token
  torch::Tensor pred_proj_;  // [J] joiner projection of the predictor output
  int64_t frame_ = 0;
};

// enc [T, D] (one utterance, no padding) -> tokens.
DecodeResult greedy_decode(Transducer& model, const torch::Tensor& enc,
                           const GreedyOptions& options = {});

// enc [B, T, D], lens [B] -> one result per utterance, the same tokens as greedy_decode on
// each utterance alone (up to float rounding between batched and single matmuls).
std::vector<DecodeResult> greedy_decode_batch(Transducer& model, const torch::Tensor& enc,
                                              const torch::Tensor& lens,
                                              const GreedyOptions& options = {});

}  // namespace omnisparse
