// The streaming recognizer on our kernels (Kernels::kAuto) against LibTorch (Kernels::kTorch)
// and the full-utterance greedy decode, for pruned models; and an exported sub-network, which
// reaches the kernels through the same recognizer, against the masked supernet.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/common/error.h"
#include "core/decode/beam_search.h"
#include "core/eval/model_file.h"
#include "core/sparsity/rank_set.h"
#include "core/stream/streaming_recognizer.h"
#include "tests/stream/emitting_model.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace streaming_kernels_test {  // named: the unity build compiles this file with its siblings

std::vector<std::string> symbols(int64_t v) {
  std::vector<std::string> s{""};
  for (int64_t i = 1; i < v; ++i) s.push_back(std::string(1, static_cast<char>('a' + i - 1)));
  return s;
}

void prune(Transducer& m, double s) {
  torch::NoGradGuard ng;
  for (const auto& l : m->prunable_layers()) {
    auto a = l.weight.abs().flatten();
    const int64_t keep = static_cast<int64_t>(std::ceil((1.0 - s) * a.numel()));
    const float thr = std::get<0>(a.topk(std::max<int64_t>(1, keep))).min().item<float>();
    *l.mask = (l.weight.abs() >= thr).to(torch::kFloat);
    if (l.name == "predictor.lstm0.w_hh") l.mask->narrow(0, 0, 8).zero_();  // empty rows
  }
}

RecognitionResult run(const StreamingRecognizer& rec, const at::Tensor& feats, int64_t piece) {
  auto s = rec.create_stream();
  for (int64_t t = 0; t < feats.size(0); t += piece) {
    s->accept_features(feats.narrow(0, t, std::min(piece, feats.size(0) - t)));
    s->decode();
  }
  s->input_finished();
  s->decode();
  return s->result();
}

StreamingOptions opts(double chunk_ms, Kernels k) {
  StreamingOptions o;
  o.chunk_ms = chunk_ms;
  o.kernels = k;
  return o;
}


TEST(StreamingKernels, KernelPathTokensEqualTorchPathAndFullDecodeAtAnySparsity) {
  for (double s : {0.0, 0.5, 0.9}) {
    auto m = test::emitting_model(41);
    prune(m, s);
    torch::manual_seed(42);
    auto feats = torch::randn({331, 80});
    torch::NoGradGuard ng;
    auto full = greedy_decode(m, m->encode(feats.unsqueeze(0), torch::tensor({331})).enc[0]);
    ASSERT_GE(full.tokens.size(), 5u) << s;
    for (double chunk_ms : {10.0, 40.0, 320.0, 100000.0}) {
      StreamingRecognizer torch_rec(m, symbol_table(symbols(7)), opts(chunk_ms, Kernels::kTorch));
      StreamingRecognizer auto_rec(m, symbol_table(symbols(7)), opts(chunk_ms, Kernels::kAuto));
      StreamingRecognizer dense_rec(m, symbol_table(symbols(7)), opts(chunk_ms, Kernels::kDense));
      ASSERT_EQ(torch_rec.engine(), nullptr);
      ASSERT_NE(auto_rec.engine(), nullptr);
      for (int64_t piece : {13, 400}) {
        auto want = run(torch_rec, feats, piece);
        EXPECT_EQ(want.tokens, full.tokens) << s << " " << chunk_ms;
        auto got = run(auto_rec, feats, piece);
        EXPECT_EQ(got.tokens, full.tokens) << "sparsity " << s << " chunk " << chunk_ms;
        EXPECT_EQ(got.timestamps, want.timestamps);
        EXPECT_EQ(got.text, want.text);
        EXPECT_TRUE(got.final);
        EXPECT_EQ(run(dense_rec, feats, piece).tokens, full.tokens);
      }
    }
  }
}

// options.beam > 1: the streamed result, on LibTorch and on our kernels, equals beam_search
// over the whole utterance's encoder frames, for pruned models and any chunk size; the search
// differs from greedy on these models (several hypotheses were in play).
TEST(StreamingKernels, BeamSearchStreamsLikeTheFullUtteranceBeamSearchOnEveryPath) {
  int differs = 0;
  for (double s : {0.0, 0.9}) {
    auto m = test::emitting_model(43);
    prune(m, s);
    torch::manual_seed(44);
    auto feats = torch::randn({331, 80});
    torch::NoGradGuard ng;
    auto enc = m->encode(feats.unsqueeze(0), torch::tensor({331})).enc[0];
    auto full = beam_search(m, enc, {4, 3});
    ASSERT_GE(full.tokens.size(), 5u) << s;
    differs += full.tokens != greedy_decode(m, enc).tokens;
    for (double chunk_ms : {10.0, 320.0, 100000.0}) {
      for (Kernels k : {Kernels::kTorch, Kernels::kAuto, Kernels::kDense}) {
        StreamingOptions o = opts(chunk_ms, k);
        o.beam = 4;
        StreamingRecognizer rec(m, symbol_table(symbols(7)), o);
        for (int64_t piece : {13, 400}) {
          auto got = run(rec, feats, piece);
          EXPECT_EQ(got.tokens, full.tokens)
              << "sparsity " << s << " chunk " << chunk_ms << " kernels " << kernels_name(k);
          ASSERT_EQ(got.timestamps.size(), full.frames.size());
          for (size_t i = 0; i < full.frames.size(); ++i)
            EXPECT_DOUBLE_EQ(got.timestamps[i], static_cast<double>(full.frames[i]) * 0.04);
          EXPECT_TRUE(got.final);
        }
      }
    }
  }
  EXPECT_GT(differs, 0) << "beam search found nothing greedy did not: the test shows nothing";
  StreamingOptions bad;
  bad.beam = -1;
  EXPECT_THROW(bad.Validate(), InvalidArgument);
}

TEST(StreamingKernels, DescribesWhichKernelsRun) {
  auto m = test::emitting_model(43);
  prune(m, 0.9);
  StreamingRecognizer t(m, symbol_table(symbols(7)), opts(320, Kernels::kTorch));
  EXPECT_EQ(t.kernels_description(), "kernels: torch");
  StreamingRecognizer d(m, symbol_table(symbols(7)), opts(320, Kernels::kDense));
  EXPECT_EQ(d.kernels_description(), "kernels: 0 sparse / 10 dense layers");
  StreamingRecognizer a(m, symbol_table(symbols(7)), opts(320, Kernels::kAuto));
  EXPECT_EQ(a.kernels_description(), "kernels: " + kernel_summary(a.engine()->layers()));
  EXPECT_STREQ(kernels_name(Kernels::kAuto), "auto");
}

TEST(StreamingKernels, ProfileCountsThePrunedLayerMultiplies) {
  auto m = test::emitting_model(44);
  StreamingRecognizer rec(m, symbol_table(symbols(7)), opts(400, Kernels::kAuto));
  torch::manual_seed(45);
  auto feats = torch::randn({40, 80});  // one chunk of 10 encoder frames
  KernelProfile p;
  auto s = rec.create_stream();
  s->set_kernel_profile(&p);
  s->accept_features(feats);
  s->input_finished();
  s->decode();
  const int64_t tokens = static_cast<int64_t>(s->result().tokens.size());
  ASSERT_GT(tokens, 0);
  // A frame that emitted max_symbols_per_frame (3) tokens ends without a blank joint.
  std::map<double, int> per_frame;
  for (double ts : s->result().timestamps) ++per_frame[ts];
  int64_t capped = 0;
  for (auto [ts, k] : per_frame) capped += k == 3;
  // One chunk: 2 encoder layers x (1 W_ih + 10 W_hh) + encoder.proj + joiner.enc_proj; per
  // token: 2 predictor matrices + pred_proj; joiner.out per joint (one per token, one blank
  // per frame that did not hit the cap).
  EXPECT_EQ(p.calls, 2 * 11 + 2 + 3 * tokens + tokens + 10 - capped);
  EXPECT_GT(p.pruned_s, 0.0);
}

// An exported sub-network (pruned weights stored sparse, loaded back without masks) decodes on
// the kernels exactly like the masked supernet it came from.
TEST(StreamingKernels, ExportedSubnetworkEqualsTheSupernetThroughTheKernels) {
  test::TempDir dir;
  FeatureStats stats(80);
  stats.accumulate(at::randn({50, 80}));
  stats.finalize();
  RunModel rm;
  rm.bundle = ModelBundle::Create(test::emitting_config(29), stats);
  {
    torch::NoGradGuard ng;
    auto src = test::emitting_model(46, 29)->named_parameters();
    for (auto& p : rm.bundle.model->named_parameters()) p.value().copy_(src[p.key()]);
  }
  rm.bundle.model->eval();
  const PrunableLayers layers = rm.bundle.model->prunable_layers();
  rm.specs = specs_of(layers);
  RankSet ranks(Granularity::Unstructured());
  ranks.refresh(layers);
  ranks.freeze();
  rm.ranks = std::move(ranks);
  rm.run = "runs/unit";
  rm.mode = "omni";
  torch::manual_seed(47);
  auto feats = torch::randn({331, 80});
  for (double s : {0.5, 0.8}) {
    const auto path = dir / ("s" + std::to_string(static_cast<int>(s * 100)) + ".safetensors");
    export_model(rm, rm.uniform(s), path);  // leaves the masks of `s` selected
    StreamingRecognizer supernet(rm.bundle.model, symbol_table(symbols(29)));
    LoadedExport e = load_export(path);
    StreamingRecognizer exported(e.bundle.model, symbol_table(symbols(29)));
    ASSERT_NE(exported.engine(), nullptr);
    auto want = run(supernet, feats, 32);
    EXPECT_GE(want.tokens.size(), 3u) << s;
    EXPECT_EQ(run(exported, feats, 32).tokens, want.tokens) << s;
    // Same weights after masking -> the same matrices, formats and nnz per layer.
    ASSERT_EQ(exported.engine()->layers().size(), supernet.engine()->layers().size());
    for (size_t i = 0; i < supernet.engine()->layers().size(); ++i)
      EXPECT_EQ(exported.engine()->layers()[i].nnz, supernet.engine()->layers()[i].nnz);
    // And the torch path over the export agrees too.
    StreamingOptions t;
    t.kernels = Kernels::kTorch;
    EXPECT_EQ(run(StreamingRecognizer(e.bundle.model, symbol_table(symbols(29)), t), feats, 32).tokens,
              want.tokens);
  }
}

}  // namespace streaming_kernels_test

}  // namespace omnisparse
