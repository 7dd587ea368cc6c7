// The beam search's options, its hypotheses and one frame of its algorithm, independent of
// what runs the model: BeamSearch (core/decode/beam_search.h) runs it on LibTorch, batched over
// the hypotheses; SparseBeamSearch (core/stream/sparse_beam_search.h) on our kernels, one
// hypothesis at a time. The algorithm is described in beam_search.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <vector>

#include "core/decode/decoder.h"
#include "core/model/transducer.h"

namespace omnisparse {

struct BeamSearchOptions {
  int beam = 4;
  int max_symbols_per_frame = 3;  // the greedy search's default (decoder.h)
  void Validate() const;  // InvalidArgument unless beam >= 1 and max_symbols_per_frame >= 1
};

// A hypothesis: its tokens, frames and log-probability, and the predictor state after its last
// token (whatever the engine keeps: LibTorch tensors or our kernels' vectors).
template <class State>
struct BeamHypothesis {
  DecodeResult result;
  State state;
};

namespace beam_detail {

inline double log_add(double a, double b) {
  const double m = std::max(a, b);
  if (m == -INFINITY) return m;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

// Indices of the k largest scores, best first; on ties the lower index first (as argmax).
inline std::vector<int64_t> top_k(const std::vector<double>& scores, int64_t k) {
  std::vector<int64_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<int64_t>(k, static_cast<int64_t>(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  idx.resize(static_cast<size_t>(k));
  return idx;
}

// The k-th largest log_prob of `hyps` (1-based), or -inf when there are fewer than k.
template <class State>
double kth_best(const std::vector<BeamHypothesis<State>>& hyps, int k) {
  if (static_cast<int>(hyps.size()) < k) return -INFINITY;
  std::vector<double> lp;
  lp.reserve(hyps.size());
  for (const auto& h : hyps) lp.push_back(h.result.log_prob);
  std::nth_element(lp.begin(), lp.begin() + (k - 1), lp.end(), std::greater<>());
  return lp[static_cast<size_t>(k - 1)];
}

// One encoder frame: `hyps` (the beam after the previous frame) become the beam after `frame`.
//   log_probs(live, out): out[k * V + v] = log P(v | frame, live[k]) for every live hypothesis
//   grow(hyps, tokens):   the predictor state of *hyps[i] consumes tokens[i]
template <class State, class LogProbs, class Grow>
void advance_frame(std::vector<BeamHypothesis<State>>& hyps, int64_t frame,
                   const BeamSearchOptions& options, int64_t V, LogProbs&& log_probs,
                   Grow&& grow) {
  using Hyp = BeamHypothesis<State>;
  constexpr int64_t kBlank = TransducerConfig::kBlank;
  const int beam = options.beam;
  std::vector<Hyp> done;  // hypotheses that ended this frame, distinct token sequences
  std::map<std::vector<int64_t>, size_t> done_at;
  std::vector<Hyp> live = std::move(hyps);  // still in this frame
  std::vector<double> lp;
  for (int s = 0; s < options.max_symbols_per_frame && !live.empty(); ++s) {
    const bool last = s + 1 == options.max_symbols_per_frame;
    log_probs(static_cast<const std::vector<Hyp>&>(live), lp);  // [K * V]
    for (size_t k = 0; k < live.size(); ++k) {
      for (int64_t v = 0; v < V; ++v) lp[k * V + v] += live[k].result.log_prob;
    }
    const double floor = kth_best(done, beam);  // a live extension below it cannot make the beam

    std::vector<Hyp> next;
    std::vector<std::pair<bool, size_t>> grown;  // (in done?, index) of extensions with a new token
    std::vector<int64_t> tokens_grown;
    for (const int64_t flat : top_k(lp, beam)) {
      const double score = lp[flat];
      const Hyp& parent = live[static_cast<size_t>(flat / V)];
      const int64_t v = flat % V;
      const bool ends_frame = v == kBlank || last;
      if (!ends_frame && score < floor) continue;
      std::vector<int64_t> tokens = parent.result.tokens;
      if (v != kBlank) tokens.push_back(v);
      if (ends_frame) {
        auto it = done_at.find(tokens);
        if (it != done_at.end()) {  // same token sequence by another path: merge
          done[it->second].result.log_prob = log_add(done[it->second].result.log_prob, score);
          continue;
        }
      }
      Hyp h = parent;
      h.result.log_prob = score;
      if (v != kBlank) {
        h.result.tokens = tokens;
        h.result.frames.push_back(frame);
      }
      auto& into = ends_frame ? done : next;
      if (v != kBlank) {
        grown.emplace_back(ends_frame, into.size());
        tokens_grown.push_back(v);
      }
      if (ends_frame) done_at.emplace(std::move(tokens), done.size());
      into.push_back(std::move(h));
    }
    if (!grown.empty()) {
      std::vector<Hyp*> targets;
      for (const auto& [in_done, i] : grown) targets.push_back(in_done ? &done[i] : &next[i]);
      grow(targets, tokens_grown);
    }
    live = std::move(next);
  }
  if (static_cast<int>(done.size()) > beam) {
    std::partial_sort(done.begin(), done.begin() + beam, done.end(),
                      [](const Hyp& a, const Hyp& b) { return a.result.log_prob > b.result.log_prob; });
    done.resize(static_cast<size_t>(beam));
  }
  hyps = std::move(done);
}

// The most probable hypothesis of a non-empty beam.
template <class State>
const DecodeResult& best(const std::vector<BeamHypothesis<State>>& hyps) {
  return std::max_element(hyps.begin(), hyps.end(), [](const auto& a, const auto& b) {
           return a.result.log_prob < b.result.log_prob;
         })->result;
}

}  // namespace beam_detail
}  // namespace omnisparse
