// One LSTM layer's training pass (forward + backward) on one CPU thread: LibTorch's at::lstm
// against lstm_layer (core/model/lstm_layer.h), measured in the same run, for two batch sizes,
// so the fixed (batch-independent) part of each shows: fixed = 2 t(B/2) - t(B).
//
//   bench_lstm_layer [B=24] [T=62] [I=160] [H=256] [reps=10]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/common/heap_tuning.h"
#include "core/model/lstm_layer.h"

using namespace omnisparse;
using Clock = std::chrono::steady_clock;

namespace {

struct Times {
  double fwd = 0, bwd = 0;
};

Times run(bool ours, int64_t B, int64_t T, int64_t I, int64_t H, int reps) {
  torch::manual_seed(0);
  auto w = [&](int64_t n, int64_t m) { return (0.1 * torch::randn({n, m})).requires_grad_(); };
  auto w_ih = w(4 * H, I), w_hh = w(4 * H, H);
  auto b_ih = torch::zeros({4 * H}).requires_grad_(), b_hh = torch::zeros({4 * H}).requires_grad_();
  auto x = torch::randn({T, B, I}).requires_grad_();
  auto h0 = torch::zeros({B, H}), c0 = torch::zeros({B, H});
  auto r = torch::randn({T, B, H});
  Times sum;
  for (int k = 0; k <= reps; ++k) {
    auto t0 = Clock::now();
    torch::Tensor y;
    if (ours) {
      y = std::get<0>(lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh));
    } else {
      y = std::get<0>(at::lstm(x, {h0.unsqueeze(0), c0.unsqueeze(0)}, {w_ih, w_hh, b_ih, b_hh},
                               true, 1, 0.0, true, false, false));
    }
    auto t1 = Clock::now();
    (y * r).sum().backward();
    auto t2 = Clock::now();
    if (k == 0) continue;  // warm-up
    sum.fwd += std::chrono::duration<double, std::milli>(t1 - t0).count() / reps;
    sum.bwd += std::chrono::duration<double, std::milli>(t2 - t1).count() / reps;
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t B = argc > 1 ? std::stoll(argv[1]) : 24;
  const int64_t T = argc > 2 ? std::stoll(argv[2]) : 62;
  const int64_t I = argc > 3 ? std::stoll(argv[3]) : 160;
  const int64_t H = argc > 4 ? std::stoll(argv[4]) : 256;
  const int reps = argc > 5 ? std::stoi(argv[5]) : 10;
  at::set_num_threads(1);
  keep_step_buffers_in_heap();  // as the trainer does
  std::printf("one LSTM layer, T=%lld I=%lld H=%lld, 1 thread, mean of %d (ms)\n", (long long)T,
              (long long)I, (long long)H, reps);
  std::printf("%-12s %6s %9s %9s %9s %16s\n", "", "B", "forward", "backward", "pass",
              "utterances/s");
  double full[2] = {0, 0}, half[2] = {0, 0};
  for (int ours = 0; ours < 2; ++ours) {
    for (int64_t b : {B, B / 2}) {
      const Times t = run(ours, b, T, I, H, reps);
      const double pass = t.fwd + t.bwd;
      (b == B ? full : half)[ours] = pass;
      std::printf("%-12s %6lld %9.2f %9.2f %9.2f %16.1f\n", ours ? "lstm_layer" : "at::lstm",
                  (long long)b, t.fwd, t.bwd, pass, 1e3 * b / pass);
    }
  }
  for (int ours = 0; ours < 2; ++ours)
    std::printf("%-12s fixed cost per pass (2 t(B/2) - t(B)): %.2f ms\n",
                ours ? "lstm_layer" : "at::lstm", 2 * half[ours] - full[ours]);
  std::printf("lstm_layer / at::lstm: %.2fx at B=%lld, %.2fx at B=%lld (time)\n",
              full[1] / full[0], (long long)B, half[1] / half[0], (long long)(B / 2));
}
