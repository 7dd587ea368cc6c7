#include "core/decode/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/common/error.h"
#include "tests/stream/emitting_model.h"

namespace omnisparse {
namespace decoder_test {  // named: the unity build compiles this file with its siblings

torch::Tensor encode_one(Transducer& m, int64_t frames, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  return m->encode(torch::randn({1, frames, 80}), torch::tensor({frames})).enc[0];  // [T, D]
}

// Greedy search written the slow, obvious way: the predictor re-reads the whole prefix.
std::vector<int64_t> naive_greedy(Transducer& m, const torch::Tensor& enc, int max_symbols) {
  torch::NoGradGuard ng;
  std::vector<int64_t> tokens;
  for (int64_t t = 0; t < enc.size(0); ++t) {
    for (int s = 0; s < max_symbols; ++s) {
      std::vector<int64_t> prefix{0};
      prefix.insert(prefix.end(), tokens.begin(), tokens.end());
      auto pred = m->predict(torch::tensor(prefix).unsqueeze(0)).pred;  // [1, U+1, Dp]
      auto logits = m->joint(enc.unsqueeze(0).narrow(1, t, 1), pred.narrow(1, pred.size(1) - 1, 1));
      const int64_t k = logits.flatten().argmax().item<int64_t>();
      if (k == 0) break;
      tokens.push_back(k);
    }
  }
  return tokens;
}


TEST(GreedyDecode, EqualsNaiveSearchThatRereadsThePrefix) {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = test::emitting_model(seed);
    auto enc = encode_one(m, 160, seed + 100);
    for (int max_symbols : {1, 3}) {
      auto r = greedy_decode(m, enc, {max_symbols});
      EXPECT_EQ(r.tokens, naive_greedy(m, enc, max_symbols)) << seed << " " << max_symbols;
      EXPECT_GE(r.tokens.size(), 10u);  // the test model really emits
    }
  }
}

TEST(GreedyDecode, NeverEmitsMoreThanMaxSymbolsPerFrame) {
  auto m = test::emitting_model(4);
  auto enc = encode_one(m, 200, 5);
  for (int max_symbols : {1, 2, 3}) {
    auto r = greedy_decode(m, enc, {max_symbols});
    ASSERT_EQ(r.frames.size(), r.tokens.size());
    std::map<int64_t, int> per_frame;
    for (auto f : r.frames) per_frame[f]++;
    int most = 0;
    for (auto& [f, n] : per_frame) most = std::max(most, n);
    EXPECT_LE(most, max_symbols);
    EXPECT_TRUE(std::is_sorted(r.frames.begin(), r.frames.end()));
    for (auto tok : r.tokens) EXPECT_NE(tok, 0);
  }
  EXPECT_THROW(greedy_decode(m, enc, {0}), InvalidArgument);
}

TEST(GreedyDecode, ResumingOverChunksEqualsOnePass) {
  auto m = test::emitting_model(6);
  auto enc = encode_one(m, 240, 7);  // 60 frames
  auto full = greedy_decode(m, enc);
  GreedySearch search(m);
  for (int64_t t = 0, n = 1; t < enc.size(0); t += n, n = n % 5 + 1) {
    search.advance(enc.narrow(0, t, std::min(n, enc.size(0) - t)));
  }
  search.advance(enc.narrow(0, 0, 0));  // empty chunk is fine
  EXPECT_EQ(search.result().tokens, full.tokens);
  EXPECT_EQ(search.result().frames, full.frames);
  EXPECT_EQ(search.frames_seen(), 60);
}

TEST(GreedyDecode, BatchedEqualsOneUtteranceAtATime) {
  auto m = test::emitting_model(8);
  torch::manual_seed(9);
  torch::NoGradGuard ng;
  auto feats = torch::randn({4, 180, 80});
  auto feat_lens = torch::tensor({180, 97, 150, 4});
  auto [enc, lens] = m->encode(feats, feat_lens);
  auto batched = greedy_decode_batch(m, enc, lens, {2});
  ASSERT_EQ(batched.size(), 4u);
  size_t total = 0;
  for (int64_t b = 0; b < 4; ++b) {
    auto alone = greedy_decode(m, enc[b].narrow(0, 0, lens[b].item<int64_t>()), {2});
    EXPECT_EQ(batched[b].tokens, alone.tokens) << b;
    EXPECT_EQ(batched[b].frames, alone.frames) << b;
    total += alone.tokens.size();
  }
  EXPECT_GE(total, 20u);
}

}  // namespace decoder_test

}  // namespace omnisparse
