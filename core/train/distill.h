// In-place distillation of the supernet (docs/DESIGN.md section 2): a sparse member also fits
// the same step's dense member's CTC posteriors, the way BigNAS / AttentiveNAS members fit the
// largest network's outputs. The CTC head is never pruned, so teacher and student share it.
//
//   torch::Tensor kl = ctc_distill_kl(student_lp, teacher_lp.detach(), lens);   // scalar
//   loss = member_loss + cfg.omni.distill_weight * kl;
#pragma once

#include <torch/types.h>

namespace omnisparse {

// KL(teacher || student) summed over the vocabulary and the first lens[b] frames of each
// utterance, divided by the batch size (per utterance, like the RNN-T and CTC losses).
// student_lp, teacher_lp: [T, B, V] log-probabilities; lens: [B] int64 valid frames.
// No gradient reaches the teacher (it is detached here too).
torch::Tensor ctc_distill_kl(const torch::Tensor& student_lp, const torch::Tensor& teacher_lp,
                             const torch::Tensor& lens);

}  // namespace omnisparse
