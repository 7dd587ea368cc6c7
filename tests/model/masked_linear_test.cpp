#include "core/model/masked_linear.h"

#include <gtest/gtest.h>

namespace omnisparse {

TEST(MaskedLinear, WithoutMaskIsExactlyPlainLinear) {
  torch::manual_seed(1);
  MaskedLinear lin(7, 5);
  auto x = torch::randn({3, 4, 7});
  auto y = lin(x);
  EXPECT_TRUE(torch::equal(y, at::linear(x, lin->weight, lin->bias)));
  // No mask means the weight itself is used, not a copy multiplied by ones.
  EXPECT_TRUE(lin->effective_weight().is_same(lin->weight));
}

TEST(MaskedLinear, MaskedForwardEqualsZerosWrittenIntoWeights) {
  torch::manual_seed(2);
  MaskedLinear lin(9, 6);
  auto x = torch::randn({5, 9});
  auto mask = (torch::rand({6, 9}) > 0.6).to(torch::kFloat);
  *lin->mask = mask;
  auto masked = lin(x);
  auto zeroed = at::linear(x, lin->weight.detach() * mask, lin->bias.detach());
  EXPECT_TRUE(torch::allclose(masked, zeroed, 1e-6, 1e-7));
  // Brute force one output entry by hand.
  double expect = lin->bias[2].item<double>();
  for (int64_t i = 0; i < 9; ++i) {
    expect += x[1][i].item<double>() * lin->weight[2][i].item<double>() * mask[2][i].item<double>();
  }
  EXPECT_NEAR(masked[1][2].item<double>(), expect, 1e-5);
}

TEST(MaskedLinear, MaskedEntriesGetZeroGradientOthersGetDenseGradient) {
  torch::manual_seed(3);
  MaskedLinear lin(4, 3);
  auto x = torch::randn({8, 4});
  auto mask = torch::tensor({{1., 0., 1., 0.}, {0., 1., 1., 1.}, {1., 1., 0., 0.}});
  *lin->mask = mask;
  lin(x).pow(2).sum().backward();
  auto g = lin->weight.grad().clone();
  EXPECT_TRUE(torch::equal(g * (1 - mask), torch::zeros_like(g)));
  // The kept entries' gradient equals the gradient of the equivalent dense layer.
  auto w = (lin->weight.detach() * mask).requires_grad_(true);
  at::linear(x, w, lin->bias.detach()).pow(2).sum().backward();
  EXPECT_TRUE(torch::allclose(g, w.grad() * mask, 1e-5, 1e-6));
  EXPECT_GT(g.abs().sum().item<double>(), 0.0);
}

TEST(MaskedLinear, PrunableAliasesWeightAndMaskSlot) {
  MaskedLinear lin(4, 2);
  auto layer = lin->prunable("joiner.out", "joiner");
  EXPECT_EQ(layer.name, "joiner.out");
  EXPECT_EQ(layer.group, "joiner");
  EXPECT_EQ(layer.rows(), 2);
  EXPECT_EQ(layer.cols(), 4);
  EXPECT_TRUE(layer.weight.is_same(lin->weight));
  *layer.mask = torch::zeros({2, 4});  // written through the contract's slot
  auto x = torch::randn({1, 4});
  EXPECT_TRUE(torch::allclose(lin(x)[0], lin->bias.detach()));
  clear_masks({layer});
  EXPECT_FALSE(lin->mask->defined());
}

TEST(MaskedLinear, OptionalBias) {
  MaskedLinear lin(3, 2, /*bias=*/false);
  EXPECT_FALSE(lin->bias.defined());
  EXPECT_EQ(lin->parameters().size(), 1u);
  auto x = torch::randn({2, 3});
  EXPECT_TRUE(torch::equal(lin(x), x.matmul(lin->weight.t())));
}

}  // namespace omnisparse
