#include "core/model/masked_lstm.h"

#include <gtest/gtest.h>

namespace omnisparse {
namespace {

// Textbook LSTM cell loop (gates i, f, g, o) as the reference.
std::tuple<torch::Tensor, LSTMState> reference_lstm(MaskedLSTMImpl& m, const torch::Tensor& x,
                                                    const LSTMState& s0) {
  const auto& o = m.options();
  auto params = m.named_parameters();
  torch::Tensor layer_in = x;  // [B, T, I]
  std::vector<torch::Tensor> hs, cs;
  for (int64_t l = 0; l < o.num_layers; ++l) {
    const std::string s = std::to_string(l);
    auto w_ih = m.w_ih(l) * (m.mask_ih(l)->defined() ? *m.mask_ih(l) : torch::ones_like(m.w_ih(l)));
    auto w_hh = m.w_hh(l) * (m.mask_hh(l)->defined() ? *m.mask_hh(l) : torch::ones_like(m.w_hh(l)));
    auto b = params["bias_ih_l" + s] + params["bias_hh_l" + s];
    auto h = s0.h[l], c = s0.c[l];
    std::vector<torch::Tensor> ys;
    for (int64_t t = 0; t < x.size(1); ++t) {
      auto gates = layer_in.select(1, t).matmul(w_ih.t()) + h.matmul(w_hh.t()) + b;
      auto ch = gates.chunk(4, 1);
      c = torch::sigmoid(ch[1]) * c + torch::sigmoid(ch[0]) * torch::tanh(ch[2]);
      h = torch::sigmoid(ch[3]) * torch::tanh(c);
      ys.push_back(h);
    }
    layer_in = torch::stack(ys, 1);
    hs.push_back(h);
    cs.push_back(c);
  }
  return {layer_in, LSTMState{torch::stack(hs), torch::stack(cs)}};
}

}  // namespace

TEST(MaskedLSTM, MatchesTextbookCellLoop) {
  torch::manual_seed(4);
  MaskedLSTM lstm(MaskedLSTMOptions{5, 6, 2, 0.0});
  auto x = torch::randn({3, 7, 5});
  LSTMState s0{torch::randn({2, 3, 6}), torch::randn({2, 3, 6})};
  auto [y, s] = lstm(x, s0);
  auto [ry, rs] = reference_lstm(*lstm, x, s0);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 7, 6}));
  EXPECT_TRUE(torch::allclose(y, ry, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s.h, rs.h, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s.c, rs.c, 1e-5, 1e-6));
}

TEST(MaskedLSTM, MaskedForwardEqualsZerosWrittenIntoWeights) {
  torch::manual_seed(5);
  MaskedLSTM lstm(MaskedLSTMOptions{4, 5, 2, 0.0});
  MaskedLSTM zeroed(MaskedLSTMOptions{4, 5, 2, 0.0});
  {
    torch::NoGradGuard ng;
    auto src = lstm->parameters(), dst = zeroed->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
    for (int64_t l = 0; l < 2; ++l) {
      *lstm->mask_ih(l) = (torch::rand(lstm->w_ih(l).sizes()) > 0.5).to(torch::kFloat);
      *lstm->mask_hh(l) = (torch::rand(lstm->w_hh(l).sizes()) > 0.3).to(torch::kFloat);
      zeroed->w_ih(l).mul_(*lstm->mask_ih(l));
      zeroed->w_hh(l).mul_(*lstm->mask_hh(l));
    }
  }
  auto x = torch::randn({2, 9, 4});
  auto [y, s] = lstm(x);
  auto [z, zs] = zeroed(x);
  EXPECT_TRUE(torch::allclose(y, z, 1e-6, 1e-7));
  auto [ry, rs] = reference_lstm(*lstm, x, lstm->zero_state(2));
  EXPECT_TRUE(torch::allclose(y, ry, 1e-5, 1e-6));
}

TEST(MaskedLSTM, MaskedEntriesGetZeroGradient) {
  torch::manual_seed(6);
  MaskedLSTM lstm(MaskedLSTMOptions{3, 4, 2, 0.0});
  for (int64_t l = 0; l < 2; ++l) {
    *lstm->mask_ih(l) = (torch::rand(lstm->w_ih(l).sizes()) > 0.5).to(torch::kFloat);
    *lstm->mask_hh(l) = (torch::rand(lstm->w_hh(l).sizes()) > 0.5).to(torch::kFloat);
  }
  auto [y, s] = lstm(torch::randn({2, 5, 3}));
  y.pow(2).sum().backward();
  for (int64_t l = 0; l < 2; ++l) {
    auto gi = lstm->w_ih(l).grad(), gh = lstm->w_hh(l).grad();
    ASSERT_TRUE(gi.defined() && gh.defined());
    EXPECT_EQ((gi * (1 - *lstm->mask_ih(l))).abs().sum().item<double>(), 0.0);
    EXPECT_EQ((gh * (1 - *lstm->mask_hh(l))).abs().sum().item<double>(), 0.0);
    EXPECT_GT((gi * *lstm->mask_ih(l)).abs().sum().item<double>(), 0.0);
    EXPECT_GT((gh * *lstm->mask_hh(l)).abs().sum().item<double>(), 0.0);
  }
}

TEST(MaskedLSTM, ContinuingFromStateEqualsOnePass) {
  torch::manual_seed(7);
  MaskedLSTM lstm(MaskedLSTMOptions{3, 4, 3, 0.0});
  auto x = torch::randn({1, 10, 3});
  auto [full, fs] = lstm(x);
  auto [a, sa] = lstm(x.narrow(1, 0, 6));
  auto [b, sb] = lstm(x.narrow(1, 6, 4), sa);
  EXPECT_TRUE(torch::allclose(torch::cat({a, b}, 1), full, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(sb.h, fs.h, 1e-6, 1e-7));
}

TEST(MaskedLSTM, PrunableListsEveryMatrixInLayerOrder) {
  MaskedLSTM lstm(MaskedLSTMOptions{3, 4, 2, 0.0});
  auto layers = lstm->prunable("encoder", "encoder");
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[0].name, "encoder.lstm0.w_ih");
  EXPECT_EQ(layers[1].name, "encoder.lstm0.w_hh");
  EXPECT_EQ(layers[2].name, "encoder.lstm1.w_ih");
  EXPECT_EQ(layers[3].name, "encoder.lstm1.w_hh");
  EXPECT_EQ(layers[0].weight.sizes(), (std::vector<int64_t>{16, 3}));
  EXPECT_EQ(layers[2].weight.sizes(), (std::vector<int64_t>{16, 4}));
  EXPECT_TRUE(layers[3].weight.is_same(lstm->w_hh(1)));
  EXPECT_EQ(layers[3].mask.get(), lstm->mask_hh(1).get());
  // Biases are not prunable; parameter names follow PyTorch's.
  auto names = lstm->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                             "bias_hh_l0", "weight_ih_l1", "weight_hh_l1",
                                             "bias_ih_l1", "bias_hh_l1"}));
}

TEST(MaskedLSTM, DropoutOnlyInTraining) {
  torch::manual_seed(8);
  MaskedLSTM lstm(MaskedLSTMOptions{3, 8, 2, 0.5});
  auto x = torch::randn({2, 6, 3});
  lstm->eval();
  auto [a, sa] = lstm(x);
  auto [b, sb] = lstm(x);
  EXPECT_TRUE(torch::equal(a, b));
  lstm->train();
  auto [c, sc] = lstm(x);
  EXPECT_FALSE(torch::allclose(a, c));
}

}  // namespace omnisparse
