// Dense Y (+)= W X. Batch 1: row dot products with 8 independent lanes (AVX2: four rows per
// pass share each load of x). Batch n: each weight is reused across the n contiguous frames.
#include "core/kernels/dense_gemv.h"

#include <immintrin.h>

#include <string>

#include "core/common/error.h"
#include "core/kernels/batch_width.h"

namespace omnisparse::kernels {
namespace {

struct DenseView {
  int64_t rows, cols;
  const float* w;
};

[[gnu::always_inline]] inline float dot(const float* a, const float* x, int64_t len) {
  float s[8] = {};
  int64_t k = 0;
  for (; k + 8 <= len; k += 8) {
    for (int j = 0; j < 8; ++j) s[j] += a[k + j] * x[k + j];
  }
  for (; k < len; ++k) s[0] += a[k] * x[k];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

template <int W>
[[gnu::always_inline]] inline void dense_width(const DenseView& a, const float* x, int64_t n,
                                               int64_t j0, float* y, bool add) {
  if constexpr (W == 1) {
    if (n == 1) {
      for (int64_t r = 0; r < a.rows; ++r) {
        const float s = dot(a.w + r * a.cols, x, a.cols);
        y[r] = add ? y[r] + s : s;
      }
      return;
    }
  }
  for (int64_t r = 0; r < a.rows; ++r) {
    float s[W] = {};
    const float* wr = a.w + r * a.cols;
    for (int64_t k = 0; k < a.cols; ++k) {
      const float v = wr[k];
      const float* xr = x + k * n + j0;
      for (int j = 0; j < W; ++j) s[j] += v * xr[j];
    }
    detail::store_row<W>(y + r * n + j0, s, add);
  }
}

[[gnu::always_inline]] inline void dense_all(const DenseView& a, const float* x, int64_t n,
                                             float* y, bool add) {
  detail::for_each_width(n, [&]<int W>(int64_t j0) { dense_width<W>(a, x, n, j0, y, add); });
}

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

__attribute__((target("avx2,fma"))) void gemv_avx2(const DenseView& a, const float* x, float* y,
                                                   bool add) {
  const int64_t cols = a.cols, c8 = cols & ~int64_t{7};
  int64_t r = 0;
  for (; r + 4 <= a.rows; r += 4) {
    const float* w0 = a.w + r * cols;
    const float* w1 = w0 + cols;
    const float* w2 = w1 + cols;
    const float* w3 = w2 + cols;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t k = 0; k < c8; k += 8) {
      const __m256 xv = _mm256_loadu_ps(x + k);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + k), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + k), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + k), xv, s3);
    }
    float t[4] = {hsum(s0), hsum(s1), hsum(s2), hsum(s3)};
    for (int64_t k = c8; k < cols; ++k) {
      t[0] += w0[k] * x[k];
      t[1] += w1[k] * x[k];
      t[2] += w2[k] * x[k];
      t[3] += w3[k] * x[k];
    }
    for (int i = 0; i < 4; ++i) y[r + i] = add ? y[r + i] + t[i] : t[i];
  }
  for (; r < a.rows; ++r) {
    const float* wr = a.w + r * cols;
    __m256 s = _mm256_setzero_ps();
    for (int64_t k = 0; k < c8; k += 8) {
      s = _mm256_fmadd_ps(_mm256_loadu_ps(wr + k), _mm256_loadu_ps(x + k), s);
    }
    float t = hsum(s);
    for (int64_t k = c8; k < cols; ++k) t += wr[k] * x[k];
    y[r] = add ? y[r] + t : t;
  }
}

__attribute__((target("avx2,fma"))) void dense_avx2(const DenseView& a, const float* x,
                                                    int64_t n, float* y, bool add) {
  if (n == 1) {
    gemv_avx2(a, x, y, add);
    return;
  }
  dense_all(a, x, n, y, add);
}

}  // namespace

DenseMatrix::DenseMatrix(const float* w, int64_t rows, int64_t cols)
    : rows_(rows), cols_(cols), w_(w, w + rows * cols) {
  if (rows < 0 || cols < 0) throw InvalidArgument("DenseMatrix: negative dimensions");
}

void DenseMatrix::multiply(const float* x, int64_t n, float* y, Accumulate acc, Isa isa) const {
  if (n < 1) throw InvalidArgument("DenseMatrix::multiply: n must be >= 1, got " + std::to_string(n));
  require_supported(isa);
  const DenseView a{rows_, cols_, w_.data()};
  const bool add = acc == Accumulate::kYes;
  if (isa == Isa::kAvx2) {
    dense_avx2(a, x, n, y, add);
  } else {
    dense_all(a, x, n, y, add);
  }
}

}  // namespace omnisparse::kernels
