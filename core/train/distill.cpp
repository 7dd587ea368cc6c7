#include "core/train/distill.h"

#include <ATen/ATen.h>

#include "core/common/error.h"

namespace omnisparse {

torch::Tensor ctc_distill_kl(const torch::Tensor& student_lp, const torch::Tensor& teacher_lp,
                             const torch::Tensor& lens) {
  if (student_lp.dim() != 3 || !student_lp.sizes().equals(teacher_lp.sizes()))
    throw InvalidArgument("distillation: student and teacher log-probabilities must both be [T, B, V]");
  const int64_t T = student_lp.size(0), B = student_lp.size(1);
  if (lens.dim() != 1 || lens.size(0) != B)
    throw InvalidArgument("distillation: lens must be [B]");
  const at::Tensor teacher = teacher_lp.detach();
  at::Tensor kl = (teacher.exp() * (teacher - student_lp)).sum(-1);  // [T, B]
  const auto dev = student_lp.device();
  at::Tensor valid = at::arange(T, at::TensorOptions().dtype(at::kLong).device(dev)).unsqueeze(1) <
                     lens.to(dev, at::kLong).unsqueeze(0);  // [T, B]
  return (kl * valid.to(kl.dtype())).sum() / static_cast<double>(B);
}

}  // namespace omnisparse
