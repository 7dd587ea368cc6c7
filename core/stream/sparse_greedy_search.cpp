#include "core/stream/sparse_greedy_search.h"

namespace omnisparse {

SparseGreedySearch::SparseGreedySearch(const SparseTransducer& engine, GreedyOptions options)
    : engine_(engine), options_(options), pred_(engine.start_predictor()) {
  options_.Validate();
}

void SparseGreedySearch::advance(const float* enc, int64_t n, KernelProfile* profile) {
  if (n == 0) return;
  engine_.project_enc(enc, n, ep_, profile);  // [J, n]
  for (int64_t t = 0; t < n; ++t, ++frame_) {
    for (int s = 0; s < options_.max_symbols_per_frame; ++s) {
      const int64_t k = engine_.joint_argmax(ep_.data(), n, t, pred_, scratch_, profile);
      if (k == TransducerConfig::kBlank) break;
      result_.tokens.push_back(k);
      result_.frames.push_back(frame_);
      engine_.predict(k, pred_, profile);
    }
  }
}

}  // namespace omnisparse
