// Shared by the kernel tests: random pruned matrices and a double-precision reference product.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace omnisparse::kernels::testing {

// [rows, cols] row-major, each weight kept with probability `density` (others exactly 0);
// kept weights uniform in [-1, 1] and never 0. Rows listed in `empty_rows` are all zero.
inline std::vector<float> random_sparse(int64_t rows, int64_t cols, double density, uint32_t seed,
                                        const std::vector<int64_t>& empty_rows = {}) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::bernoulli_distribution keep(density);
  std::vector<float> w(static_cast<size_t>(rows * cols), 0.0f);
  for (auto& v : w) {
    if (keep(rng)) {
      float x = u(rng);
      v = x == 0.0f ? 0.5f : x;
    }
  }
  for (int64_t r : empty_rows)
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] = 0.0f;
  return w;
}

// Block-structured: each RxC tile (edge tiles partial) kept whole with probability `density`.
inline std::vector<float> random_block_sparse(int64_t rows, int64_t cols, int64_t R, int64_t C,
                                              double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.1f, 1.0f);
  std::bernoulli_distribution keep(density), sign(0.5);
  std::vector<float> w(static_cast<size_t>(rows * cols), 0.0f);
  for (int64_t tr = 0; tr * R < rows; ++tr)
    for (int64_t tc = 0; tc * C < cols; ++tc) {
      if (!keep(rng)) continue;
      for (int64_t r = tr * R; r < std::min(rows, tr * R + R); ++r)
        for (int64_t c = tc * C; c < std::min(cols, tc * C + C); ++c)
          w[r * cols + c] = sign(rng) ? u(rng) : -u(rng);
    }
  return w;
}

inline std::vector<float> random_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = u(rng);
  return v;
}

// Y [rows, n] = W [rows, cols] X [cols, n] in double, plus the per-entry scale sum |w||x|.
struct Reference {
  std::vector<double> y, scale;
};
inline Reference reference(const std::vector<float>& w, int64_t rows, int64_t cols,
                           const std::vector<float>& x, int64_t n) {
  Reference ref{std::vector<double>(static_cast<size_t>(rows * n), 0.0),
                std::vector<double>(static_cast<size_t>(rows * n), 0.0)};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      const double a = w[r * cols + k];
      if (a == 0.0) continue;
      for (int64_t j = 0; j < n; ++j) {
        ref.y[r * n + j] += a * x[k * n + j];
        ref.scale[r * n + j] += std::abs(a * x[k * n + j]);
      }
    }
  return ref;
}

// Every entry within 1e-4 relative (to the sum of |terms|, so cancellation cannot hide errors;
// an all-zero row must come out exactly 0 + initial).
inline void expect_close(const std::vector<float>& got, const Reference& ref,
                         const std::vector<float>& initial = {}) {
  ASSERT_EQ(got.size(), ref.y.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double want = ref.y[i] + (initial.empty() ? 0.0 : initial[i]);
    const double tol = 1e-4 * (ref.scale[i] + (initial.empty() ? 0.0 : std::abs(initial[i])));
    ASSERT_NEAR(got[i], want, tol) << "entry " << i;
  }
}

}  // namespace omnisparse::kernels::testing
