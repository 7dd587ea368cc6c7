// A multi-layer unidirectional LSTM whose per-layer input-to-gate (w_ih [4H, I]) and
// hidden-to-gate (w_hh [4H, H]) matrices are separately maskable (see prunable.h).
// Biases are never pruned.
//
//   MaskedLSTM lstm(MaskedLSTMOptions{/*input=*/160, /*hidden=*/256, /*layers=*/3, /*dropout=*/0.1});
//   auto [y, state] = lstm(x);            // x [B, T, I] -> y [B, T, H]; state.h/.c [L, B, H]
//   auto [y2, s2] = lstm(x2, state);      // continue from a state (streaming)
//
// Training on the CPU runs lstm_layer (lstm_layer.h: one layer over the sequence with a
// backward written for it) layer by layer; inference and CUDA run LibTorch's at::lstm on the
// (masked) weight list. Either way autograd flows through the masks. Gate order is PyTorch's (i, f, g, o);
// parameters are named like PyTorch's: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0.
// Dropout (training only) applies between layers, not after the last one.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/model/prunable.h"

namespace omnisparse {

struct MaskedLSTMOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  double dropout = 0.0;
};

// Recurrent state, batch-major in the second dimension like torch::nn::LSTM.
struct LSTMState {
  torch::Tensor h;  // [L, B, H]
  torch::Tensor c;  // [L, B, H]
};

class MaskedLSTMImpl : public torch::nn::Module {
 public:
  explicit MaskedLSTMImpl(const MaskedLSTMOptions& options);

  // x [B, T, I]; state defaults to zeros. Returns y [B, T, H] and the state after step T-1.
  std::tuple<torch::Tensor, LSTMState> forward(const torch::Tensor& x,
                                               const std::optional<LSTMState>& state = {});

  LSTMState zero_state(int64_t batch) const;  // zeros on the weights' device

  // 2 * num_layers entries, in order l0.w_ih, l0.w_hh, l1.w_ih, ...:
  // names "<prefix>.lstm<l>.w_ih" / "<prefix>.lstm<l>.w_hh".
  PrunableLayers prunable(const std::string& prefix, const std::string& group) const;

  const MaskedLSTMOptions& options() const { return options_; }
  const torch::Tensor& w_ih(int64_t layer) const { return w_ih_[layer]; }  // [4H, I or H]
  const torch::Tensor& w_hh(int64_t layer) const { return w_hh_[layer]; }  // [4H, H]
  const std::shared_ptr<torch::Tensor>& mask_ih(int64_t layer) const { return mask_ih_[layer]; }
  const std::shared_ptr<torch::Tensor>& mask_hh(int64_t layer) const { return mask_hh_[layer]; }

 private:
  MaskedLSTMOptions options_;
  std::vector<torch::Tensor> w_ih_, w_hh_, b_ih_, b_hh_;
  std::vector<std::shared_ptr<torch::Tensor>> mask_ih_, mask_hh_;
};
TORCH_MODULE(MaskedLSTM);

}  // namespace omnisparse
