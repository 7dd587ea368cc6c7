// The RNN-T joiner: logits(t, u) = out(tanh(enc_proj(enc_t) + pred_proj(pred_u))).
// All three matrices are prunable ("joiner.enc_proj", "joiner.pred_proj", "joiner.out").
//
// Decoders call the two halves separately so each projection runs once per frame / per
// predictor step: project_enc(enc) once for the utterance, project_pred(pred) once per emitted
// token, then combine(ep, pp) per (frame, hypothesis).
#pragma once

#include <torch/torch.h>

#include "core/model/masked_linear.h"
#include "core/model/prunable.h"

namespace omnisparse {

class JoinerImpl : public torch::nn::Module {
 public:
  JoinerImpl(int64_t encoder_dim, int64_t predictor_dim, int64_t joiner_dim, int64_t vocab_size);

  // enc [B, T, De], pred [B, U+1, Dp] -> logits [B, T, U+1, V]
  torch::Tensor forward(const torch::Tensor& enc, const torch::Tensor& pred);

  torch::Tensor project_enc(const torch::Tensor& enc) { return enc_proj->forward(enc); }    // [..., J]
  torch::Tensor project_pred(const torch::Tensor& pred) { return pred_proj->forward(pred); } // [..., J]
  // ep, pp broadcastable [..., J] -> logits [..., V]
  torch::Tensor combine(const torch::Tensor& ep, const torch::Tensor& pp) {
    return out->forward(torch::tanh(ep + pp));
  }

  PrunableLayers prunable() const;

  MaskedLinear enc_proj{nullptr}, pred_proj{nullptr}, out{nullptr};
};
TORCH_MODULE(Joiner);

}  // namespace omnisparse
