// In-place distillation's loss: KL(teacher || student) over the valid CTC frames.
#include "core/train/distill.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

namespace omnisparse {
namespace {

TEST(CtcDistill, ZeroWhenTheStudentEqualsTheTeacher) {
  torch::manual_seed(1);
  auto lp = torch::log_softmax(torch::randn({7, 3, 5}), -1);
  auto lens = torch::tensor({7, 4, 1}, torch::kLong);
  EXPECT_NEAR(ctc_distill_kl(lp, lp, lens).item<double>(), 0.0, 1e-6);
}

TEST(CtcDistill, EqualsAHandComputedKlOverValidFramesPerUtterance) {
  // B = 2, T = 2, V = 2; utterance 1 has one valid frame.
  const double p[2][2][2] = {{{0.9, 0.1}, {0.5, 0.5}}, {{0.2, 0.8}, {0.3, 0.7}}};  // teacher [T][B][V]
  const double q[2][2][2] = {{{0.6, 0.4}, {0.1, 0.9}}, {{0.5, 0.5}, {0.99, 0.01}}};  // student
  auto t = torch::empty({2, 2, 2}, torch::kDouble), s = torch::empty({2, 2, 2}, torch::kDouble);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int v = 0; v < 2; ++v) {
        t[a][b][v] = std::log(p[a][b][v]);
        s[a][b][v] = std::log(q[a][b][v]);
      }
  auto kl = [&](int a, int b) {
    double sum = 0;
    for (int v = 0; v < 2; ++v) sum += p[a][b][v] * std::log(p[a][b][v] / q[a][b][v]);
    return sum;
  };
  // Utterance 0: frames 0 and 1; utterance 1: frame 0 only (frame 1 is padding). Divided by B.
  const double expected = (kl(0, 0) + kl(1, 0) + kl(0, 1)) / 2.0;
  auto lens = torch::tensor({2, 1}, torch::kLong);
  EXPECT_NEAR(ctc_distill_kl(s, t, lens).item<double>(), expected, 1e-12);
}

TEST(CtcDistill, GradientsReachTheStudentOnly) {
  torch::manual_seed(2);
  auto student_logits = torch::randn({4, 2, 6}, torch::requires_grad());
  auto teacher_logits = torch::randn({4, 2, 6}, torch::requires_grad());
  auto loss = ctc_distill_kl(torch::log_softmax(student_logits, -1),
                             torch::log_softmax(teacher_logits, -1), torch::tensor({4, 3}));
  loss.backward();
  ASSERT_TRUE(student_logits.grad().defined());
  EXPECT_GT(student_logits.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(teacher_logits.grad().defined()) << "the teacher must not learn from its student";
  // Frames past an utterance's length get no gradient.
  EXPECT_EQ(student_logits.grad()[3][1].abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace omnisparse
