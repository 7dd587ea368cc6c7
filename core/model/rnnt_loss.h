// RNN-T (transducer) loss: -log p(y | x) summed over all alignments of the T x (U+1) lattice,
// as a custom autograd function with the analytic gradient (LibTorch has no RNN-T loss).
//
//   auto logits = joiner(enc, pred);                 // [B, T, U+1, V] raw joiner outputs
//   auto loss = rnnt_loss(logits, targets,           // [B, U] int64, no blanks inside lengths
//                         logit_lengths, target_lengths);   // [B] each
//   loss.backward();
//
// The log-softmax over V is fused in (as torchaudio's default `fused_log_softmax`), so pass raw
// logits, not log-probabilities. The gradient w.r.t. the logits is computed in the forward pass
// from the forward (alpha) and backward (beta) variables, in log space, and kept until
// backward: d(-log p)/d logit[t,u,v] = softmax[t,u,v] * occ(t,u) - (blank / label edge
// occupancies). Lattice variables are accumulated in double even for float32 logits, so long
// inputs (T = 1000, U = 300) stay finite and accurate.
//
// Earliest emission (optional `first_emit`, [B] int): label edges leaving frames
// t < first_emit[b] are taken out of the lattice (the path must emit blank there), while the
// softmax stays over every symbol, so the gradient pushes those frames' labels down: the loss
// of the alignments that emit nothing before that frame (as Ar-RNN-T restricts alignments).
// The trainer passes each utterance's speech onset (docs/DESIGN.md section 3). Values are
// clamped to [0, logit_lengths[b] - 1], so every target stays reachable (all its labels may
// leave the last frame).
//
// Padding: entries with t >= logit_lengths[b] or u > target_lengths[b] are never read for the
// loss (they may hold anything, even inf/NaN) and get exactly zero gradient. Targets beyond
// target_lengths[b] may hold any value (e.g. -1 padding).
//
// Two implementations, the same maths and results:
//   - CpuLoop: plain C++ over contiguous buffers, parallel over the batch (CPU tensors only);
//   - TensorOps: ATen ops on the tensors' own device, alpha/beta swept over anti-diagonals of
//     the lattice (one strided view per diagonal, no index tensors); this is the CUDA path.
// Auto picks CpuLoop on CPU and TensorOps elsewhere. Thread-safe (no global state).
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace omnisparse {

enum class Reduction {
  Mean,  // mean over the batch of the per-utterance -log p
  Sum,   // sum over the batch
  None,  // the per-utterance -log p, [B]
};

enum class RnntAlgorithm { Auto, CpuLoop, TensorOps };

// Sizes of one batched loss problem, named like the maths.
struct RnntOptions {
  int64_t B = 0;      // batch
  int64_t max_T = 0;  // encoder frames (logits.size(1))
  int64_t max_U = 0;  // target labels (logits.size(2) - 1)
  int64_t V = 0;      // vocabulary including blank (logits.size(3))
  int64_t blank = 0;

  int64_t U1() const { return max_U + 1; }                 // lattice columns
  int64_t lattice() const { return max_T * U1(); }         // nodes per utterance
  int64_t logits_per_utterance() const { return lattice() * V; }
  int64_t diagonals() const { return max_T + U1() - 1; }  // anti-diagonals t + u
};

// Per-utterance costs and the gradient of each cost w.r.t. the logits; no autograd involved.
struct RnntCostsAndGrads {
  torch::Tensor costs;  // [B] -log p(y_b | x_b), logits' dtype and device
  torch::Tensor grads;  // [B, T, U+1, V] d costs[b] / d logits[b]; undefined if not requested
};

// Validates the inputs and computes costs (and grads when `with_grads`). Throws
// InvalidArgument naming the problem: wrong ranks/sizes, non-float dtype, a length larger
// than the tensor or < 1 (logits) / < 0 (targets), a target outside [0, V) or equal to blank.
RnntCostsAndGrads rnnt_costs_and_grads(const torch::Tensor& logits,          // [B, T, U+1, V]
                                       const torch::Tensor& targets,         // [B, U] int
                                       const torch::Tensor& logit_lengths,   // [B] int
                                       const torch::Tensor& target_lengths,  // [B] int
                                       int64_t blank, bool with_grads,
                                       RnntAlgorithm algorithm = RnntAlgorithm::Auto,
                                       const torch::Tensor& first_emit = {});  // [B] int or none

// The loss, differentiable w.r.t. `logits` (float32 or float64, any device).
torch::Tensor rnnt_loss(const torch::Tensor& logits,          // [B, T, U+1, V] raw joiner outputs
                        const torch::Tensor& targets,         // [B, U] int64
                        const torch::Tensor& logit_lengths,   // [B]
                        const torch::Tensor& target_lengths,  // [B]
                        int64_t blank = 0, Reduction reduction = Reduction::Mean,
                        RnntAlgorithm algorithm = RnntAlgorithm::Auto,
                        const torch::Tensor& first_emit = {});  // [B] int or undefined

}  // namespace omnisparse
