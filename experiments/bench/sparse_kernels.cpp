// bench_sparse_kernels: time per call of one pruned layer Y = W X at batch 1 and 4 (frames per
// streaming chunk) for the tiny/small preset and paper-scale layer shapes, at 0..95 % sparsity:
// dense OpenBLAS through torch (at::mv / at::mm, the baseline users get), our dense kernel,
// CSR (unstructured mask) and BSR 1x4 / 4x4 (block masks), as speed-ups over torch measured
// in the same run, next to the ideal 1/(1-s). Single thread, hot caches (the weights are
// reused call after call, as a layer is frame after frame when the model fits in cache).
//
//   build-X/bin/bench_sparse_kernels [--rounds N] [--quick] > table.md
//
// Each time is the median over N rounds (default 31) of >= 0.2 ms of back-to-back calls, so a
// shared, loaded machine skews single rounds but not the median.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/kernels/block_sparse.h"
#include "core/kernels/csr_matrix.h"
#include "core/kernels/dense_gemv.h"

using namespace omnisparse::kernels;

namespace {

int g_rounds = 31;

template <typename F>
double median_us(F&& f) {
  using clock = std::chrono::steady_clock;
  f();
  std::vector<double> t;
  for (int r = 0; r < g_rounds; ++r) {
    int64_t calls = 0;
    const auto t0 = clock::now();
    double el = 0.0;
    do {
      f();
      ++calls;
      el = std::chrono::duration<double>(clock::now() - t0).count();
    } while (el < 2e-4);
    t.push_back(1e6 * el / static_cast<double>(calls));
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

// Unstructured: each weight kept with probability 1-s. Block: each RxC tile kept whole.
std::vector<float> masked(int64_t rows, int64_t cols, double s, int64_t R, int64_t C,
                          uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.1f, 1.0f);
  std::bernoulli_distribution keep(1.0 - s);
  std::vector<float> w(static_cast<size_t>(rows * cols), 0.0f);
  for (int64_t tr = 0; tr * R < rows; ++tr)
    for (int64_t tc = 0; tc * C < cols; ++tc) {
      if (!keep(rng)) continue;
      for (int64_t r = tr * R; r < std::min(rows, tr * R + R); ++r)
        for (int64_t c = tc * C; c < std::min(cols, tc * C + C); ++c) w[r * cols + c] = u(rng);
    }
  return w;
}

struct Layer {
  const char* preset;
  const char* name;
  int64_t rows, cols;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string cmd = argv[0];
  for (int i = 1; i < argc; ++i) {
    cmd += std::string(" ") + argv[i];
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      g_rounds = std::max(1, std::atoi(argv[++i]));
      cmd += std::string(" ") + argv[i];
    }
  }
  at::set_num_threads(1);
  const Isa isa = best_isa();
  std::vector<Layer> layers = {
      {"tiny", "enc LSTM0 w_ih", 1024, 160}, {"tiny", "enc LSTM w_hh / w_ih1", 1024, 256},
      {"tiny", "enc proj", 192, 256},        {"tiny", "joiner out", 29, 192},
      {"small", "enc LSTM0 w_ih", 1536, 256}, {"small", "enc LSTM w_hh", 1536, 384},
      {"small", "enc proj", 320, 384},       {"paper", "FFN up", 4096, 1024},
      {"paper", "FFN down", 1024, 4096}};
  std::vector<double> levels = {0.0, 0.5, 0.7, 0.8, 0.9, 0.95};
  if (quick) layers.resize(2), levels = {0.0, 0.9};

  std::printf("# Sparse kernels vs dense, batch 1 and 4\n\n");
  std::printf("- command: `%s`\n- machine: %s, single thread, ISA path: %s; load average at "
              "start: %s (shared machine: every time is the median of %d rounds of >= 0.2 ms)\n",
              cmd.c_str(), cpu_model().c_str(), isa_name(isa), loadavg().c_str(), g_rounds);
  std::printf("- cells: speed-up over dense OpenBLAS via torch (at::mv at batch 1, at::mm at "
              "batch 4) = t_torch / t_kernel; >1 is faster. `ideal` = 1/(1-s). CSR GB/s = bytes "
              "moved per call (values + indices + row pointers + x + y) / time.\n\n");
  for (const int64_t n : {int64_t{1}, int64_t{4}}) {
    std::printf("## batch %lld\n\n", static_cast<long long>(n));
    std::printf("| preset | layer | shape | sparsity | torch dense us | ours dense | CSR | "
                "BSR 1x4 | BSR 4x4 | ideal | CSR GB/s |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    uint32_t seed = 1;
    for (const Layer& L : layers) {
      std::vector<float> x(static_cast<size_t>(L.cols * n));
      std::mt19937 rng(seed);
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (auto& v : x) v = u(rng);
      std::vector<float> y(static_cast<size_t>(L.rows * n));
      for (const double s : levels) {
        const auto wu = masked(L.rows, L.cols, s, 1, 1, seed++);
        const auto w14 = masked(L.rows, L.cols, s, 1, 4, seed++);
        const auto w44 = masked(L.rows, L.cols, s, 4, 4, seed++);
        // torch: W [rows, cols] (the masked weight, zeros included), X [cols, n].
        const at::Tensor tw = at::from_blob(const_cast<float*>(wu.data()), {L.rows, L.cols}).clone();
        const at::Tensor tx = at::from_blob(x.data(), {L.cols, n}).clone();
        at::Tensor ty = at::empty({L.rows, n});
        double t_torch = 0.0;
        if (n == 1) {
          const at::Tensor tx1 = tx.view({L.cols});
          at::Tensor ty1 = ty.view({L.rows});
          t_torch = median_us([&] { at::mv_out(ty1, tw, tx1); });
        } else {
          t_torch = median_us([&] { at::mm_out(ty, tw, tx); });
        }
        const DenseMatrix dense(wu.data(), L.rows, L.cols);
        const auto csr = CsrMatrix::from_dense(wu.data(), L.rows, L.cols);
        const auto b14 = BlockSparseMatrix::from_dense(w14.data(), L.rows, L.cols, 1, 4);
        const auto b44 = BlockSparseMatrix::from_dense(w44.data(), L.rows, L.cols, 4, 4);
        const auto run = [&](const auto& m) {
          return median_us([&] { m.multiply(x.data(), n, y.data(), Accumulate::kNo, isa); });
        };
        const double t_dense = run(dense), t_csr = run(csr), t_14 = run(b14), t_44 = run(b44);
        const double csr_bytes = static_cast<double>(csr.bytes()) + 4.0 * (L.cols + L.rows) * n;
        std::printf("| %s | %s | %lldx%lld | %.0f %% | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f |\n",
                    L.preset, L.name, static_cast<long long>(L.rows),
                    static_cast<long long>(L.cols), 100 * s, t_torch, t_torch / t_dense,
                    t_torch / t_csr, t_torch / t_14, t_torch / t_44, 1.0 / (1.0 - s),
                    csr_bytes / (t_csr * 1e3));
        std::fflush(stdout);
      }
    }
    std::printf("\n");
  }
  return 0;
}
