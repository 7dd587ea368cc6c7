#include "core/model/lstm_layer.h"

#include <torch/autograd.h>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// One step of the backward, element-wise over [B, H]: from the activated gates (i, f, g, o),
// tanh(c_t), c_{t-1}, dL/dh_t and dL/dc_t (the part flowing back from step t+1), writes
// dL/d(pre-activation gates) into dg and replaces dc by dL/dc_{t-1} through this step.
template <typename S>
void cell_backward(const S* gates, const S* tanh_c, const S* c_prev, const S* dh, S* dc, S* dg,
                   int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const S* gi = gates + b * 4 * H;
    const S* gf = gi + H;
    const S* gg = gi + 2 * H;
    const S* go = gi + 3 * H;
    S* di = dg + b * 4 * H;
    S* df = di + H;
    S* dgg = di + 2 * H;
    S* dout = di + 3 * H;
    const S* tc = tanh_c + b * H;
    const S* cp = c_prev + b * H;
    const S* dhb = dh + b * H;
    S* dcb = dc + b * H;
    for (int64_t j = 0; j < H; ++j) {
      const S i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[j], d = dhb[j];
      const S dct = dcb[j] + d * o * (S(1) - t * t);
      di[j] = dct * g * i * (S(1) - i);
      df[j] = dct * cp[j] * f * (S(1) - f);
      dgg[j] = dct * i * (S(1) - g * g);
      dout[j] = d * t * o * (S(1) - o);
      dcb[j] = dct * f;
    }
  }
}

class LstmLayerFunction : public torch::autograd::Function<LstmLayerFunction> {
 public:
  static torch::autograd::variable_list forward(
      torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& h0,
      const torch::Tensor& c0, const torch::Tensor& w_ih, const torch::Tensor& w_hh,
      const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
    at::NoGradGuard no_grad;
    const int64_t T = x.size(0), B = x.size(1), H = w_hh.size(1);
    // Every step's gates: the input part for all steps in one product, then per step the
    // recurrent part added and the activations applied in place.
    auto gates = at::addmm(b_ih + b_hh, x.reshape({T * B, x.size(2)}), w_ih.t()).view({T, B, 4 * H});
    auto c_all = at::empty({T, B, H}, x.options());
    auto tanh_c = at::empty({T, B, H}, x.options());
    auto y = at::empty({T, B, H}, x.options());
    const auto w_hh_t = w_hh.t();
    at::Tensor h = h0.contiguous(), c = c0.contiguous();
    for (int64_t t = 0; t < T; ++t) {
      auto g = gates[t];  // [B, 4H]
      g.addmm_(h, w_hh_t);
      g.narrow(1, 0, 2 * H).sigmoid_();  // i, f
      g.narrow(1, 2 * H, H).tanh_();     // g
      g.narrow(1, 3 * H, H).sigmoid_();  // o
      auto ct = c_all[t], tc = tanh_c[t], ht = y[t];
      at::mul_out(ct, g.narrow(1, H, H), c);
      ct.addcmul_(g.narrow(1, 0, H), g.narrow(1, 2 * H, H));
      at::tanh_out(tc, ct);
      at::mul_out(ht, g.narrow(1, 3 * H, H), tc);
      h = ht;
      c = ct;
    }
    ctx->save_for_backward({x, h0, c0, w_ih, w_hh, y});
    ctx->saved_data["gates"] = gates;
    ctx->saved_data["c"] = c_all;
    ctx->saved_data["tanh_c"] = tanh_c;
    return {y, h.clone(), c.clone()};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    at::NoGradGuard no_grad;
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &h0 = saved[1], &c0 = saved[2], &w_ih = saved[3],
                     &w_hh = saved[4], &y = saved[5];
    const at::Tensor gates = ctx->saved_data["gates"].toTensor();
    const at::Tensor c_all = ctx->saved_data["c"].toTensor();
    const at::Tensor tanh_c = ctx->saved_data["tanh_c"].toTensor();
    const int64_t T = x.size(0), B = x.size(1), I = x.size(2), H = w_hh.size(1);
    const at::Tensor& gy = grads[0];
    at::Tensor dh = grads[1].defined() ? grads[1].clone(at::MemoryFormat::Contiguous)
                                       : at::zeros({B, H}, x.options());
    at::Tensor dc = grads[2].defined() ? grads[2].clone(at::MemoryFormat::Contiguous)
                                       : at::zeros({B, H}, x.options());
    const at::Tensor gyc = gy.defined() ? gy.contiguous() : at::Tensor();
    const at::Tensor c0c = c0.contiguous();
    auto dgates = at::empty({T, B, 4 * H}, x.options());
    for (int64_t t = T - 1; t >= 0; --t) {
      if (gyc.defined()) dh.add_(gyc[t]);
      const at::Tensor c_prev = t > 0 ? c_all[t - 1] : c0c;
      auto dg = dgates[t];
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_layer_backward", [&] {
        cell_backward<scalar_t>(gates[t].data_ptr<scalar_t>(), tanh_c[t].data_ptr<scalar_t>(),
                                c_prev.data_ptr<scalar_t>(), dh.data_ptr<scalar_t>(),
                                dc.data_ptr<scalar_t>(), dg.data_ptr<scalar_t>(), B, H);
      });
      at::mm_out(dh, dg, w_hh);  // dL/dh_{t-1} through the recurrence
    }
    const auto dg_rows = dgates.view({T * B, 4 * H});
    auto d_w_ih = dg_rows.t().mm(x.reshape({T * B, I}));
    auto d_w_hh = dgates[0].t().mm(h0);
    if (T > 1)
      d_w_hh.addmm_(dgates.narrow(0, 1, T - 1).reshape({(T - 1) * B, 4 * H}).t(),
                    y.narrow(0, 0, T - 1).reshape({(T - 1) * B, H}));
    auto d_b = dg_rows.sum(0);
    auto d_x = dg_rows.mm(w_ih).view({T, B, I});
    return {d_x, dh, dc, d_w_ih, d_w_hh, d_b, d_b.clone()};
  }
};

}  // namespace

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_layer(
    const torch::Tensor& x, const torch::Tensor& h0, const torch::Tensor& c0,
    const torch::Tensor& w_ih, const torch::Tensor& w_hh, const torch::Tensor& b_ih,
    const torch::Tensor& b_hh) {
  if (x.dim() != 3 || x.size(0) < 1 || h0.dim() != 2 || c0.sizes() != h0.sizes() ||
      w_hh.dim() != 2 || w_hh.size(0) != 4 * w_hh.size(1) || h0.size(0) != x.size(1) ||
      h0.size(1) != w_hh.size(1) || w_ih.dim() != 2 || w_ih.size(0) != w_hh.size(0) ||
      w_ih.size(1) != x.size(2) || b_ih.numel() != w_hh.size(0) || b_hh.numel() != w_hh.size(0))
    throw InvalidArgument(
        "lstm_layer: expected x [T>=1, B, I], h0/c0 [B, H], w_ih [4H, I], w_hh [4H, H], "
        "b_ih/b_hh [4H]; got x " + c10::str(x.sizes()) + ", h0 " + c10::str(h0.sizes()) +
        ", c0 " + c10::str(c0.sizes()) + ", w_ih " + c10::str(w_ih.sizes()) + ", w_hh " +
        c10::str(w_hh.sizes()));
  if (!x.device().is_cpu() || !at::isFloatingType(x.scalar_type()) ||
      x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16)
    throw InvalidArgument("lstm_layer: CPU float or double tensors only, got " +
                          c10::str(x.device()) + " " + c10::str(x.scalar_type()));
  for (const torch::Tensor* t : {&h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh}) {
    if (t->scalar_type() != x.scalar_type() || t->device() != x.device())
      throw InvalidArgument("lstm_layer: h0, c0 and the weights must be x's " +
                            c10::str(x.device()) + " " + c10::str(x.scalar_type()) + ", got " +
                            c10::str(t->device()) + " " + c10::str(t->scalar_type()));
  }
  auto out = LstmLayerFunction::apply(x.contiguous(), h0, c0, w_ih, w_hh, b_ih, b_hh);
  return {out[0], out[1], out[2]};
}

}  // namespace omnisparse
