#include "core/model/joiner.h"

namespace omnisparse {

JoinerImpl::JoinerImpl(int64_t encoder_dim, int64_t predictor_dim, int64_t joiner_dim,
                       int64_t vocab_size) {
  enc_proj = register_module("enc_proj", MaskedLinear(encoder_dim, joiner_dim));
  pred_proj = register_module("pred_proj", MaskedLinear(predictor_dim, joiner_dim));
  out = register_module("out", MaskedLinear(joiner_dim, vocab_size));
}

torch::Tensor JoinerImpl::forward(const torch::Tensor& enc, const torch::Tensor& pred) {
  auto ep = project_enc(enc).unsqueeze(2);   // [B, T, 1, J]
  auto pp = project_pred(pred).unsqueeze(1); // [B, 1, U+1, J]
  return combine(ep, pp);                    // [B, T, U+1, V]
}

PrunableLayers JoinerImpl::prunable() const {
  return {enc_proj->prunable("joiner.enc_proj", "joiner"),
          pred_proj->prunable("joiner.pred_proj", "joiner"), out->prunable("joiner.out", "joiner")};
}

}  // namespace omnisparse
