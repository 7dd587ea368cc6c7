// A linear layer whose weight can be masked by the sparsity engine (see prunable.h).
//
//   MaskedLinear proj(256, 192);          // weight [192, 256], bias [192]
//   auto y = proj(x);                     // x [..., 256] -> y [..., 192]
//   *proj->mask = (proj->weight.abs() > 0.1).to(proj->weight.dtype());  // now y uses weight*mask
//   auto layer = proj->prunable("joiner.out", "joiner");   // aliases weight and the mask slot
//
// With the slot empty (undefined tensor) forward is exactly at::linear(x, weight, bias): no
// multiply, no copy. With a mask, autograd flows through `weight * mask`, so masked entries get
// zero gradient. The mask is moved to the weight's device and dtype on use if it differs.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/model/prunable.h"

namespace omnisparse {

class MaskedLinearImpl : public torch::nn::Module {
 public:
  MaskedLinearImpl(int64_t in_features, int64_t out_features, bool bias = true);

  torch::Tensor forward(const torch::Tensor& x);  // [..., in] -> [..., out]

  // weight * mask, or weight itself when no mask is set.
  torch::Tensor effective_weight() const;

  PrunableLayer prunable(const std::string& name, const std::string& group) const;

  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
  std::shared_ptr<torch::Tensor> mask = std::make_shared<torch::Tensor>();  // [out, in] or undefined
};
TORCH_MODULE(MaskedLinear);

// weight * mask (mask brought to weight's device/dtype) or weight when the slot is empty.
// Shared by every masked layer so the rule lives in one place.
torch::Tensor apply_mask(const torch::Tensor& weight, const std::shared_ptr<torch::Tensor>& mask);

}  // namespace omnisparse
