// Where the time of one training pass goes (tiny preset, one thread): encoder, predictor,
// joiner, RNN-T loss, backward. Prints ms per stage and the share of the pass, for batches
// shaped like the synthetic commands corpus (2.5 s utterances, ~35 characters).
//
//   bench_train_step [B=48] [T=250] [U=35] [reps=3] [preset=tiny]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/common/heap_tuning.h"
#include "core/model/rnnt_loss.h"
#include "core/model/transducer.h"

using namespace omnisparse;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int main(int argc, char** argv) {
  const int64_t B = argc > 1 ? std::stoll(argv[1]) : 48;
  const int64_t T = argc > 2 ? std::stoll(argv[2]) : 250;
  const int64_t U = argc > 3 ? std::stoll(argv[3]) : 35;
  const int reps = argc > 4 ? std::stoi(argv[4]) : 3;
  const std::string name = argc > 5 ? argv[5] : "tiny";
  at::set_num_threads(1);
  keep_step_buffers_in_heap();  // as the trainer does
  torch::manual_seed(0);
  Transducer model(preset(name));
  model->train();
  auto feats = torch::randn({B, T, 80});
  auto lens = torch::full({B}, T, torch::kInt64);
  auto targets = torch::randint(1, 29, {B, U}, torch::kInt64);
  auto tlens = torch::full({B}, U, torch::kInt64);
  double t_enc = 0, t_pred = 0, t_joint = 0, t_loss = 0, t_bwd = 0;
  for (int r = 0; r < reps + 1; ++r) {
    model->zero_grad();
    auto t0 = Clock::now();
    auto enc = model->encode(feats, lens);
    double a = ms_since(t0);
    t0 = Clock::now();
    auto pred = model->predict(torch::cat({torch::zeros({B, 1}, torch::kInt64), targets}, 1));
    double b = ms_since(t0);
    t0 = Clock::now();
    auto logits = model->joint(enc.enc, pred.pred);
    double c = ms_since(t0);
    t0 = Clock::now();
    auto loss = rnnt_loss(logits, targets, enc.lens, tlens);
    double d = ms_since(t0);
    t0 = Clock::now();
    loss.backward();
    double e = ms_since(t0);
    if (r == 0) continue;  // warm-up
    t_enc += a; t_pred += b; t_joint += c; t_loss += d; t_bwd += e;
  }
  const double total = t_enc + t_pred + t_joint + t_loss + t_bwd;
  std::printf("preset %s, B=%lld T=%lld (T'=%lld) U=%lld, 1 thread, mean of %d\n", name.c_str(),
              (long long)B, (long long)T, (long long)(T / 4), (long long)U, reps);
  auto row = [&](const char* n, double t) {
    std::printf("  %-10s %8.1f ms  %5.1f %%\n", n, t / reps, 100 * t / total);
  };
  row("encoder", t_enc);
  row("predictor", t_pred);
  row("joiner", t_joint);
  row("loss", t_loss);
  row("backward", t_bwd);
  std::printf("  %-10s %8.1f ms  = %.1f utterances/s\n", "pass", total / reps, B * reps * 1000.0 / total);
  return 0;
}
