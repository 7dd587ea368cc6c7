#include "core/model/lstm_layer.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/model/masked_lstm.h"

namespace omnisparse {
namespace {

struct LayerInputs {
  torch::Tensor x, h0, c0, w_ih, w_hh, b_ih, b_hh;
  std::vector<torch::Tensor> all() const { return {x, h0, c0, w_ih, w_hh, b_ih, b_hh}; }
};

LayerInputs random_inputs(int64_t T, int64_t B, int64_t I, int64_t H, torch::Dtype dtype) {
  auto o = torch::TensorOptions().dtype(dtype).requires_grad(true);
  return {torch::randn({T, B, I}, o),       torch::randn({B, H}, o),
          torch::randn({B, H}, o),          0.4 * torch::randn({4 * H, I}, o).detach(),
          0.4 * torch::randn({4 * H, H}, o).detach(), torch::randn({4 * H}, o),
          torch::randn({4 * H}, o)};
}

// Values and gradients of all seven inputs under a loss that reads y, h_T and c_T, from
// lstm_layer and from one layer of at::lstm (LibTorch's reference).
void expect_same_as_at_lstm(LayerInputs in, double rtol, double atol) {
  for (auto* t : {&in.w_ih, &in.w_hh}) t->requires_grad_(true);
  const int64_t T = in.x.size(0), B = in.x.size(1), H = in.w_hh.size(1);
  auto ry = torch::randn({T, B, H}, in.x.options().requires_grad(false));
  auto rh = torch::randn({B, H}, ry.options()), rc = torch::randn({B, H}, ry.options());
  auto [y, h, c] = lstm_layer(in.x, in.h0, in.c0, in.w_ih, in.w_hh, in.b_ih, in.b_hh);
  auto loss = (y * ry).sum() + (h * rh).sum() + (c * rc).sum();
  auto grads = torch::autograd::grad({loss}, in.all());
  auto [ey, eh, ec] = at::lstm(in.x, {in.h0.unsqueeze(0), in.c0.unsqueeze(0)},
                               {in.w_ih, in.w_hh, in.b_ih, in.b_hh}, true, 1, 0.0, true, false,
                               false);
  auto eloss = (ey * ry).sum() + (eh[0] * rh).sum() + (ec[0] * rc).sum();
  auto egrads = torch::autograd::grad({eloss}, in.all());
  EXPECT_TRUE(torch::allclose(y, ey, rtol, atol));
  EXPECT_TRUE(torch::allclose(h, eh[0], rtol, atol));
  EXPECT_TRUE(torch::allclose(c, ec[0], rtol, atol));
  const char* names[] = {"x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"};
  for (size_t i = 0; i < grads.size(); ++i)
    EXPECT_TRUE(torch::allclose(grads[i], egrads[i], rtol, atol))
        << names[i] << ": max difference " << (grads[i] - egrads[i]).abs().max().item<double>();
}

}  // namespace

TEST(LstmLayer, ValuesAndGradientsEqualAtLstmInDouble) {
  torch::manual_seed(11);
  expect_same_as_at_lstm(random_inputs(9, 3, 5, 4, torch::kDouble), 1e-10, 1e-12);
}

TEST(LstmLayer, OneStepAndOneUtterance) {
  torch::manual_seed(12);
  expect_same_as_at_lstm(random_inputs(1, 2, 3, 4, torch::kDouble), 1e-10, 1e-12);
  expect_same_as_at_lstm(random_inputs(6, 1, 3, 2, torch::kDouble), 1e-10, 1e-12);
}

TEST(LstmLayer, FloatAtTrainingSizes) {
  torch::manual_seed(13);
  expect_same_as_at_lstm(random_inputs(40, 8, 32, 64, torch::kFloat), 1e-4, 1e-4);
}

TEST(LstmLayer, OnlyTheOutputSequenceUsed) {
  // The training losses read y alone: the h_T / c_T gradients arrive undefined.
  torch::manual_seed(14);
  auto in = random_inputs(7, 2, 3, 5, torch::kDouble);
  auto [y, h, c] = lstm_layer(in.x, in.h0, in.c0, in.w_ih, in.w_hh, in.b_ih, in.b_hh);
  auto g = torch::autograd::grad({y.sum()}, {in.x, in.b_hh});
  auto [ey, eh, ec] = at::lstm(in.x, {in.h0.unsqueeze(0), in.c0.unsqueeze(0)},
                               {in.w_ih, in.w_hh, in.b_ih, in.b_hh}, true, 1, 0.0, true, false,
                               false);
  auto eg = torch::autograd::grad({ey.sum()}, {in.x, in.b_hh});
  EXPECT_TRUE(torch::allclose(g[0], eg[0], 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(g[1], eg[1], 1e-10, 1e-12));
}

TEST(LstmLayer, RefusesBadShapesDevicesAndDtypesByName) {
  auto in = random_inputs(4, 2, 3, 5, torch::kFloat);
  EXPECT_THROW(lstm_layer(in.x, in.h0, in.c0, in.w_hh, in.w_hh, in.b_ih, in.b_hh), InvalidArgument);
  EXPECT_THROW(lstm_layer(in.x.narrow(0, 0, 0), in.h0, in.c0, in.w_ih, in.w_hh, in.b_ih, in.b_hh),
               InvalidArgument);
  EXPECT_THROW(lstm_layer(in.x.to(torch::kInt), in.h0, in.c0, in.w_ih, in.w_hh, in.b_ih, in.b_hh),
               InvalidArgument);
  // A state or weight of another dtype than x: our error, not LibTorch's from data_ptr.
  EXPECT_THROW(lstm_layer(in.x, in.h0.to(torch::kDouble), in.c0, in.w_ih, in.w_hh, in.b_ih, in.b_hh),
               InvalidArgument);
  EXPECT_THROW(lstm_layer(in.x, in.h0, in.c0, in.w_ih, in.w_hh.to(torch::kDouble), in.b_ih, in.b_hh),
               InvalidArgument);
}

// MaskedLSTM trains through lstm_layer on the CPU and infers through at::lstm: with masks, a
// state and two layers, both paths give the same outputs, and the training path's gradients
// equal those of at::lstm on the same masked weights.
TEST(LstmLayer, MaskedLSTMTrainingPathEqualsInferencePath) {
  torch::manual_seed(15);
  MaskedLSTM lstm(MaskedLSTMOptions{6, 8, 2, 0.0});
  for (int64_t l = 0; l < 2; ++l) {
    *lstm->mask_ih(l) = (torch::rand(lstm->w_ih(l).sizes()) > 0.5).to(torch::kFloat);
    *lstm->mask_hh(l) = (torch::rand(lstm->w_hh(l).sizes()) > 0.4).to(torch::kFloat);
  }
  auto x = torch::randn({3, 11, 6});
  LSTMState s0{torch::randn({2, 3, 8}), torch::randn({2, 3, 8})};
  auto [y, s] = lstm(x, s0);  // grad mode on: lstm_layer
  auto r = torch::randn_like(y);
  auto grads = torch::autograd::grad({(y * r).sum() + s.c.sum()}, lstm->parameters());
  torch::Tensor ny;
  LSTMState ns;
  {
    torch::NoGradGuard ng;  // at::lstm
    std::tie(ny, ns) = lstm(x, s0);
  }
  EXPECT_TRUE(torch::allclose(y, ny, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s.h, ns.h, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s.c, ns.c, 1e-5, 1e-6));
  std::vector<torch::Tensor> params;
  for (int64_t l = 0; l < 2; ++l) {
    auto named = lstm->named_parameters();
    params.push_back(lstm->w_ih(l) * *lstm->mask_ih(l));
    params.push_back(lstm->w_hh(l) * *lstm->mask_hh(l));
    params.push_back(named["bias_ih_l" + std::to_string(l)]);
    params.push_back(named["bias_hh_l" + std::to_string(l)]);
  }
  auto [ey, eh, ec] = at::lstm(x, {s0.h, s0.c}, params, true, 2, 0.0, true, false, true);
  auto egrads = torch::autograd::grad({(ey * r).sum() + ec.sum()}, lstm->parameters());
  ASSERT_EQ(grads.size(), egrads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], egrads[i], 1e-4, 1e-5)) << "parameter " << i;
    // Masked weights get no gradient.
    if (i % 4 < 2) {
      const auto& mask = i % 4 == 0 ? *lstm->mask_ih(i / 4) : *lstm->mask_hh(i / 4);
      EXPECT_EQ((grads[i] * (1 - mask)).abs().max().item<float>(), 0.0f);
    }
  }
}

TEST(LstmLayer, DropoutBetweenLayersOnlyWhileTraining) {
  torch::manual_seed(16);
  MaskedLSTM lstm(MaskedLSTMOptions{4, 6, 2, 0.5});
  auto x = torch::randn({2, 8, 4});
  auto [a, sa] = lstm(x);
  auto [b, sb] = lstm(x);
  EXPECT_FALSE(torch::allclose(a, b));  // a fresh dropout mask per call
  lstm->eval();
  auto [c, sc] = lstm(x);
  torch::Tensor d;
  {
    torch::NoGradGuard ng;
    d = std::get<0>(lstm(x));
  }
  EXPECT_TRUE(torch::allclose(c, d, 1e-5, 1e-6));  // no dropout: both paths agree
  MaskedLSTM one(MaskedLSTMOptions{4, 6, 1, 0.5});   // one layer: nothing to drop
  auto [e, se] = one(x);
  auto [f, sf] = one(x);
  EXPECT_TRUE(torch::equal(e, f));
}

}  // namespace omnisparse
