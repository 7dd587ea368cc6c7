// One LSTM layer over a whole sequence, with a backward pass written for training on the CPU.
//
//   auto [y, h, c] = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh);
//   // x [T, B, I] (time-major), h0 / c0 [B, H], w_ih [4H, I], w_hh [4H, H], b_* [4H]
//   // -> y [T, B, H], h / c [B, H] after step T-1
//
// Same values and gradients as one layer of `at::lstm` (gates i, f, g, o; tested against it to
// double-precision tolerance), differentiable with respect to all seven inputs. The difference
// is where the backward spends its time. Autograd through a cell loop (LibTorch's own CPU LSTM
// is one) produces a full [4H, H] gradient of w_hh at every time step and adds it to the last:
// a memory-bound rank-B update per step whose cost does not shrink with the batch, the largest
// fixed cost of a training pass. Here the backward walks the steps with one [B, 4H] x [4H, H]
// product and one fused element-wise loop each, keeps every step's gate gradients, and forms
// the weight and input gradients afterwards as three products over all T x B rows. The forward
// records no autograd graph per step. experiments/bench/lstm_layer.cpp measures both paths
// (docs/DESIGN.md section 3). CPU float / double tensors only: MaskedLSTM uses it when it
// trains on the CPU and runs at::lstm otherwise (inference, CUDA).
#pragma once

#include <torch/torch.h>

#include <tuple>

namespace omnisparse {

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_layer(
    const torch::Tensor& x, const torch::Tensor& h0, const torch::Tensor& c0,
    const torch::Tensor& w_ih, const torch::Tensor& w_hh, const torch::Tensor& b_ih,
    const torch::Tensor& b_hh);

}  // namespace omnisparse
