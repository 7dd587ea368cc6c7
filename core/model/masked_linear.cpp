#include "core/model/masked_linear.h"

#include <cmath>

namespace omnisparse {

torch::Tensor apply_mask(const torch::Tensor& weight, const std::shared_ptr<torch::Tensor>& mask) {
  if (!mask || !mask->defined()) return weight;
  if (mask->device() != weight.device() || mask->scalar_type() != weight.scalar_type()) {
    return weight * mask->to(weight.device(), weight.scalar_type());
  }
  return weight * *mask;
}

MaskedLinearImpl::MaskedLinearImpl(int64_t in_features, int64_t out_features, bool with_bias) {
  // PyTorch's nn.Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight",
                              torch::empty({out_features, in_features}).uniform_(-bound, bound));
  if (with_bias) {
    bias = register_parameter("bias", torch::empty({out_features}).uniform_(-bound, bound));
  }
}

torch::Tensor MaskedLinearImpl::effective_weight() const { return apply_mask(weight, mask); }

torch::Tensor MaskedLinearImpl::forward(const torch::Tensor& x) {
  return at::linear(x, effective_weight(), bias);
}

PrunableLayer MaskedLinearImpl::prunable(const std::string& name, const std::string& group) const {
  return PrunableLayer{name, group, weight, mask};
}

}  // namespace omnisparse
