#include "core/model/transducer.h"

#include <gtest/gtest.h>

#include <set>

#include "core/common/error.h"

namespace omnisparse {
namespace {

TransducerConfig small_test_config() {
  TransducerConfig c;
  c.input_dim = 24;
  c.encoder_layers = 2;
  c.encoder_hidden = 20;
  c.encoder_dim = 16;
  c.predictor_embed = 8;
  c.predictor_layers = 2;
  c.predictor_hidden = 12;
  c.joiner_dim = 14;
  c.vocab_size = 7;
  c.dropout = 0.0;
  return c;
}

// Copies every parameter of `from` into `to` (same config).
void copy_weights(Transducer& from, Transducer& to) {
  torch::NoGradGuard ng;
  auto src = from->named_parameters();
  for (auto& p : to->named_parameters()) p.value().copy_(src[p.key()]);
}

}  // namespace

TEST(Transducer, TinyPresetHasExactlyTheExpectedParameterCount) {
  Transducer m(preset("tiny"));
  // input_proj 320*160+160, encoder LSTM 4H(I+H)+8H per layer, encoder_proj, embedding,
  // predictor LSTM, joiner enc/pred/out projections.
  auto lstm = [](int64_t in, int64_t h) { return 4 * h * (in + h) + 8 * h; };
  const int64_t expect = (320 * 160 + 160) + lstm(160, 256) + 2 * lstm(256, 256) +
                         (256 * 192 + 192) + 29 * 64 + lstm(64, 160) + (192 * 192 + 192) +
                         (160 * 192 + 192) + (192 * 29 + 29);
  EXPECT_EQ(m->num_parameters(), expect);
  EXPECT_GE(m->num_parameters(), 1'000'000);
  EXPECT_LE(m->num_parameters(), 2'000'000);
}

TEST(Transducer, PresetSizes) {
  const int64_t small = Transducer(preset("small"))->num_parameters();
  const int64_t medium = Transducer(preset("medium"))->num_parameters();
  EXPECT_GE(small, 5'000'000);
  EXPECT_LE(small, 10'000'000);
  EXPECT_GE(medium, 20'000'000);
  EXPECT_LE(medium, 99'000'000);
}

TEST(Transducer, PrunableLayersHaveStableNamesShapesAndOrder) {
  Transducer m(preset("tiny"));
  auto layers = m->prunable_layers();
  std::vector<std::string> names;
  for (auto& l : layers) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "encoder.lstm0.w_ih", "encoder.lstm0.w_hh", "encoder.lstm1.w_ih",
                       "encoder.lstm1.w_hh", "encoder.lstm2.w_ih", "encoder.lstm2.w_hh",
                       "encoder.proj", "predictor.lstm0.w_ih", "predictor.lstm0.w_hh",
                       "joiner.enc_proj", "joiner.pred_proj", "joiner.out"}));
  EXPECT_EQ(layers[0].weight.sizes(), (std::vector<int64_t>{1024, 160}));
  EXPECT_EQ(layers[1].weight.sizes(), (std::vector<int64_t>{1024, 256}));
  EXPECT_EQ(layers[6].weight.sizes(), (std::vector<int64_t>{192, 256}));
  EXPECT_EQ(layers[7].weight.sizes(), (std::vector<int64_t>{640, 64}));
  EXPECT_EQ(layers[11].weight.sizes(), (std::vector<int64_t>{29, 192}));
  std::map<std::string, int> groups;
  for (auto& l : layers) {
    EXPECT_EQ(l.weight.dim(), 2) << l.name;
    groups[l.group]++;
  }
  EXPECT_EQ(groups, (std::map<std::string, int>{{"encoder", 7}, {"predictor", 2}, {"joiner", 3}}));
  // Every 2-D parameter except the input projection and the embedding is prunable, each once.
  std::set<const void*> prunable;
  for (auto& l : layers) prunable.insert(l.weight.unsafeGetTensorImpl());
  EXPECT_EQ(prunable.size(), layers.size());
  for (auto& p : m->named_parameters()) {
    const bool exempt = p.key() == "input_proj.weight" || p.key() == "embedding.weight";
    if (p.value().dim() == 2 && !exempt) {
      EXPECT_TRUE(prunable.count(p.value().unsafeGetTensorImpl())) << p.key();
    }
  }
  // Same names on a second instance.
  auto again = Transducer(preset("tiny"))->prunable_layers();
  for (size_t i = 0; i < layers.size(); ++i) EXPECT_EQ(again[i].name, layers[i].name);
}

TEST(Transducer, ShapesOfEncodePredictJointAndFloorLengths) {
  torch::manual_seed(10);
  Transducer m(small_test_config());
  auto feats = torch::randn({2, 23, 80});
  auto [enc, lens] = m->encode(feats, torch::tensor({23, 14}));
  EXPECT_EQ(enc.sizes(), (std::vector<int64_t>{2, 5, 16}));
  EXPECT_EQ(lens[0].item<int64_t>(), 5);
  EXPECT_EQ(lens[1].item<int64_t>(), 3);
  auto tokens = torch::tensor({{0, 3, 4}, {0, 1, 0}});
  auto [pred, state] = m->predict(tokens);
  EXPECT_EQ(pred.sizes(), (std::vector<int64_t>{2, 3, 12}));
  EXPECT_EQ(state.h.sizes(), (std::vector<int64_t>{2, 2, 12}));
  auto logits = m->joint(enc, pred);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 5, 3, 7}));
  // joint(t, u) is the joiner on frame t and prediction u.
  auto one = m->joiner->combine(m->joiner->project_enc(enc[1][2]), m->joiner->project_pred(pred[1][1]));
  EXPECT_TRUE(torch::allclose(logits[1][2][1], one, 1e-5, 1e-6));
  EXPECT_THROW(m->ctc_logits(enc), InvalidArgument);
  EXPECT_THROW(m->encode(torch::randn({1, 8, 40}), torch::tensor({8})), InvalidArgument);
}

TEST(Transducer, PaddingDoesNotChangeValidFrames) {
  torch::manual_seed(11);
  Transducer m(small_test_config());
  m->eval();
  auto a = torch::randn({1, 17, 80});
  auto padded = torch::cat({a, torch::randn({1, 12, 80}) * 100}, 1);  // garbage after the end
  auto alone = m->encode(a, torch::tensor({17})).enc;
  auto batched = m->encode(padded, torch::tensor({17})).enc;
  EXPECT_TRUE(torch::allclose(batched.narrow(1, 0, 4), alone, 1e-5, 1e-6));
}

TEST(Transducer, CtcHeadOnlyWithCtcWeight) {
  auto c = small_test_config();
  const int64_t without = Transducer(c)->num_parameters();
  c.ctc_weight = 0.3;
  Transducer m(c);
  EXPECT_EQ(m->num_parameters(), without + 16 * 7 + 7);
  auto enc = torch::randn({2, 5, 16});
  EXPECT_EQ(m->ctc_logits(enc).sizes(), (std::vector<int64_t>{2, 5, 7}));
  // Upsampled: k CTC frames per encoder frame, frame t's k rows in order.
  c.ctc_upsample = 2;
  Transducer up(c);
  EXPECT_EQ(up->num_parameters(), without + 16 * 14 + 14);
  auto lu = up->ctc_logits(enc);
  EXPECT_EQ(lu.sizes(), (std::vector<int64_t>{2, 10, 7}));
  auto direct = up->ctc_head->forward(enc);  // [2, 5, 14]
  EXPECT_TRUE(torch::equal(lu[1][7], direct[1][3].narrow(0, 7, 7)));
  // CTC head is a training aid, not part of the inference network: not prunable.
  EXPECT_EQ(m->prunable_layers().size(), Transducer(small_test_config())->prunable_layers().size());
}

TEST(Transducer, RandomMasksEqualZerosWrittenIntoWeights) {
  torch::manual_seed(12);
  Transducer masked(small_test_config()), zeroed(small_test_config());
  copy_weights(masked, zeroed);
  auto ml = masked->prunable_layers(), zl = zeroed->prunable_layers();
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < ml.size(); ++i) {
      *ml[i].mask = (torch::rand(ml[i].weight.sizes()) > 0.5).to(torch::kFloat);
      zl[i].weight.mul_(*ml[i].mask);
    }
  }
  auto feats = torch::randn({2, 20, 80});
  auto lens = torch::tensor({20, 16});
  auto tokens = torch::tensor({{0, 1, 2, 3}, {0, 4, 5, 6}});
  auto a = masked->joint(masked->encode(feats, lens).enc, masked->predict(tokens).pred);
  auto b = zeroed->joint(zeroed->encode(feats, lens).enc, zeroed->predict(tokens).pred);
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6));
  // And masks matter: clearing them changes the output.
  clear_masks(ml);
  auto dense = masked->joint(masked->encode(feats, lens).enc, masked->predict(tokens).pred);
  EXPECT_FALSE(torch::allclose(a, dense, 1e-3, 1e-3));
}

TEST(Transducer, GradientsReachEveryPrunableWeightThroughMasks) {
  torch::manual_seed(13);
  Transducer m(small_test_config());
  auto layers = m->prunable_layers();
  for (auto& l : layers) *l.mask = (torch::rand(l.weight.sizes()) > 0.5).to(torch::kFloat);
  auto logits = m->joint(m->encode(torch::randn({2, 12, 80}), torch::tensor({12, 12})).enc,
                         m->predict(torch::tensor({{0, 1, 2}, {0, 3, 4}})).pred);
  logits.log_softmax(-1).select(-1, 0).sum().backward();
  for (auto& l : layers) {
    auto g = l.weight.grad();
    ASSERT_TRUE(g.defined()) << l.name;
    EXPECT_EQ((g * (1 - *l.mask)).abs().sum().item<double>(), 0.0) << l.name;
    EXPECT_GT((g * *l.mask).abs().sum().item<double>(), 0.0) << l.name;
  }
}

TEST(Transducer, ChunkedEncodeEqualsFullEncodeForAnyChunking) {
  torch::manual_seed(14);
  Transducer m(preset("tiny"));
  m->eval();
  torch::NoGradGuard ng;
  auto feats = torch::randn({1, 203, 80});  // 203 = 50 stacks + 3 leftover frames
  auto full = m->encode(feats, torch::tensor({203})).enc;
  ASSERT_EQ(full.size(1), 50);
  for (int64_t chunk : {1, 3, 4, 7, 50}) {
    EncoderStreamState state;
    std::vector<torch::Tensor> parts;
    for (int64_t t = 0; t < feats.size(1); t += chunk) {
      const int64_t n = std::min(chunk, feats.size(1) - t);
      parts.push_back(m->encode_chunk(feats.narrow(1, t, n), state));
      EXPECT_LT(state.pending.size(0), 4);
    }
    auto streamed = torch::cat(parts, 1);
    ASSERT_EQ(streamed.sizes(), full.sizes()) << "chunk " << chunk;
    EXPECT_TRUE(torch::allclose(streamed, full, 1e-5, 1e-5)) << "chunk " << chunk;
    EXPECT_EQ(state.frames_out, 50);
    EXPECT_EQ(state.pending.size(0), 3);
  }
}

}  // namespace omnisparse
