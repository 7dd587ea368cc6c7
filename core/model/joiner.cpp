#include "core/model/joiner.h"

#include "core/model/joiner_fused.h"

namespace omnisparse {

JoinerImpl::JoinerImpl(int64_t encoder_dim, int64_t predictor_dim, int64_t joiner_dim,
                       int64_t vocab_size) {
  enc_proj = register_module("enc_proj", MaskedLinear(encoder_dim, joiner_dim));
  pred_proj = register_module("pred_proj", MaskedLinear(predictor_dim, joiner_dim));
  out = register_module("out", MaskedLinear(joiner_dim, vocab_size));
}

torch::Tensor JoinerImpl::forward(const torch::Tensor& enc, const torch::Tensor& pred) {
  auto ep = project_enc(enc);   // [B, T, J]
  auto pp = project_pred(pred); // [B, U+1, J]
  // On the CPU the lattice is walked in cache-sized blocks (same values, ~2x less time);
  // elsewhere the broadcast expression is what the device is good at.
  if (ep.device().is_cpu() && ep.dim() == 3 && pp.dim() == 3)
    return joint_fused(ep, pp, out->effective_weight(), out->bias);
  return combine(ep.unsqueeze(2), pp.unsqueeze(1));  // [B, T, U+1, V]
}

PrunableLayers JoinerImpl::prunable() const {
  return {enc_proj->prunable("joiner.enc_proj", "joiner"),
          pred_proj->prunable("joiner.pred_proj", "joiner"), out->prunable("joiner.out", "joiner")};
}

}  // namespace omnisparse
