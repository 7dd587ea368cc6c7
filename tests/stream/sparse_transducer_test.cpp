// The sparse-kernel engine against the LibTorch masked model it was built from: encoder,
// predictor and joiner values to float tolerance, and the greedy tokens exactly, at several
// sparsities (including layers with empty rows) and chunk sizes; formats per layer reported.
#include "core/stream/sparse_transducer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"
#include "core/sparsity/rank_masks.h"
#include "core/stream/sparse_greedy_search.h"
#include "tests/stream/emitting_model.h"

namespace omnisparse {
namespace {

// Magnitude masks keeping the top ceil((1-s)*n) weights of every prunable layer; with
// `empty_rows`, rows [0, 10) of encoder.lstm1.w_hh and row 5 of joiner.enc_proj are fully
// pruned too (CSR rows with no entries).
void prune(Transducer& m, double s, bool empty_rows = false) {
  torch::NoGradGuard ng;
  for (const auto& l : m->prunable_layers()) {
    auto a = l.weight.abs().flatten();
    const int64_t keep = static_cast<int64_t>(std::ceil((1.0 - s) * a.numel()));
    auto mask = torch::zeros_like(l.weight);
    if (keep > 0) {
      const float thr = std::get<0>(a.topk(keep)).min().item<float>();
      mask = (l.weight.abs() >= thr).to(torch::kFloat);
    }
    if (empty_rows && l.name == "encoder.lstm1.w_hh") mask.narrow(0, 0, 10).zero_();
    if (empty_rows && l.name == "joiner.enc_proj") mask[5].zero_();
    *l.mask = mask;
  }
}

// [rows, n] feature-major -> tensor [n, rows].
at::Tensor frames(const std::vector<float>& v, int64_t rows, int64_t n) {
  return torch::from_blob(const_cast<float*>(v.data()), {rows, n}).t().clone();
}

float max_diff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<float>();
}

}  // namespace

TEST(SparseTransducer, EncoderAndJoinerProjectionEqualTorchForAnyChunking) {
  for (double s : {0.0, 0.5, 0.9}) {
    auto m = test::emitting_model(31);
    prune(m, s, /*empty_rows=*/s > 0);
    torch::manual_seed(32);
    auto feats = torch::randn({203, 80});  // 50 encoder frames + 3 frames never stacked
    torch::NoGradGuard ng;
    auto ref = m->encode(feats.unsqueeze(0), torch::tensor({203})).enc[0];  // [50, D]
    auto ref_ep = m->joiner->project_enc(ref);                              // [50, J]
    SparseTransducer engine(m);
    for (int64_t piece : {1, 7, 32, 203}) {
      auto st = engine.start_encoder();
      std::vector<at::Tensor> outs, eps;
      std::vector<float> enc, ep;
      for (int64_t t = 0; t < 203; t += piece) {
        auto f = feats.narrow(0, t, std::min(piece, 203 - t)).contiguous();
        const int64_t n = engine.encode_chunk(f.data_ptr<float>(), f.size(0), st, enc);
        engine.project_enc(enc.data(), n, ep);
        outs.push_back(frames(enc, m->config().encoder_dim, n));
        eps.push_back(frames(ep, m->config().joiner_dim, n));
      }
      EXPECT_EQ(st.frames_out, 50);
      EXPECT_LT(max_diff(torch::cat(outs), ref), 1e-4) << "sparsity " << s << " piece " << piece;
      EXPECT_LT(max_diff(torch::cat(eps), ref_ep), 1e-4) << "sparsity " << s << " piece " << piece;
    }
  }
}

TEST(SparseTransducer, PredictorAndJointEqualTorch) {
  for (double s : {0.0, 0.5, 0.9}) {
    auto m = test::emitting_model(33);
    prune(m, s);
    SparseTransducer engine(m);
    torch::NoGradGuard ng;
    auto tokens = torch::tensor({0, 3, 1, 6, 6, 2, 5, 4}).unsqueeze(0);  // [1, 8], leading blank
    auto pred = m->predict(tokens).pred[0];                              // [8, Hp]
    auto pp = m->joiner->project_pred(pred);                             // [8, J]
    auto ep = m->joiner->project_enc(torch::randn({1, m->config().encoder_dim}) * 3);  // [1, J]
    std::vector<float> ep_v(ep.data_ptr<float>(), ep.data_ptr<float>() + ep.numel()), scratch;
    auto ps = engine.start_predictor();
    for (int64_t u = 0; u < 8; ++u) {
      if (u > 0) engine.predict(tokens[0][u].item<int64_t>(), ps);
      auto got = torch::from_blob(ps.pp.data(), {m->config().joiner_dim}).clone();
      EXPECT_LT(max_diff(got, pp[u]), 1e-4) << "sparsity " << s << " step " << u;
      const int64_t want = m->joiner->combine(ep[0], pp[u]).argmax().item<int64_t>();
      EXPECT_EQ(engine.joint_argmax(ep_v.data(), 1, 0, ps, scratch), want);
    }
  }
}

namespace {

// Feeds feats [T, F] to the engine `chunk` frames at a time and each chunk's encoder frames to
// the search, as the streaming recognizer does.
void stream_in_chunks(const SparseTransducer& engine, const at::Tensor& feats, int64_t chunk,
                      SparseGreedySearch& search) {
  auto st = engine.start_encoder();
  std::vector<float> enc;
  for (int64_t t = 0; t < feats.size(0); t += chunk) {
    auto f = feats.narrow(0, t, std::min<int64_t>(chunk, feats.size(0) - t)).contiguous();
    search.advance(enc.data(), engine.encode_chunk(f.data_ptr<float>(), f.size(0), st, enc));
  }
}

}  // namespace

TEST(SparseTransducer, GreedyTokensEqualGreedyDecodeOfTheMaskedModel) {
  for (double s : {0.0, 0.5, 0.9}) {
    auto m = test::emitting_model(41);
    prune(m, s, /*empty_rows=*/true);
    torch::manual_seed(42);
    auto feats = torch::randn({331, 80});
    torch::NoGradGuard ng;
    auto full = greedy_decode(m, m->encode(feats.unsqueeze(0), torch::tensor({331})).enc[0]);
    ASSERT_GE(full.tokens.size(), 5u) << "sparsity " << s;
    SparseTransducer engine(m);
    SparseGreedySearch search(engine);
    stream_in_chunks(engine, feats, 40, search);
    EXPECT_EQ(search.result().tokens, full.tokens) << "sparsity " << s;
    EXPECT_EQ(search.result().frames, full.frames) << "sparsity " << s;
    EXPECT_EQ(search.frames_seen(), 82);
  }
}

TEST(SparseTransducer, StatelessPredictorEqualsTorchAndItsGreedyTokensMatch) {
  for (double s : {0.0, 0.8}) {
    torch::manual_seed(51);
    TransducerConfig c = test::emitting_config();
    c.predictor = "stateless";
    c.context_size = 2;
    Transducer m(c);
    m->eval();
    torch::manual_seed(52);
    auto feats = torch::randn({331, 80});
    prune(m, s);
    if (s > 0) (*m->joiner->out->mask)[0].fill_(1.0f);  // the blank row the calibration sets
    test::make_emitting(m, feats.unsqueeze(0));        // with the masks: it emits when sparse
    SparseTransducer engine(m);
    torch::NoGradGuard ng;
    auto tokens = torch::tensor({0, 3, 1, 6, 6, 2}).unsqueeze(0);
    auto pp = m->joiner->project_pred(m->predict(tokens).pred[0]);  // [6, J]
    auto ps = engine.start_predictor();
    for (int64_t u = 0; u < 6; ++u) {
      if (u > 0) engine.predict(tokens[0][u].item<int64_t>(), ps);
      auto got = torch::from_blob(ps.pp.data(), {c.joiner_dim}).clone();
      EXPECT_LT(max_diff(got, pp[u]), 1e-4) << "sparsity " << s << " step " << u;
    }
    auto full = greedy_decode(m, m->encode(feats.unsqueeze(0), torch::tensor({331})).enc[0]);
    ASSERT_GE(full.tokens.size(), 5u) << "sparsity " << s;
    SparseGreedySearch search(engine);
    stream_in_chunks(engine, feats, 40, search);
    EXPECT_EQ(search.result().tokens, full.tokens) << "sparsity " << s;
  }
}

TEST(SparseTransducer, ReportsOneFormatPerPrunableLayerAndHonoursForce) {
  auto m = test::emitting_model(37);
  prune(m, 0.95);
  SparseEngineOptions dense;
  dense.force = kernels::Format::kDense;
  SparseTransducer d(m, dense);
  const auto layers = m->prunable_layers();
  ASSERT_EQ(d.layers().size(), layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(d.layers()[i].name, layers[i].name);
    EXPECT_EQ(d.layers()[i].format, kernels::Format::kDense);
    EXPECT_EQ(d.layers()[i].rows, layers[i].rows());
    EXPECT_EQ(d.layers()[i].nnz, (layers[i].weight * *layers[i].mask).ne(0).sum().item<int64_t>());
  }
  EXPECT_EQ(kernel_summary(d.layers()), "0 sparse / 10 dense layers");
  SparseEngineOptions csr;
  csr.force = kernels::Format::kCsr;
  EXPECT_EQ(kernel_summary(SparseTransducer(m, csr).layers()), "10 sparse / 0 dense layers");
  SparseEngineOptions bad;
  bad.batch = 0;
  EXPECT_THROW(SparseTransducer e(m, bad), InvalidArgument);
  auto m64 = test::emitting_model(37);
  m64->to(torch::kDouble);
  EXPECT_THROW(SparseTransducer e(m64), InvalidArgument);
}

TEST(SparseTransducer, BlockMasksAreOfferedTheirTileShape) {
  auto m = test::emitting_model(38);
  torch::NoGradGuard ng;
  // encoder.lstm0.w_hh [96, 24]: keep every other 4x4 tile (a block4x4 mask at 50 %).
  const auto layers = m->prunable_layers();
  auto mask = torch::zeros({96, 24});
  for (int64_t r = 0; r < 96; r += 4)
    for (int64_t c = 0; c < 24; c += 4)
      if (((r + c) / 4) % 2 == 0) mask.narrow(0, r, 4).narrow(1, c, 4).fill_(1.0);
  *layers[1].mask = mask;
  SparseTransducer engine(m);
  EXPECT_EQ(engine.layers()[1].block_rows, 4);
  EXPECT_EQ(engine.layers()[1].block_cols, 4);
  EXPECT_EQ(engine.layers()[0].block_rows, 0);  // dense layer: no tile
  EXPECT_EQ(engine.layers()[1].nnz, 96 * 24 / 2);
}

}  // namespace omnisparse

namespace omnisparse {

// Block masks (the sparsity engine's block4x4 ranks, edge tiles included: 7 rows of joiner.out
// are not a multiple of 4) run on block kernels; values still equal LibTorch's.
TEST(SparseTransducer, BlockMaskedModelEqualsTorch) {
  for (double s : {0.5, 0.9, 0.95}) {
    auto m = test::emitting_model(39);
    torch::NoGradGuard ng;
    for (const auto& l : m->prunable_layers())
      *l.mask = mask_at(compute_ranks(l.weight, Granularity::Parse("block4x4")), s).to(torch::kFloat);
    torch::manual_seed(40);
    auto feats = torch::randn({160, 80});
    auto ref = m->encode(feats.unsqueeze(0), torch::tensor({160})).enc[0];  // [40, D]
    for (auto force : {std::optional<kernels::Format>{}, std::optional{kernels::Format::kDense}}) {
      SparseEngineOptions o;
      o.force = force;
      SparseTransducer engine(m, o);
      auto st = engine.start_encoder();
      std::vector<float> enc;
      const int64_t n = engine.encode_chunk(feats.data_ptr<float>(), 160, st, enc);
      EXPECT_LT(max_diff(frames(enc, m->config().encoder_dim, n), ref), 1e-4) << s;
      auto pred = m->predict(torch::tensor({0, 2, 5}).unsqueeze(0)).pred[0];
      auto pp = m->joiner->project_pred(pred);  // [3, J]
      auto ps = engine.start_predictor();
      engine.predict(2, ps);
      engine.predict(5, ps);
      EXPECT_LT(max_diff(torch::from_blob(ps.pp.data(), {m->config().joiner_dim}).clone(), pp[2]),
                1e-4) << s;
    }
  }
}

}  // namespace omnisparse
