// Modified beam search for RNN-T, as in icefall: at most one non-blank symbol per frame; at
// each frame every hypothesis is extended by every token (blank keeps the hypothesis), the
// `beam` best extensions by total log-probability survive, and extensions with identical token
// sequences are merged by log-add. The result is the most probable hypothesis (no length
// normalisation). With beam 1 this is exactly greedy search with max_symbols_per_frame = 1.
//
//   DecodeResult r = modified_beam_search(model, enc /* [T, D] */, {.beam = 4});
//
//   BeamSearch search(model, {.beam = 4});   // resumable, for streaming
//   search.advance(chunk1); search.advance(chunk2);
//   search.best();
//
// Each hypothesis caches its predictor state; the predictor runs once per new non-blank
// extension, batched over the hypotheses of a frame. Runs under NoGradGuard.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/decode/decoder.h"
#include "core/model/transducer.h"

namespace omnisparse {

struct BeamSearchOptions {
  int beam = 4;
  void Validate() const;  // InvalidArgument unless beam >= 1
};

class BeamSearch {
 public:
  struct Hypothesis {
    DecodeResult result;   // tokens, frames, log_prob
    LSTMState state;       // [L, 1, Hp] predictor state after the last token
    torch::Tensor pred_proj;  // [J]
  };

  explicit BeamSearch(Transducer model, BeamSearchOptions options = {});

  void advance(const torch::Tensor& enc);  // [t, D] or [1, t, D]
  DecodeResult best() const;
  const std::vector<Hypothesis>& hypotheses() const { return hyps_; }  // unordered

 private:
  Transducer model_;
  BeamSearchOptions options_;
  std::vector<Hypothesis> hyps_;
  int64_t frame_ = 0;
};

DecodeResult modified_beam_search(Transducer& model, const torch::Tensor& enc,
                                  const BeamSearchOptions& options = {});

}  // namespace omnisparse
