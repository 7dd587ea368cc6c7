// Beam search on the sparse-kernel engine (SparseTransducer), resumable across chunks: the
// algorithm of BeamSearch (core/decode/beam_search.h, the shared frame in beam_frame.h), one
// hypothesis at a time through our batch-1 kernels, so the result equals beam_search's on the
// same frames up to float rounding.
//
//   SparseBeamSearch search(engine, {.beam = 4});
//   int64_t n = engine.encode_chunk(feats, t, enc_state, enc);   // enc [D, n]
//   search.advance(enc.data(), n);                                // any split of the frames
//   search.best().tokens;
#pragma once

#include <vector>

#include "core/decode/beam_frame.h"
#include "core/stream/sparse_transducer.h"

namespace omnisparse {

class SparseBeamSearch {
 public:
  // Keeps a reference to `engine`: it must outlive the search.
  explicit SparseBeamSearch(const SparseTransducer& engine, BeamSearchOptions options = {});

  // enc [D, n] encoder frames (feature-major, SparseTransducer::encode_chunk's output).
  void advance(const float* enc, int64_t n, KernelProfile* profile = nullptr);
  const DecodeResult& best() const { return beam_detail::best(hyps_); }
  int64_t frames_seen() const { return frame_; }

 private:
  const SparseTransducer& engine_;
  BeamSearchOptions options_;
  std::vector<BeamHypothesis<SparseTransducer::PredictorState>> hyps_;
  std::vector<float> ep_, scratch_;  // [J, n], joint scratch
  int64_t frame_ = 0;
};

}  // namespace omnisparse
