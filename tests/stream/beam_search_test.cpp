#include "core/decode/beam_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <set>

#include "core/common/error.h"
#include "core/eval/evaluator.h"
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

// With beam 1 only the best extension of each sub-step survives: greedy search, symbol for
// symbol, for any number of symbols per frame.
TEST(BeamSearch, BeamOneIsGreedy) {
  for (uint64_t seed : {11, 12}) {
    auto m = test::emitting_model(seed);
    auto enc = encode_one(m, 200, seed);
    for (int S : {1, 2, 3}) {
      auto beam = beam_search(m, enc, {1, S});
      auto greedy = greedy_decode(m, enc, {S});
      EXPECT_EQ(beam.tokens, greedy.tokens) << "S " << S;
      EXPECT_EQ(beam.frames, greedy.frames) << "S " << S;
      EXPECT_GE(greedy.tokens.size(), 5u);
    }
  }
}

// The probability the search assigns to a frame's outcomes: up to S symbols, each ended by blank
// except the S-th (which ends the frame as greedy search's S-th symbol does). Enumerates every
// such path through `frames` frames and sums the probability of each token sequence.
void enumerate(Transducer& m, const torch::Tensor& enc, int64_t t, int S, int s,
               std::vector<int64_t>& tokens, double logp,
               std::map<std::vector<int64_t>, double>& seq_logp) {
  if (t == enc.size(0)) {
    auto it = seq_logp.find(tokens);
    seq_logp[tokens] = it == seq_logp.end() ? logp : log_add(it->second, logp);
    return;
  }
  std::vector<int64_t> prefix{0};
  prefix.insert(prefix.end(), tokens.begin(), tokens.end());
  auto pred = m->predict(torch::tensor(prefix).unsqueeze(0)).pred;
  auto lp = m->joint(enc.unsqueeze(0).narrow(1, t, 1), pred.narrow(1, pred.size(1) - 1, 1))
                .flatten()
                .log_softmax(0)
                .to(torch::kDouble);
  for (int64_t v = 0; v < lp.size(0); ++v) {
    const double l = logp + lp[v].item<double>();
    if (v == 0) {
      enumerate(m, enc, t + 1, S, 0, tokens, l, seq_logp);
      continue;
    }
    tokens.push_back(v);
    if (s + 1 == S) enumerate(m, enc, t + 1, S, 0, tokens, l, seq_logp);  // the S-th symbol
    else enumerate(m, enc, t, S, s + 1, tokens, l, seq_logp);
    tokens.pop_back();
  }
}

// With a beam wider than the number of hypotheses nothing is pruned, so the search must return
// the token sequence of highest total probability (summed over its alignments), which we find
// by enumerating all paths: V^T with one symbol per frame, (1 + (V-1) V)^T with two.
TEST(BeamSearch, WideBeamFindsMostProbableSequenceByEnumeration) {
  const int64_t V = 4, T = 3;
  auto m = test::emitting_model(13, V);
  auto enc = encode_one(m, 4 * T, 14);  // [3, D]
  torch::NoGradGuard ng;
  for (int S : {1, 2, 3}) {
    SCOPED_TRACE("max_symbols_per_frame " + std::to_string(S));
    const auto e = enc.narrow(0, 0, S == 3 ? 2 : T);  // 40^3 paths would take seconds
    std::map<std::vector<int64_t>, double> seq_logp;
    std::vector<int64_t> tokens;
    enumerate(m, e, 0, S, 0, tokens, 0.0, seq_logp);
    auto best = std::max_element(seq_logp.begin(), seq_logp.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    auto r = beam_search(m, e, {4096, S});
    EXPECT_EQ(r.tokens, best->first);
    EXPECT_NEAR(r.log_prob, best->second, 1e-5);
    // Probabilities over all sequences sum to one: nothing was lost or double counted.
    double total = -INFINITY;
    for (auto& [s, lp] : seq_logp) total = log_add(total, lp);
    EXPECT_NEAR(total, 0.0, 1e-6);
    if (S > 1) {  // several symbols in a frame are possible and were found
      size_t longest = 0;
      for (auto& [s, lp] : seq_logp) longest = std::max(longest, s.size());
      EXPECT_EQ(longest, static_cast<size_t>(S * e.size(0)));
    }
  }
}

// Where greedy search emits several symbols in one frame, so does the beam search with S = 3;
// with S = 1 no frame has two.
TEST(BeamSearch, SeveralSymbolsPerFrame) {
  auto same_frame = [](const DecodeResult& r) {
    int64_t n = 0;  // tokens that share their frame with the one before
    for (size_t i = 1; i < r.frames.size(); ++i) n += r.frames[i] == r.frames[i - 1];
    return n;
  };
  for (uint64_t seed : {21, 22, 23}) {
    auto m = test::emitting_model(seed);
    auto enc = encode_one(m, 200, seed);  // 50 frames
    ASSERT_GT(same_frame(greedy_decode(m, enc, {3})), 0) << "the model must emit several symbols in a frame";
    EXPECT_EQ(same_frame(beam_search(m, enc, {4, 1})), 0);
    EXPECT_GT(same_frame(beam_search(m, enc, {4, 3})), 0);
  }
}

TEST(BeamSearch, ResumingOverChunksEqualsOnePassAndMergesHypotheses) {
  auto m = test::emitting_model(15);
  auto enc = encode_one(m, 160, 16);  // 40 frames
  auto full = beam_search(m, enc, {4});
  BeamSearch search(m, {4});
  for (int64_t t = 0; t < enc.size(0); t += 7) search.advance(enc.narrow(0, t, std::min<int64_t>(7, enc.size(0) - t)));
  EXPECT_EQ(search.best().tokens, full.tokens);
  EXPECT_NEAR(search.best().log_prob, full.log_prob, 1e-4);  // float32 joiner
  EXPECT_LE(search.hypotheses().size(), 4u);
  std::set<std::vector<int64_t>> distinct;
  for (auto& h : search.hypotheses()) distinct.insert(h.result.tokens);
  EXPECT_EQ(distinct.size(), search.hypotheses().size());  // merged: no duplicate sequences
  EXPECT_THROW(beam_search(m, enc, {0}), InvalidArgument);
  EXPECT_THROW(beam_search(m, enc, {4, 0}), InvalidArgument);
}

// `eval --beam N --max-symbols S`: the evaluator's batched encoder (padded batches, sorted by
// length) feeds each utterance's own frames to the same beam search with the same limit.
TEST(BeamSearch, EvaluatorDecodesEveryUtteranceWithTheGivenBeamAndSymbolLimit) {
  torch::manual_seed(31);
  ModelBundle b = test::emitting_bundle(32);
  EvalSet set;
  for (int64_t n : {120, 64, 200}) {
    set.feats.push_back(at::randn({n, 80}));
    Utterance u;
    u.id = "u" + std::to_string(n);
    set.utts.push_back(u);
    set.audio_s += static_cast<double>(n) / 100.0;
  }
  std::set<std::string> distinct;
  for (int S : {1, 3}) {
    EvalOptions o;
    o.beam = 4;
    o.max_symbols_per_frame = S;
    const EvalReport r = evaluate(b, set, o);
    ASSERT_EQ(r.utterances.size(), set.size());
    for (size_t i = 0; i < set.size(); ++i) {
      torch::NoGradGuard ng;
      const int64_t n = set.feats[i].size(0);
      auto enc = b.model->encode(b.stats.apply(set.feats[i]).unsqueeze(0), torch::tensor({n})).enc[0];
      const auto expect = b.tokenizer.decode(beam_search(b.model, enc, {4, S}).tokens);
      EXPECT_EQ(r.utterances[i].hyp, expect) << "S " << S << ", " << set.utts[i].id;
      EXPECT_FALSE(expect.empty());
      distinct.insert(expect);
    }
  }
  EXPECT_GT(distinct.size(), set.size());  // the limit changed some hypothesis
}

}  // namespace omnisparse
