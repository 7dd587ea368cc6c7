// The elementwise part of an LSTM step and the joiner's tanh, for the sparse-kernel engine:
// with the pruned matrices running sparse, these exp/tanh calls are much of what is left of a
// frame's time (experiments/sparse_kernels/STREAM_RTF.md), so the AVX2 path evaluates 8 lanes
// at once with a Cephes-style exp (max abs error ~1e-7 against std::exp based sigmoid/tanh).
//
//   lstm_cell(gates, H, h, c, isa);   // gates [4H] pre-activations (i, f, g, o) -> h, c [H]
//   tanh_inplace(z, n, isa);
// kernels::Isa::kPortable uses std::exp / std::tanh.
#pragma once

#include <cstdint>

#include "core/kernels/kernel_types.h"

namespace omnisparse {

// PyTorch's gate order: c = sig(f) * c + sig(i) * tanh(g); h = sig(o) * tanh(c).
void lstm_cell(const float* gates, int64_t H, float* h, float* c, kernels::Isa isa);
void tanh_inplace(float* x, int64_t n, kernels::Isa isa);

}  // namespace omnisparse
