// The joiner's lattice half, fused and blocked for the CPU: logits = tanh(ep + pp) W^T + b.
//
//   auto logits = joint_fused(ep, pp, W, b);   // ep [B, T, J], pp [B, U1, J] -> [B, T, U1, V]
//
// Same values and gradients as `at::linear(torch::tanh(ep.unsqueeze(2) + pp.unsqueeze(1)), W, b)`
// (tested to float tolerance), but the [B, T, U1, J] hidden tensor is never materialised: the
// forward and the backward walk the lattice a few frames at a time, so every intermediate stays
// in cache, and the backward recomputes tanh instead of storing it. On one CPU thread this is the
// difference between the joiner dominating a training pass and not (experiments/bench/
// train_step). CPU tensors only; callers use the plain expression on other devices.
#pragma once

#include <torch/torch.h>

namespace omnisparse {

// ep [B, T, J], pp [B, U1, J], weight [V, J], bias [V] (may be undefined) -> [B, T, U1, V].
// Differentiable with respect to all four inputs.
torch::Tensor joint_fused(const torch::Tensor& ep, const torch::Tensor& pp, const torch::Tensor& weight,
                          const torch::Tensor& bias);

}  // namespace omnisparse
