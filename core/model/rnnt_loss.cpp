// RNN-T loss: input validation, the two implementations (CPU loop, tensor ops), autograd glue.
//
// Notation (Graves 2012): node (t, u) of the lattice has emitted u labels after t frames.
// From (t, u) a blank moves to (t+1, u), label y[u] moves to (t, u+1).
//   alpha(0, 0) = 0
//   alpha(t, u) = logaddexp(alpha(t-1, u) + blank(t-1, u), alpha(t, u-1) + emit(t, u-1))
//   beta(T-1, U) = blank(T-1, U)
//   beta(t, u)  = logaddexp(beta(t+1, u) + blank(t, u), beta(t, u+1) + emit(t, u))
//   log p = alpha(T-1, U) + blank(T-1, U) = beta(0, 0)
// With log-softmax fused in, for every valid node and every v:
//   d(-log p)/d logit(t,u,v) = exp(logprob(t,u,v) + alpha(t,u) + beta(t,u) - log p)
//                              - [v = blank] exp(alpha(t,u) + blank(t,u) + beta(t+1,u) - log p)
//                              - [v = y[u]]  exp(alpha(t,u) + emit(t,u) + beta(t,u+1) - log p)
// where beta(T, U) = 0 closes the final blank.
#include "core/model/rnnt_loss.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace omnisparse {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == kNegInf) return a;  // also keeps -inf + -inf at -inf (no NaN)
  return a + std::log1p(std::exp(b - a));
}

// ---------------------------------------------------------------------------------------------
// CPU: one utterance at a time, lattice in double, V-sized work in the logits' type.

template <typename scalar_t>
void cpu_loop(const RnntOptions& o,
              const scalar_t* logits,         // [B, max_T, U1, V]
              const int64_t* targets,         // [B, max_U]
              const int64_t* logit_lengths,   // [B]
              const int64_t* target_lengths,  // [B]
              const int64_t* first_emit,      // [B] clamped, or nullptr
              scalar_t* costs,                // [B]
              scalar_t* grads) {              // [B, max_T, U1, V] or nullptr
  const int64_t W = o.U1(), V = o.V;
  at::parallel_for(0, o.B, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> den, blank, emit, alpha, beta;
    for (int64_t b = begin; b < end; ++b) {
      const int64_t T = logit_lengths[b], U = target_lengths[b], U1 = U + 1;
      const int64_t t_emit = first_emit != nullptr ? first_emit[b] : 0;
      const scalar_t* x = logits + b * o.logits_per_utterance();
      const int64_t* y = targets + b * o.max_U;
      auto row = [&](int64_t t, int64_t u) { return x + (t * W + u) * V; };
      auto node = [U1](int64_t t, int64_t u) { return t * U1 + u; };
      den.assign(T * U1, 0.0);     // [T, U+1] log-softmax denominators
      blank.assign(T * U1, 0.0);   // [T, U+1] log p(blank | t, u)
      emit.assign(T * U1, 0.0);    // [T, U+1] log p(y[u] | t, u); -inf at u = U, t < t_emit
      alpha.assign(T * U1, 0.0);   // [T, U+1]
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t u = 0; u <= U; ++u) {
          const scalar_t* r = row(t, u);
          scalar_t m = *std::max_element(r, r + V);
          scalar_t s = 0;
          for (int64_t v = 0; v < V; ++v) s += std::exp(r[v] - m);
          const double d = double(m) + std::log(double(s));
          den[node(t, u)] = d;
          blank[node(t, u)] = double(r[o.blank]) - d;
          emit[node(t, u)] = u < U && t >= t_emit ? double(r[y[u]]) - d : kNegInf;
        }
      }
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t u = 0; u <= U; ++u) {
          if (t == 0 && u == 0) continue;
          double a = t > 0 ? alpha[node(t - 1, u)] + blank[node(t - 1, u)] : kNegInf;
          double e = u > 0 ? alpha[node(t, u - 1)] + emit[node(t, u - 1)] : kNegInf;
          alpha[node(t, u)] = log_add(a, e);
        }
      }
      const double log_p = alpha[node(T - 1, U)] + blank[node(T - 1, U)];
      costs[b] = scalar_t(-log_p);
      if (grads == nullptr) continue;

      beta.assign(T * U1, kNegInf);  // [T, U+1]
      for (int64_t t = T - 1; t >= 0; --t) {
        for (int64_t u = U; u >= 0; --u) {
          double down = t + 1 < T ? beta[node(t + 1, u)] : (u == U ? 0.0 : kNegInf);
          double right = u < U ? beta[node(t, u + 1)] : kNegInf;
          beta[node(t, u)] = log_add(down + blank[node(t, u)], right + emit[node(t, u)]);
        }
      }
      scalar_t* g = grads + b * o.logits_per_utterance();
      for (int64_t t = 0; t < o.max_T; ++t) {
        for (int64_t u = 0; u < W; ++u) {
          scalar_t* gr = g + (t * W + u) * V;
          if (t >= T || u > U) {
            std::fill(gr, gr + V, scalar_t(0));
            continue;
          }
          const int64_t n = node(t, u);
          const scalar_t* r = row(t, u);
          const double a = alpha[n] - log_p;
          // softmax * occupancy, as exp(logit - shift) in the logits' precision
          const auto shift = scalar_t(den[n] - a - beta[n]);
          for (int64_t v = 0; v < V; ++v) gr[v] = std::exp(r[v] - shift);
          const double down = t + 1 < T ? beta[node(t + 1, u)] : (u == U ? 0.0 : kNegInf);
          gr[o.blank] -= scalar_t(std::exp(a + blank[n] + down));
          if (u < U) gr[y[u]] -= scalar_t(std::exp(a + emit[n] + beta[node(t, u + 1)]));
        }
      }
    }
  });
}

RnntCostsAndGrads run_cpu_loop(const RnntOptions& o, const torch::Tensor& logits,
                               const torch::Tensor& targets, const torch::Tensor& logit_lengths,
                               const torch::Tensor& target_lengths, const torch::Tensor& first_emit,
                               bool with_grads) {
  auto x = logits.contiguous();
  auto y = targets.to(torch::kInt64).contiguous();
  auto tl = logit_lengths.to(torch::kInt64).contiguous();
  auto ul = target_lengths.to(torch::kInt64).contiguous();
  auto fe = first_emit.defined() ? first_emit.to(torch::kInt64).contiguous() : first_emit;
  RnntCostsAndGrads out;
  out.costs = torch::empty({o.B}, x.options());                       // [B]
  if (with_grads) out.grads = torch::empty(x.sizes(), x.options());   // [B, T, U+1, V]
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rnnt_cpu_loop", [&] {
    cpu_loop<scalar_t>(o, x.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), tl.data_ptr<int64_t>(),
                       ul.data_ptr<int64_t>(), fe.defined() ? fe.data_ptr<int64_t>() : nullptr,
                       out.costs.data_ptr<scalar_t>(),
                       with_grads ? out.grads.data_ptr<scalar_t>() : nullptr);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tensor ops (any device). Lattice tensors are padded by one -inf node on every side,
// [B, T+2, U1+2], so that every node has a predecessor and a successor; in the flattened
// padded layout the nodes of one anti-diagonal t + u = d are equally spaced (stride W-1),
// so each diagonal is a strided view and one sweep step is a handful of kernels.

RnntCostsAndGrads run_tensor_ops(const RnntOptions& o, const torch::Tensor& logits,
                                 const torch::Tensor& targets, const torch::Tensor& logit_lengths,
                                 const torch::Tensor& target_lengths,
                                 const torch::Tensor& first_emit, bool with_grads) {
  using torch::indexing::Slice;
  const auto dev = logits.device();
  const int64_t B = o.B, T = o.max_T, U1 = o.U1(), H = T + 2, W = U1 + 2;
  const auto lat = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  const auto idx = torch::TensorOptions().dtype(torch::kInt64).device(dev);

  auto Tb = logit_lengths.to(idx).view({B, 1, 1});   // [B, 1, 1]
  auto Ub = target_lengths.to(idx).view({B, 1, 1});  // [B, 1, 1]
  auto t = torch::arange(T, idx).view({1, T, 1});    // [1, T, 1]
  auto u = torch::arange(U1, idx).view({1, 1, U1});  // [1, 1, U1]
  auto valid = (t < Tb) & (u <= Ub);                  // [B, T, U1]
  auto terminal = (t == Tb - 1) & (u == Ub);          // [B, T, U1]

  // [B, U1]: label leaving column u, blank where there is none (u >= U_b) so gather is safe
  auto y = torch::cat({targets.to(idx), torch::full({B, 1}, o.blank, idx)}, 1);
  y = torch::where(u.view({1, U1}) < Ub.view({B, 1}), y, torch::full_like(y, o.blank));

  auto log_probs = logits.log_softmax(-1);  // [B, T, U1, V]
  auto y4 = y.view({B, 1, U1, 1}).expand({B, T, U1, 1}).contiguous();  // [B, T, U1, 1]
  auto blank = log_probs.select(3, o.blank).to(torch::kFloat64);       // [B, T, U1]
  auto emit = log_probs.gather(3, y4).squeeze(3).to(torch::kFloat64);  // [B, T, U1]
  auto neg = torch::full({}, kNegInf, lat);
  // Transitions that stay inside the utterance's lattice; everything else is -inf, so junk
  // padding (even NaN) never reaches a valid node.
  auto blank_in = torch::where(valid & (t + 1 < Tb), blank, neg);  // [B, T, U1]
  auto may_emit = valid & (u < Ub);                                // [B, T, U1]
  if (first_emit.defined()) may_emit = may_emit & (t >= first_emit.to(idx).view({B, 1, 1}));
  auto emit_in = torch::where(may_emit, emit, neg);                // [B, T, U1]

  auto pad = [&](const torch::Tensor& v) {  // [B, T, U1] -> [B, H*W]
    auto p = torch::full({B, H, W}, kNegInf, lat);
    p.index_put_({Slice(), Slice(1, T + 1), Slice(1, U1 + 1)}, v);
    return p.view({B, H * W});
  };
  auto inner = [&](const torch::Tensor& p, int64_t dt, int64_t du) {  // [B, H*W] -> [B, T, U1]
    return p.view({B, H, W})
        .index({Slice(), Slice(1 + dt, T + 1 + dt), Slice(1 + du, U1 + 1 + du)});
  };
  // Strided view of diagonal d (nodes t_lo..t_hi) shifted by `off` in the flat padded layout.
  auto diag = [&](const torch::Tensor& p, int64_t d, int64_t off) {
    const int64_t t_lo = std::max<int64_t>(0, d - (U1 - 1)), t_hi = std::min(T - 1, d);
    const int64_t n = t_hi - t_lo + 1, step = W - 1;
    const int64_t start = (t_lo + 1) * W + (d - t_lo + 1) + off;
    return p.slice(1, start, start + (n - 1) * step + 1, step);
  };

  auto blank_f = pad(blank_in), emit_f = pad(emit_in);  // [B, H*W]
  auto alpha_f = torch::full({B, H * W}, kNegInf, lat);  // [B, H*W]
  alpha_f.select(1, W + 1).fill_(0.0);
  for (int64_t d = 1; d < o.diagonals(); ++d) {
    auto from_blank = diag(alpha_f, d, -W) + diag(blank_f, d, -W);
    auto from_emit = diag(alpha_f, d, -1) + diag(emit_f, d, -1);
    diag(alpha_f, d, 0).copy_(torch::logaddexp(from_blank, from_emit));
  }
  auto alpha = inner(alpha_f, 0, 0);  // [B, T, U1]
  auto end = ((Tb - 1) * U1 + Ub).view({B, 1});
  auto log_p = (alpha.reshape({B, T * U1}).gather(1, end) +
                blank.reshape({B, T * U1}).gather(1, end)).view({B});  // [B]
  RnntCostsAndGrads out;
  out.costs = (-log_p).to(logits.scalar_type());
  if (!with_grads) return out;

  auto term_f = pad(torch::where(terminal, blank, neg));  // [B, H*W]
  auto beta_f = torch::full({B, H * W}, kNegInf, lat);    // [B, H*W]
  for (int64_t d = o.diagonals() - 1; d >= 0; --d) {
    auto down = diag(beta_f, d, W) + diag(blank_f, d, 0);
    auto right = diag(beta_f, d, 1) + diag(emit_f, d, 0);
    diag(beta_f, d, 0).copy_(torch::logaddexp(torch::logaddexp(down, right), diag(term_f, d, 0)));
  }
  auto lp = log_p.view({B, 1, 1});
  auto beta = inner(beta_f, 0, 0);        // [B, T, U1]
  auto beta_down = inner(beta_f, 1, 0);   // [B, T, U1] beta(t+1, u)
  auto beta_right = inner(beta_f, 0, 1);  // [B, T, U1] beta(t, u+1)
  auto occupancy = torch::where(valid, alpha + beta - lp, neg);  // [B, T, U1] log
  auto blank_occ = torch::where(terminal, alpha + blank - lp,
                                torch::where(valid, alpha + blank_in + beta_down - lp, neg));
  auto emit_occ = torch::where(valid, alpha + emit_in + beta_right - lp, neg);

  const auto st = logits.scalar_type();
  auto grads = (log_probs + occupancy.to(st).unsqueeze(3)).exp_();  // [B, T, U1, V]
  grads.select(3, o.blank).sub_(blank_occ.exp().to(st));
  grads.scatter_add_(3, y4, emit_occ.exp().neg().to(st).unsqueeze(3));
  out.grads = torch::where(valid.unsqueeze(3), grads, torch::zeros({}, grads.options()));
  return out;
}

// ---------------------------------------------------------------------------------------------

std::string shape(const torch::Tensor& x) {
  std::string s = "[";
  for (int64_t i = 0; i < x.dim(); ++i) s += (i ? ", " : "") + std::to_string(x.size(i));
  return s + "]";
}

RnntOptions validate(const torch::Tensor& logits, const torch::Tensor& targets,
                     const torch::Tensor& logit_lengths, const torch::Tensor& target_lengths,
                     const torch::Tensor& first_emit, int64_t blank) {
  auto fail = [](const std::string& m) { throw InvalidArgument("rnnt_loss: " + m); };
  if (!logits.defined() || logits.dim() != 4)
    fail("logits must be [B, T, U+1, V], got " + (logits.defined() ? shape(logits) : "undefined"));
  if (logits.scalar_type() != torch::kFloat32 && logits.scalar_type() != torch::kFloat64)
    fail("logits must be float32 or float64");
  RnntOptions o{logits.size(0), logits.size(1), logits.size(2) - 1, logits.size(3), blank};
  if (o.B < 1 || o.max_T < 1 || o.V < 2) fail("logits " + shape(logits) + " is empty");
  if (blank < 0 || blank >= o.V)
    fail("blank " + std::to_string(blank) + " outside [0, " + std::to_string(o.V) + ")");
  auto is_int = [](const torch::Tensor& x) {
    return x.defined() && !at::isFloatingType(x.scalar_type()) && x.scalar_type() != torch::kBool;
  };
  if (!is_int(targets) || targets.dim() != 2 || targets.size(0) != o.B ||
      targets.size(1) != o.max_U)
    fail("targets must be integer [B, U] = [" + std::to_string(o.B) + ", " +
         std::to_string(o.max_U) + "] to match logits " + shape(logits));
  for (const auto* l : {&logit_lengths, &target_lengths})
    if (!is_int(*l) || l->dim() != 1 || l->size(0) != o.B)
      fail("lengths must be integer [B] = [" + std::to_string(o.B) + "]");
  if (first_emit.defined() && (!is_int(first_emit) || first_emit.dim() != 1 ||
                               first_emit.size(0) != o.B))
    fail("first_emit must be integer [B] = [" + std::to_string(o.B) + "]");
  auto tl = logit_lengths.to(torch::kCPU, torch::kInt64).contiguous();
  auto ul = target_lengths.to(torch::kCPU, torch::kInt64).contiguous();
  auto y = targets.to(torch::kCPU, torch::kInt64).contiguous();
  for (int64_t b = 0; b < o.B; ++b) {
    const int64_t T = tl.data_ptr<int64_t>()[b], U = ul.data_ptr<int64_t>()[b];
    const std::string where = " at batch index " + std::to_string(b);
    if (T < 1 || T > o.max_T)
      fail("logit length " + std::to_string(T) + where + " outside [1, " + std::to_string(o.max_T) +
           "] (logits " + shape(logits) + ")");
    if (U < 0 || U > o.max_U)
      fail("target length " + std::to_string(U) + where + " outside [0, " +
           std::to_string(o.max_U) + "] (logits " + shape(logits) + ")");
    for (int64_t i = 0; i < U; ++i) {
      const int64_t k = y.data_ptr<int64_t>()[b * o.max_U + i];
      if (k < 0 || k >= o.V || k == blank)
        fail("target " + std::to_string(k) + where + ", position " + std::to_string(i) +
             " is blank or outside [0, " + std::to_string(o.V) + ")");
    }
  }
  return o;
}

class RnntLossFunction : public torch::autograd::Function<RnntLossFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits,
                               const torch::Tensor& targets, const torch::Tensor& logit_lengths,
                               const torch::Tensor& target_lengths, int64_t blank,
                               int64_t algorithm, const torch::Tensor& first_emit) {
    // first_emit arrives empty for "none": autograd functions take no undefined tensors
    auto r = rnnt_costs_and_grads(logits, targets, logit_lengths, target_lengths, blank,
                                  /*with_grads=*/true, static_cast<RnntAlgorithm>(algorithm),
                                  first_emit.numel() > 0 ? first_emit : torch::Tensor());
    ctx->saved_data["grads"] = r.grads;  // [B, T, U+1, V]
    return r.costs;                      // [B]
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto grads = ctx->saved_data["grads"].toTensor();
    auto g = grad_out[0].to(grads.dtype()).view({-1, 1, 1, 1});  // [B, 1, 1, 1]
    return {grads * g, {}, {}, {}, {}, {}, {}};
  }
};

}  // namespace

RnntCostsAndGrads rnnt_costs_and_grads(const torch::Tensor& logits, const torch::Tensor& targets,
                                       const torch::Tensor& logit_lengths,
                                       const torch::Tensor& target_lengths, int64_t blank,
                                       bool with_grads, RnntAlgorithm algorithm,
                                       const torch::Tensor& first_emit) {
  const RnntOptions o =
      validate(logits, targets, logit_lengths, target_lengths, first_emit, blank);
  torch::NoGradGuard no_grad;
  auto x = logits.detach();
  torch::Tensor fe;  // [B] int64 on the logits' device, in [0, T_b - 1]
  if (first_emit.defined()) {
    auto T = logit_lengths.to(x.device(), torch::kInt64);
    fe = torch::minimum(first_emit.to(x.device(), torch::kInt64).clamp_min(0), T - 1);
  }
  if (algorithm == RnntAlgorithm::Auto)
    algorithm = x.device().is_cpu() ? RnntAlgorithm::CpuLoop : RnntAlgorithm::TensorOps;
  if (algorithm == RnntAlgorithm::CpuLoop) {
    if (!x.device().is_cpu()) throw InvalidArgument("rnnt_loss: the CPU loop needs CPU tensors");
    return run_cpu_loop(o, x, targets, logit_lengths, target_lengths, fe, with_grads);
  }
  return run_tensor_ops(o, x, targets, logit_lengths, target_lengths, fe, with_grads);
}

torch::Tensor rnnt_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                        const torch::Tensor& logit_lengths, const torch::Tensor& target_lengths,
                        int64_t blank, Reduction reduction, RnntAlgorithm algorithm,
                        const torch::Tensor& first_emit) {
  torch::Tensor costs;  // [B]
  if (torch::GradMode::is_enabled() && logits.requires_grad()) {
    costs = RnntLossFunction::apply(
        logits, targets, logit_lengths, target_lengths, blank, static_cast<int64_t>(algorithm),
        first_emit.defined() ? first_emit : torch::empty({0}, torch::kInt64));
  } else {
    costs = rnnt_costs_and_grads(logits, targets, logit_lengths, target_lengths, blank,
                                 /*with_grads=*/false, algorithm, first_emit)
                .costs;
  }
  switch (reduction) {
    case Reduction::Mean: return costs.mean();
    case Reduction::Sum: return costs.sum();
    case Reduction::None: return costs;
  }
  return costs;
}

}  // namespace omnisparse
