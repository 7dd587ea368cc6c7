#include "core/model/joiner_fused.h"

#include <torch/autograd.h>

#include <algorithm>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// Frames per block: enough rows (frames x U1) for an efficient matmul, few enough that the
// block's [rows, J] intermediates stay in L2.
int64_t frames_per_block(int64_t U1, int64_t J) {
  const int64_t target_rows = std::max<int64_t>(64, (48 * 1024) / std::max<int64_t>(J, 1));
  return std::max<int64_t>(1, target_rows / std::max<int64_t>(U1, 1));
}

// tanh(ep[b, t0:t1] + pp[b]) as [rows, J] with rows = (t1 - t0) * U1.
torch::Tensor hidden_block(const torch::Tensor& ep_b, const torch::Tensor& pp_b, int64_t t0, int64_t t1) {
  auto z = ep_b.slice(0, t0, t1).unsqueeze(1) + pp_b.unsqueeze(0);  // [tc, U1, J]
  return z.tanh_().view({-1, pp_b.size(1)});
}

class JointFused : public torch::autograd::Function<JointFused> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& ep,
                               const torch::Tensor& pp, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
    at::NoGradGuard no_grad;
    const int64_t B = ep.size(0), T = ep.size(1), U1 = pp.size(1), V = weight.size(0);
    auto epc = ep.contiguous(), ppc = pp.contiguous(), wt = weight.t().contiguous();  // [J, V]
    auto out = torch::empty({B, T, U1, V}, ep.options());
    const int64_t tc = frames_per_block(U1, ep.size(2));
    for (int64_t b = 0; b < B; ++b) {
      auto ep_b = epc[b], pp_b = ppc[b], out_b = out[b];
      for (int64_t t0 = 0; t0 < T; t0 += tc) {
        const int64_t t1 = std::min(T, t0 + tc);
        auto h = hidden_block(ep_b, pp_b, t0, t1);
        auto dst = out_b.slice(0, t0, t1).view({-1, V});  // contiguous: whole frames of out[b]
        at::addmm_out(dst, bias, h, wt);
      }
    }
    ctx->save_for_backward({epc, ppc, weight});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    at::NoGradGuard no_grad;
    auto saved = ctx->get_saved_variables();
    const auto& ep = saved[0];
    const auto& pp = saved[1];
    const auto& weight = saved[2];
    auto g = grads[0].contiguous();  // [B, T, U1, V]
    const int64_t B = ep.size(0), T = ep.size(1), U1 = pp.size(1), J = ep.size(2), V = weight.size(0);
    auto w = weight.contiguous();  // [V, J]
    auto d_ep = torch::empty_like(ep), d_pp = torch::zeros_like(pp);
    auto d_w = torch::zeros_like(weight);
    auto d_b = torch::zeros({V}, weight.options());
    const int64_t tc = frames_per_block(U1, J);
    for (int64_t b = 0; b < B; ++b) {
      auto ep_b = ep[b], pp_b = pp[b], g_b = g[b], d_ep_b = d_ep[b], d_pp_b = d_pp[b];
      for (int64_t t0 = 0; t0 < T; t0 += tc) {
        const int64_t t1 = std::min(T, t0 + tc);
        auto h = hidden_block(ep_b, pp_b, t0, t1);             // [rows, J]
        auto gb = g_b.slice(0, t0, t1).reshape({-1, V});       // [rows, V]
        d_w.addmm_(gb.t(), h);                                  // dW += G^T H
        d_b.add_(gb.sum(0));
        auto dz = gb.mm(w);                                     // dH = G W
        dz.mul_(1 - h.square());                                // dZ = dH (1 - H^2)
        auto dz3 = dz.view({t1 - t0, U1, J});
        auto d_ep_block = d_ep_b.slice(0, t0, t1);
        at::sum_out(d_ep_block, dz3, {1});
        d_pp_b.add_(dz3.sum(0));
      }
    }
    return {d_ep, d_pp, d_w, d_b};
  }
};

}  // namespace

torch::Tensor joint_fused(const torch::Tensor& ep, const torch::Tensor& pp, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  if (ep.dim() != 3 || pp.dim() != 3 || ep.size(0) != pp.size(0) || ep.size(2) != pp.size(2) ||
      weight.dim() != 2 || weight.size(1) != ep.size(2))
    throw InvalidArgument("joint_fused: expected ep [B, T, J], pp [B, U1, J], weight [V, J]; got " +
                          std::to_string(ep.dim()) + "-d, " + std::to_string(pp.dim()) + "-d, " +
                          std::to_string(weight.dim()) + "-d");
  if (!ep.device().is_cpu())
    throw InvalidArgument("joint_fused: CPU tensors only (use the plain joiner on " +
                          ep.device().str() + ")");
  // LibTorch's custom functions take no undefined inputs: no bias is a zero bias.
  return JointFused::apply(ep, pp, weight,
                           bias.defined() ? bias : torch::zeros({weight.size(0)}, weight.options()));
}

}  // namespace omnisparse
