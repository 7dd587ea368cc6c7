// Greedy RNN-T search on the sparse-kernel engine (SparseTransducer), resumable across chunks:
// the same rule as GreedySearch (core/decode/decoder.h), so the tokens equal greedy_decode's.
//
//   SparseGreedySearch search(engine, greedy_options);
//   int64_t n = engine.encode_chunk(feats, t, enc_state, enc);   // enc [D, n]
//   search.advance(enc.data(), n);                                // any split of the frames
//   search.result().tokens;
#pragma once

#include <vector>

#include "core/decode/decoder.h"
#include "core/stream/sparse_transducer.h"

namespace omnisparse {

class SparseGreedySearch {
 public:
  // Keeps a reference to `engine`: it must outlive the search.
  explicit SparseGreedySearch(const SparseTransducer& engine, GreedyOptions options = {});

  // enc [D, n] encoder frames (feature-major, SparseTransducer::encode_chunk's output).
  void advance(const float* enc, int64_t n, KernelProfile* profile = nullptr);
  const DecodeResult& result() const { return result_; }
  int64_t frames_seen() const { return frame_; }

 private:
  const SparseTransducer& engine_;
  GreedyOptions options_;
  DecodeResult result_;
  SparseTransducer::PredictorState pred_;  // after the last emitted token
  std::vector<float> ep_, scratch_;        // [J, n], joint scratch
  int64_t frame_ = 0;
};

}  // namespace omnisparse
