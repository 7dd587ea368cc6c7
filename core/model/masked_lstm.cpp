#include "core/model/masked_lstm.h"

#include <cmath>

#include "core/common/error.h"
#include "core/model/lstm_layer.h"
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
  const int64_t L = options_.num_layers;
  // Training on the CPU: lstm_layer's backward (see lstm_layer.h), layer by layer, with
  // at::lstm's dropout between layers. Otherwise (no gradient, CUDA) LibTorch's own.
  if (torch::GradMode::is_enabled() && x.device().is_cpu() && x.size(1) > 0 &&
      (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble)) {
    torch::Tensor in = x.transpose(0, 1);  // [T, B, I]
    std::vector<torch::Tensor> hs, cs;
    for (int64_t l = 0; l < L; ++l) {
      if (l > 0 && options_.dropout > 0 && is_training())
        in = torch::dropout(in, options_.dropout, /*train=*/true);
      auto [y, h, c] = lstm_layer(in, s.h[l], s.c[l], apply_mask(w_ih_[l], mask_ih_[l]),
                                  apply_mask(w_hh_[l], mask_hh_[l]), b_ih_[l], b_hh_[l]);
      in = y;
      hs.push_back(h);
      cs.push_back(c);
    }
    return {in.transpose(0, 1), LSTMState{torch::stack(hs), torch::stack(cs)}};
  }
  std::vector<torch::Tensor> params;
  params.reserve(4 * L);
  for (int64_t l = 0; l < L; ++l) {
    params.push_back(apply_mask(w_ih_[l], mask_ih_[l]));
    params.push_back(apply_mask(w_hh_[l], mask_hh_[l]));
    params.push_back(b_ih_[l]);
    params.push_back(b_hh_[l]);
  }
  auto [y, h, c] = at::lstm(x, {s.h, s.c}, params, /*has_biases=*/true, L, options_.dropout,
                            is_training(), /*bidirectional=*/false, /*batch_first=*/true);
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
