// RNN-T loss cost next to the joiner that feeds it: the loss must not dominate a training step.
//
//   bench_rnnt_loss [threads=1] [reps=10]
//
// Problem: B=16, T=100, U=60, V=30; joiner with 256-dim encoder/predictor outputs projected to
// 256, added with broadcasting, tanh, linear to V (torch::nn::Linear). Baseline: the joiner's
// forward+backward; measured: loss forward+backward (both implementations) on its output.
// Prints medians over `reps` repetitions after two warm-ups, and the ratios.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "core/model/rnnt_loss.h"

namespace {

double median_ms(int reps, const std::function<void()>& f) {
  for (int i = 0; i < 2; ++i) f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace omnisparse;
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 10;
  at::set_num_threads(threads);
  const int64_t B = 16, T = 100, U = 60, V = 30, D = 256;
  torch::manual_seed(0);

  torch::nn::Linear enc_proj(D, D), pred_proj(D, D), out(D, V);
  auto enc = torch::randn({B, T, D}, torch::requires_grad());       // [B, T, D]
  auto pred = torch::randn({B, U + 1, D}, torch::requires_grad());  // [B, U+1, D]
  auto joiner = [&] {                                               // -> [B, T, U+1, V]
    auto h = enc_proj(enc).unsqueeze(2) + pred_proj(pred).unsqueeze(1);  // [B, T, U+1, D]
    return out(torch::tanh(h));
  };
  auto targets = torch::randint(1, V, {B, U}, torch::kInt64);  // [B, U]
  // Realistic batch: lengths vary within the padded tensor.
  auto logit_lengths = torch::randint(T / 2, T + 1, {B}, torch::kInt64);   // [B]
  auto target_lengths = torch::randint(U / 2, U + 1, {B}, torch::kInt64);  // [B]
  logit_lengths[0] = T;
  target_lengths[0] = U;

  auto logits = joiner().detach();                // [B, T, U+1, V]
  auto grad_logits = torch::randn_like(logits);   // stands in for the loss gradient
  const double joiner_ms = median_ms(reps, [&] {
    for (auto* m : {&*enc_proj, &*pred_proj, &*out})
      for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
    enc.mutable_grad() = torch::Tensor();
    pred.mutable_grad() = torch::Tensor();
    joiner().backward(grad_logits);
  });
  auto loss_ms = [&](RnntAlgorithm algo) {
    return median_ms(reps, [&] {
      auto x = logits.clone().requires_grad_(true);
      rnnt_loss(x, targets, logit_lengths, target_lengths, 0, Reduction::Mean, algo).backward();
    });
  };
  const double loop_ms = loss_ms(RnntAlgorithm::CpuLoop);
  const double ops_ms = loss_ms(RnntAlgorithm::TensorOps);

  std::printf("rnnt_loss bench: B=%lld T=%lld U=%lld V=%lld joiner dim %lld, %d thread(s), "
              "median of %d\n",
              (long long)B, (long long)T, (long long)U, (long long)V, (long long)D, threads, reps);
  std::printf("  joiner forward+backward (baseline) %9.2f ms\n", joiner_ms);
  std::printf("  loss+grad, CPU loop                %9.2f ms   ratio to joiner %.3f\n", loop_ms,
              loop_ms / joiner_ms);
  std::printf("  loss+grad, tensor ops              %9.2f ms   ratio to joiner %.3f\n", ops_ms,
              ops_ms / joiner_ms);
  return 0;
}
