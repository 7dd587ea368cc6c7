#include "core/stream/sparse_beam_search.h"

#include <cmath>

namespace omnisparse {

SparseBeamSearch::SparseBeamSearch(const SparseTransducer& engine, BeamSearchOptions options)
    : engine_(engine), options_(options) {
  options_.Validate();
  hyps_.push_back({{}, engine_.start_predictor()});
}

void SparseBeamSearch::advance(const float* enc, int64_t n, KernelProfile* profile) {
  if (n == 0) return;
  using Hyp = BeamHypothesis<SparseTransducer::PredictorState>;
  engine_.project_enc(enc, n, ep_, profile);  // [J, n]
  const int64_t V = engine_.config().vocab_size;
  for (int64_t t = 0; t < n; ++t, ++frame_) {
    auto log_probs = [&](const std::vector<Hyp>& live, std::vector<double>& out) {
      out.resize(live.size() * static_cast<size_t>(V));
      for (size_t k = 0; k < live.size(); ++k) {
        const float* z = engine_.joint_logits(ep_.data(), n, t, live[k].state, scratch_, profile);
        double* o = out.data() + k * static_cast<size_t>(V);
        double m = -INFINITY, sum = 0;
        for (int64_t v = 0; v < V; ++v) m = std::max(m, static_cast<double>(z[v]));
        for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(z[v]) - m);
        const double log_z = m + std::log(sum);
        for (int64_t v = 0; v < V; ++v) o[v] = static_cast<double>(z[v]) - log_z;
      }
    };
    auto grow = [&](const std::vector<Hyp*>& hyps, const std::vector<int64_t>& tokens) {
      for (size_t i = 0; i < hyps.size(); ++i) engine_.predict(tokens[i], hyps[i]->state, profile);
    };
    beam_detail::advance_frame(hyps_, frame_, options_, V, log_probs, grow);
  }
}

}  // namespace omnisparse
