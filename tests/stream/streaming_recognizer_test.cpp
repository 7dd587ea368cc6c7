#include "core/stream/streaming_recognizer.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "tests/stream/emitting_model.h"

namespace omnisparse {
namespace {

std::vector<std::string> symbols() { return {"<blank>", " ", "a", "b", "c", "d", "e"}; }

StreamingOptions chunked(double chunk_ms) {
  StreamingOptions o;
  o.chunk_ms = chunk_ms;
  return o;
}

DecodeResult full_decode(Transducer& m, const torch::Tensor& feats /*[T, F]*/) {
  torch::NoGradGuard ng;
  auto enc = m->encode(feats.unsqueeze(0), torch::tensor({feats.size(0)})).enc[0];
  return greedy_decode(m, enc);
}

// Feeds `feats` in pieces of `piece` frames, decoding after each, and returns the final result.
RecognitionResult stream_decode(const StreamingRecognizer& rec, const torch::Tensor& feats,
                                int64_t piece) {
  auto s = rec.create_stream();
  for (int64_t t = 0; t < feats.size(0); t += piece) {
    s->accept_features(feats.narrow(0, t, std::min(piece, feats.size(0) - t)));
    s->decode();
    EXPECT_FALSE(s->result().final);
  }
  s->input_finished();
  s->decode();
  EXPECT_FALSE(s->is_ready());
  EXPECT_EQ(s->frames_decoded(), feats.size(0));
  return s->result();
}

}  // namespace

TEST(StreamingRecognizer, StreamedTokensEqualFullUtteranceGreedyForAnyChunkSize) {
  for (uint64_t seed : {21, 22}) {
    auto m = test::emitting_model(seed);
    torch::manual_seed(seed + 1);
    auto feats = torch::randn({331, 80});  // 82 encoder frames + 3 dropped frames
    auto full = full_decode(m, feats);
    ASSERT_GE(full.tokens.size(), 10u);
    for (double chunk_ms : {10.0, 30.0, 40.0, 70.0, 320.0, 100000.0}) {
      for (int64_t piece : {1, 13, 400}) {
        StreamingRecognizer rec(m, symbol_table(symbols()), chunked(chunk_ms));
        auto r = stream_decode(rec, feats, piece);
        EXPECT_EQ(r.tokens, full.tokens) << "chunk_ms " << chunk_ms << " piece " << piece;
        EXPECT_TRUE(r.final);
      }
    }
  }
}

TEST(StreamingRecognizer, PartialResultsArePrefixesOfTheFinalResult) {
  auto m = test::emitting_model(23);
  torch::manual_seed(24);
  auto feats = torch::randn({400, 80});
  StreamingRecognizer rec(m, symbol_table(symbols()), chunked(160));
  auto s = rec.create_stream();
  std::vector<std::vector<int64_t>> partials;
  for (int64_t t = 0; t < 400; t += 40) {
    s->accept_features(feats.narrow(0, t, 40));
    s->decode();
    partials.push_back(s->result().tokens);
  }
  s->input_finished();
  s->decode();
  auto final_tokens = s->result().tokens;
  for (auto& p : partials) {
    ASSERT_LE(p.size(), final_tokens.size());
    EXPECT_TRUE(std::equal(p.begin(), p.end(), final_tokens.begin()));
  }
  EXPECT_LT(partials.front().size(), final_tokens.size());
}

TEST(StreamingRecognizer, TextTimestampsAndNormalisation) {
  auto m = test::emitting_model(25);
  torch::manual_seed(26);
  auto feats = torch::randn({200, 80}) * 3 + 1;
  auto mean = torch::full({80}, 1.0), std = torch::full({80}, 3.0);
  auto normalize = [&](const at::Tensor& f) { return (f - mean) / std; };
  StreamingRecognizer rec(m, symbol_table(symbols()), chunked(80), normalize);
  auto r = stream_decode(rec, feats, 17);
  auto full = full_decode(m, normalize(feats));
  EXPECT_EQ(r.tokens, full.tokens);
  ASSERT_EQ(r.timestamps.size(), full.frames.size());
  std::string text;
  for (size_t i = 0; i < full.tokens.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.timestamps[i], full.frames[i] * 0.04);
    text += symbols()[full.tokens[i]];
  }
  EXPECT_EQ(r.text, text);
  EXPECT_FALSE(text.empty());
}

TEST(StreamingRecognizer, BadUseGivesClearErrors) {
  auto m = test::emitting_model(27);
  EXPECT_THROW(StreamingRecognizer(m, symbol_table(symbols()), chunked(0)), InvalidArgument);
  EXPECT_THROW(StreamingRecognizer(m, {}), InvalidArgument);
  StreamingRecognizer rec(m, symbol_table(symbols()));
  EXPECT_EQ(rec.options().chunk_frames(), 32);
  auto s = rec.create_stream();
  EXPECT_THROW(s->accept_features(torch::randn({5, 40})), InvalidArgument);
  s->input_finished();
  EXPECT_THROW(s->accept_features(torch::randn({5, 80})), InvalidArgument);
  EXPECT_THROW(symbol_table({"a"})({3}), InvalidArgument);
}

}  // namespace omnisparse
