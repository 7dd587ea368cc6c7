#include "core/model/masked_lstm.h"

#include <cmath>

#include "core/common/error.h"
#include "core/model/masked_linear.h"

namespace omnisparse {

MaskedLSTMImpl::MaskedLSTMImpl(const MaskedLSTMOptions& options) : options_(options) {
  if (options.input_size <= 0 || options.hidden_size <= 0 || options.num_layers <= 0) {
    throw InvalidArgument("MaskedLSTM: input_size, hidden_size and num_layers must be positive");
  }
  const int64_t H = options.hidden_size;
  // PyTorch's LSTM initialisation: every parameter U(-1/sqrt(H), 1/sqrt(H)).
  const double bound = 1.0 / std::sqrt(static_cast<double>(H));
  auto init = [&](std::vector<int64_t> shape) {
    return torch::empty(shape).uniform_(-bound, bound);
  };
  for (int64_t l = 0; l < options.num_layers; ++l) {
    const int64_t in = l == 0 ? options.input_size : H;
    const std::string s = std::to_string(l);
    w_ih_.push_back(register_parameter("weight_ih_l" + s, init({4 * H, in})));
    w_hh_.push_back(register_parameter("weight_hh_l" + s, init({4 * H, H})));
    b_ih_.push_back(register_parameter("bias_ih_l" + s, init({4 * H})));
    b_hh_.push_back(register_parameter("bias_hh_l" + s, init({4 * H})));
    mask_ih_.push_back(std::make_shared<torch::Tensor>());
    mask_hh_.push_back(std::make_shared<torch::Tensor>());
  }
}

LSTMState MaskedLSTMImpl::zero_state(int64_t batch) const {
  auto opts = w_hh_[0].options().requires_grad(false);
  return {torch::zeros({options_.num_layers, batch, options_.hidden_size}, opts),
          torch::zeros({options_.num_layers, batch, options_.hidden_size}, opts)};
}

std::tuple<torch::Tensor, LSTMState> MaskedLSTMImpl::forward(const torch::Tensor& x,
                                                             const std::optional<LSTMState>& state) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == options_.input_size, "MaskedLSTM: expected x [B, T, ",
              options_.input_size, "], got ", x.sizes());
  const LSTMState s = state ? *state : zero_state(x.size(0));
  std::vector<torch::Tensor> params;
  params.reserve(4 * w_ih_.size());
  for (size_t l = 0; l < w_ih_.size(); ++l) {
    params.push_back(apply_mask(w_ih_[l], mask_ih_[l]));
    params.push_back(apply_mask(w_hh_[l], mask_hh_[l]));
    params.push_back(b_ih_[l]);
    params.push_back(b_hh_[l]);
  }
  auto [y, h, c] = at::lstm(x, {s.h, s.c}, params, /*has_biases=*/true, options_.num_layers,
                            options_.dropout, is_training(), /*bidirectional=*/false,
                            /*batch_first=*/true);
  return {y, LSTMState{h, c}};
}

PrunableLayers MaskedLSTMImpl::prunable(const std::string& prefix, const std::string& group) const {
  PrunableLayers out;
  for (size_t l = 0; l < w_ih_.size(); ++l) {
    const std::string base = prefix + ".lstm" + std::to_string(l);
    out.push_back(PrunableLayer{base + ".w_ih", group, w_ih_[l], mask_ih_[l]});
    out.push_back(PrunableLayer{base + ".w_hh", group, w_hh_[l], mask_hh_[l]});
  }
  return out;
}

}  // namespace omnisparse
