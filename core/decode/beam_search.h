// Beam search for RNN-T with up to max_symbols_per_frame symbols per encoder frame (icefall's
// modified beam search generalised the way its greedy search is: max_sym_per_frame). At each
// frame the hypotheses take up to S sub-steps; in each, every live hypothesis is extended by
// every token: blank ends its frame, a non-blank symbol stays in the frame for another sub-step,
// except at the S-th, where it ends the frame as greedy search's S-th symbol does. The `beam`
// best extensions of a sub-step survive (and none that is already below the `beam`-th best
// hypothesis that ended the frame: further symbols can only lower it); hypotheses that end the
// frame with identical token sequences are merged by log-add, and the `beam` best go on to the
// next frame. The result is the most probable hypothesis (no length normalisation).
// With S = 1 this is icefall's modified beam search, and with beam 1 as well, exactly greedy
// search with max_symbols_per_frame = 1. A character model at 40 ms frames needs S > 1: it
// emits several characters in one frame (docs/DESIGN.md, "Decoding").
//
//   DecodeResult r = beam_search(model, enc /* [T, D] */, {.beam = 4});
//
//   BeamSearch search(model, {.beam = 4});   // resumable, for streaming
//   search.advance(chunk1); search.advance(chunk2);
//   search.best();
//
// Each hypothesis caches its predictor state; the predictor runs once per new non-blank
// extension, batched over the hypotheses of a sub-step. Runs under NoGradGuard. The algorithm
// itself (beam_frame.h) is shared with the streaming kernels' SparseBeamSearch.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/decode/beam_frame.h"
#include "core/decode/decoder.h"
#include "core/model/transducer.h"

namespace omnisparse {

class BeamSearch {
 public:
  struct PredictorState {
    LSTMState lstm;           // [L, 1, Hp] after the last token
    torch::Tensor pred_proj;  // [J]
  };
  using Hypothesis = BeamHypothesis<PredictorState>;

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

DecodeResult beam_search(Transducer& model, const torch::Tensor& enc,
                         const BeamSearchOptions& options = {});

}  // namespace omnisparse
