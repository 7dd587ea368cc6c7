// CSR Y (+)= A X. Batch-1 is a gather-dot per row (4 independent accumulators so the adds
// pipeline); a batch of n frames reuses each (value, column) pair across the n frames, whose
// inputs are contiguous (X [cols, n]), so the inner loop is a vector FMA of width n.
// The AVX2 entry point instantiates the same width templates inside a target("avx2,fma")
// function (the compiler vectorises them with 256-bit registers) and adds a hand-written
// gather kernel for batch 1.
#include "core/kernels/csr_kernels.h"

#include <immintrin.h>

#include "core/kernels/batch_width.h"

namespace omnisparse::kernels::detail {
namespace {

[[gnu::always_inline]] inline float csr_row_dot(const CsrView& a, int64_t r, const float* x) {
  const int32_t b = a.row_ptr[r], e = a.row_ptr[r + 1];
  float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int32_t k = b;
  for (; k + 4 <= e; k += 4) {
    for (int j = 0; j < 4; ++j) s[j] += a.values[k + j] * x[a.col_idx[k + j]];
  }
  for (; k < e; ++k) s[0] += a.values[k] * x[a.col_idx[k]];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// Columns [j0, j0+W) of the batch.
template <int W>
[[gnu::always_inline]] inline void csr_width(const CsrView& a, const float* x, int64_t n,
                                             int64_t j0, float* y, bool add) {
  if constexpr (W == 1) {
    if (n == 1) {
      for (int64_t r = 0; r < a.rows; ++r) {
        const float s = csr_row_dot(a, r, x);
        y[r] = add ? y[r] + s : s;
      }
      return;
    }
  }
  for (int64_t r = 0; r < a.rows; ++r) {
    float s[W] = {};
    for (int32_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) {
      const float v = a.values[k];
      const float* xr = x + static_cast<int64_t>(a.col_idx[k]) * n + j0;
      for (int j = 0; j < W; ++j) s[j] += v * xr[j];
    }
    store_row<W>(y + r * n + j0, s, add);
  }
}

[[gnu::always_inline]] inline void csr_all(const CsrView& a, const float* x, int64_t n, float* y,
                                           bool add) {
  for_each_width(n, [&]<int W>(int64_t j0) { csr_width<W>(a, x, n, j0, y, add); });
}

__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

// Batch 1: 8 lanes of (value, gathered x) per FMA, two accumulators, a masked tail.
__attribute__((target("avx2,fma"))) void csr_gemv_avx2(const CsrView& a, const float* x,
                                                       float* y, bool add) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t r = 0; r < a.rows; ++r) {
    const int32_t b = a.row_ptr[r], e = a.row_ptr[r + 1];
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int32_t k = b;
    for (; k + 16 <= e; k += 16) {
      const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.col_idx + k));
      const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.col_idx + k + 8));
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + k), _mm256_i32gather_ps(x, i0, 4), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + k + 8), _mm256_i32gather_ps(x, i1, 4), s1);
    }
    if (k + 8 <= e) {
      const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.col_idx + k));
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + k), _mm256_i32gather_ps(x, i0, 4), s0);
      k += 8;
    }
    if (k < e) {
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(e - k), lane);
      const __m256i idx = _mm256_maskload_epi32(a.col_idx + k, mask);
      const __m256 v = _mm256_maskload_ps(a.values + k, mask);
      const __m256 xv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, idx,
                                                 _mm256_castsi256_ps(mask), 4);
      s1 = _mm256_fmadd_ps(v, xv, s1);
    }
    const float s = hsum256(_mm256_add_ps(s0, s1));
    y[r] = add ? y[r] + s : s;
  }
}

}  // namespace

void csr_multiply_portable(const CsrView& a, const float* x, int64_t n, float* y, bool add) {
  csr_all(a, x, n, y, add);
}

__attribute__((target("avx2,fma"))) void csr_multiply_avx2(const CsrView& a, const float* x,
                                                           int64_t n, float* y, bool add) {
  if (n == 1) {
    csr_gemv_avx2(a, x, y, add);
    return;
  }
  csr_all(a, x, n, y, add);
}

}  // namespace omnisparse::kernels::detail
