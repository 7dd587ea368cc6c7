#include "core/decode/beam_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <set>

#include "core/common/error.h"
#include "tests/stream/emitting_model.h"

namespace omnisparse {
namespace {

torch::Tensor encode_one(Transducer& m, int64_t frames, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  return m->encode(torch::randn({1, frames, 80}), torch::tensor({frames})).enc[0];  // [T, D]
}

double log_add(double a, double b) {
  const double mx = std::max(a, b);
  return mx == -INFINITY ? mx : mx + std::log(std::exp(a - mx) + std::exp(b - mx));
}

}  // namespace

TEST(ModifiedBeamSearch, BeamOneIsGreedyWithOneSymbolPerFrame) {
  for (uint64_t seed : {11, 12}) {
    auto m = test::emitting_model(seed);
    auto enc = encode_one(m, 200, seed);
    auto beam = modified_beam_search(m, enc, {1});
    auto greedy = greedy_decode(m, enc, {1});
    EXPECT_EQ(beam.tokens, greedy.tokens);
    EXPECT_EQ(beam.frames, greedy.frames);
    EXPECT_GE(greedy.tokens.size(), 5u);
  }
}

// With a beam wider than the number of hypotheses nothing is pruned, so the search must return
// the token sequence of highest total probability (summed over its one-symbol-per-frame
// alignments), which we find by enumerating all V^T alignments.
TEST(ModifiedBeamSearch, WideBeamFindsMostProbableSequenceByEnumeration) {
  const int64_t V = 4, T = 3;
  auto m = test::emitting_model(13, V);
  auto enc = encode_one(m, 4 * T, 14);  // [3, D]
  torch::NoGradGuard ng;
  std::map<std::vector<int64_t>, double> seq_logp;
  for (int64_t code = 0; code < V * V * V; ++code) {
    std::vector<int64_t> tokens{};
    double logp = 0;
    for (int64_t t = 0, c = code; t < T; ++t, c /= V) {
      const int64_t v = c % V;
      std::vector<int64_t> prefix{0};
      prefix.insert(prefix.end(), tokens.begin(), tokens.end());
      auto pred = m->predict(torch::tensor(prefix).unsqueeze(0)).pred;
      auto lp = m->joint(enc.unsqueeze(0).narrow(1, t, 1), pred.narrow(1, pred.size(1) - 1, 1))
                    .flatten()
                    .log_softmax(0)
                    .to(torch::kDouble);
      logp += lp[v].item<double>();
      if (v != 0) tokens.push_back(v);
    }
    auto it = seq_logp.find(tokens);
    seq_logp[tokens] = it == seq_logp.end() ? logp : log_add(it->second, logp);
  }
  auto best = std::max_element(seq_logp.begin(), seq_logp.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  auto r = modified_beam_search(m, enc, {64});
  EXPECT_EQ(r.tokens, best->first);
  EXPECT_NEAR(r.log_prob, best->second, 1e-5);
  // Probabilities over all sequences sum to one: nothing was lost or double counted.
  double total = -INFINITY;
  for (auto& [s, lp] : seq_logp) total = log_add(total, lp);
  EXPECT_NEAR(total, 0.0, 1e-6);
}

TEST(ModifiedBeamSearch, ResumingOverChunksEqualsOnePassAndMergesHypotheses) {
  auto m = test::emitting_model(15);
  auto enc = encode_one(m, 160, 16);  // 40 frames
  auto full = modified_beam_search(m, enc, {4});
  BeamSearch search(m, {4});
  for (int64_t t = 0; t < enc.size(0); t += 7) search.advance(enc.narrow(0, t, std::min<int64_t>(7, enc.size(0) - t)));
  EXPECT_EQ(search.best().tokens, full.tokens);
  EXPECT_NEAR(search.best().log_prob, full.log_prob, 1e-4);  // float32 joiner
  EXPECT_LE(search.hypotheses().size(), 4u);
  std::set<std::vector<int64_t>> distinct;
  for (auto& h : search.hypotheses()) distinct.insert(h.result.tokens);
  EXPECT_EQ(distinct.size(), search.hypotheses().size());  // merged: no duplicate sequences
  EXPECT_THROW(modified_beam_search(m, enc, {0}), InvalidArgument);
}

}  // namespace omnisparse
