#include "core/model/joiner_fused.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/model/joiner.h"

namespace omnisparse {
namespace {

torch::Tensor plain(const torch::Tensor& ep, const torch::Tensor& pp, const torch::Tensor& w,
                    const torch::Tensor& b) {
  return at::linear(torch::tanh(ep.unsqueeze(2) + pp.unsqueeze(1)), w, b);
}

struct Inputs {
  torch::Tensor ep, pp, w, b;
};

Inputs make(int64_t B, int64_t T, int64_t U1, int64_t J, int64_t V, bool bias, torch::ScalarType dt) {
  auto o = torch::TensorOptions().dtype(dt);
  return {torch::randn({B, T, J}, o).requires_grad_(), torch::randn({B, U1, J}, o).requires_grad_(),
          (torch::randn({V, J}, o) * 0.3).requires_grad_(),
          bias ? torch::randn({V}, o).requires_grad_() : torch::Tensor()};
}

// Values and all four gradients of the fused joiner equal the broadcast expression, for shapes
// that split into several blocks, a ragged last block, one frame, one label position.
TEST(JointFused, ValuesAndGradientsEqualTheBroadcastExpression) {
  torch::manual_seed(7);
  struct Shape { int64_t B, T, U1, J, V; bool bias; };
  for (Shape s : {Shape{3, 41, 9, 24, 7, true}, Shape{2, 1, 1, 8, 5, true},
                  Shape{1, 300, 37, 64, 29, true}, Shape{2, 13, 5, 16, 3, false}}) {
    SCOPED_TRACE(::testing::Message() << "B=" << s.B << " T=" << s.T << " U1=" << s.U1);
    auto in = make(s.B, s.T, s.U1, s.J, s.V, s.bias, torch::kDouble);
    auto up = torch::randn({s.B, s.T, s.U1, s.V}, torch::kDouble);  // an arbitrary upstream grad
    auto ref = plain(in.ep, in.pp, in.w, in.b);
    auto ref_grads = torch::autograd::grad({ref}, s.bias ? std::vector<torch::Tensor>{in.ep, in.pp, in.w, in.b}
                                                          : std::vector<torch::Tensor>{in.ep, in.pp, in.w},
                                           {up});
    auto got = joint_fused(in.ep, in.pp, in.w, in.b);
    ASSERT_EQ(got.sizes(), ref.sizes());
    EXPECT_TRUE(torch::allclose(got, ref, 1e-12, 1e-12));
    auto grads = torch::autograd::grad({got}, s.bias ? std::vector<torch::Tensor>{in.ep, in.pp, in.w, in.b}
                                                      : std::vector<torch::Tensor>{in.ep, in.pp, in.w},
                                       {up});
    for (size_t i = 0; i < grads.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_TRUE(torch::allclose(grads[i], ref_grads[i], 1e-10, 1e-10));
    }
  }
}

// The Joiner module takes the fused path on the CPU, including through a mask on "joiner.out":
// the masked-out weights get no gradient, exactly as with the broadcast expression.
TEST(JointFused, JoinerModuleWithMaskMatchesBroadcastPath) {
  torch::manual_seed(9);
  Joiner j(12, 10, 16, 6);
  *j->out->mask = (torch::rand({6, 16}) > 0.5).to(torch::kFloat);
  auto enc = torch::randn({2, 7, 12}), pred = torch::randn({2, 4, 10});
  auto fused = j->forward(enc, pred);
  fused.square().sum().backward();
  auto g_fused = j->out->weight.grad().clone(), g_enc = j->enc_proj->weight.grad().clone();
  j->zero_grad();
  auto ref = j->combine(j->project_enc(enc).unsqueeze(2), j->project_pred(pred).unsqueeze(1));
  ref.square().sum().backward();
  EXPECT_TRUE(torch::allclose(fused, ref, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(g_fused, j->out->weight.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(g_enc, j->enc_proj->weight.grad(), 1e-4, 1e-5));
  EXPECT_EQ((g_fused * (1 - *j->out->mask)).abs().sum().item<double>(), 0.0);
}

TEST(JointFused, RejectsMismatchedShapes) {
  EXPECT_THROW(joint_fused(torch::zeros({2, 3, 4}), torch::zeros({2, 5, 6}), torch::zeros({3, 4}), {}),
               InvalidArgument);
  EXPECT_THROW(joint_fused(torch::zeros({2, 3, 4}), torch::zeros({1, 5, 4}), torch::zeros({3, 4}), {}),
               InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
