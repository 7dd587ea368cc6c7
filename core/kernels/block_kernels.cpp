// BSR Y (+)= B X. One pass per tile row; a tile's R*C values are contiguous, so there is one
// index load per tile instead of one per weight (the point of blocks: 4/(R*C) bytes of index
// per weight instead of CSR's 4). Fixed tile shapes are templates the compiler unrolls; at
// batch 1 the accumulators are kept per (row, column-in-tile) lane and reduced once per tile
// row, so the adds are independent and vectorise.
#include "core/kernels/block_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "core/kernels/batch_width.h"

namespace omnisparse::kernels::detail {
namespace {

template <int R, int C, int W>
[[gnu::always_inline]] inline void bsr_fixed(const BsrView& a, const float* x, int64_t n,
                                             int64_t j0, float* y, bool add) {
  for (int64_t tr = 0; tr < a.tile_rows; ++tr) {
    const int32_t b = a.tile_row_ptr[tr], e = a.tile_row_ptr[tr + 1];
    float* yr = y + tr * R * n + j0;
    if constexpr (W == 1) {
      if (n == 1) {
        float s[R][C] = {};
        for (int32_t k = b; k < e; ++k) {
          const float* t = a.values + static_cast<int64_t>(k) * R * C;
          const float* xc = x + static_cast<int64_t>(a.tile_col[k]) * C;
          for (int i = 0; i < R; ++i)
            for (int c = 0; c < C; ++c) s[i][c] += t[i * C + c] * xc[c];
        }
        for (int i = 0; i < R; ++i) {
          float t = 0.0f;
          for (int c = 0; c < C; ++c) t += s[i][c];
          yr[i] = add ? yr[i] + t : t;
        }
        continue;
      }
    }
    float s[R][W] = {};
    for (int32_t k = b; k < e; ++k) {
      const float* t = a.values + static_cast<int64_t>(k) * R * C;
      const float* xc = x + static_cast<int64_t>(a.tile_col[k]) * C * n + j0;
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < R; ++i)
          for (int j = 0; j < W; ++j) s[i][j] += t[i * C + c] * xc[c * n + j];
    }
    for (int i = 0; i < R; ++i) store_row<W>(yr + i * n, s[i], add);
  }
}

// Any tile shape: runtime R, C; accumulators in a per-call buffer [R, W].
template <int W>
[[gnu::always_inline]] inline void bsr_generic(const BsrView& a, const float* x, int64_t n,
                                               int64_t j0, float* y, bool add,
                                               std::vector<float>& s) {
  const int64_t R = a.r, C = a.c;
  s.assign(static_cast<size_t>(R * W), 0.0f);
  for (int64_t tr = 0; tr < a.tile_rows; ++tr) {
    std::fill(s.begin(), s.end(), 0.0f);
    for (int32_t k = a.tile_row_ptr[tr]; k < a.tile_row_ptr[tr + 1]; ++k) {
      const float* t = a.values + static_cast<int64_t>(k) * R * C;
      const float* xc = x + static_cast<int64_t>(a.tile_col[k]) * C * n + j0;
      for (int64_t i = 0; i < R; ++i)
        for (int64_t c = 0; c < C; ++c)
          for (int j = 0; j < W; ++j) s[i * W + j] += t[i * C + c] * xc[c * n + j];
    }
    for (int64_t i = 0; i < R; ++i) store_row<W>(y + (tr * R + i) * n + j0, &s[i * W], add);
  }
}

[[gnu::always_inline]] inline void bsr_all(const BsrView& a, const float* x, int64_t n, float* y,
                                           bool add) {
  const auto run = [&]<int R, int C>() {
    for_each_width(n, [&]<int W>(int64_t j0) { bsr_fixed<R, C, W>(a, x, n, j0, y, add); });
  };
  if (a.r == 1 && a.c == 4) return run.template operator()<1, 4>();
  if (a.r == 4 && a.c == 4) return run.template operator()<4, 4>();
  if (a.r == 8 && a.c == 1) return run.template operator()<8, 1>();
  if (a.r == 4 && a.c == 1) return run.template operator()<4, 1>();
  std::vector<float> s;
  for_each_width(n, [&]<int W>(int64_t j0) { bsr_generic<W>(a, x, n, j0, y, add, s); });
}

__attribute__((target("avx2,fma"))) inline float hsum128(__m128 s) {
  const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}

// 1x4 at batch 1: two tiles (8 contiguous values) per FMA against their two x quads.
__attribute__((target("avx2,fma"))) void bsr_1x4_gemv(const BsrView& a, const float* x, float* y,
                                                      bool add) {
  for (int64_t tr = 0; tr < a.tile_rows; ++tr) {
    const int32_t b = a.tile_row_ptr[tr], e = a.tile_row_ptr[tr + 1];
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int32_t k = b;
    for (; k + 4 <= e; k += 4) {
      const __m256 x01 = _mm256_insertf128_ps(
          _mm256_castps128_ps256(_mm_loadu_ps(x + 4 * a.tile_col[k])),
          _mm_loadu_ps(x + 4 * a.tile_col[k + 1]), 1);
      const __m256 x23 = _mm256_insertf128_ps(
          _mm256_castps128_ps256(_mm_loadu_ps(x + 4 * a.tile_col[k + 2])),
          _mm_loadu_ps(x + 4 * a.tile_col[k + 3]), 1);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + 4 * k), x01, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + 4 * k + 8), x23, s1);
    }
    const __m256 s = _mm256_add_ps(s0, s1);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    for (; k < e; ++k) {
      q = _mm_fmadd_ps(_mm_loadu_ps(a.values + 4 * k), _mm_loadu_ps(x + 4 * a.tile_col[k]), q);
    }
    const float t = hsum128(q);
    y[tr] = add ? y[tr] + t : t;
  }
}

// 4x4 at batch 1: a tile is rows (0,1) and (2,3) as two 8-wide vectors against x quad twice.
__attribute__((target("avx2,fma"))) void bsr_4x4_gemv(const BsrView& a, const float* x, float* y,
                                                      bool add) {
  for (int64_t tr = 0; tr < a.tile_rows; ++tr) {
    const int32_t b = a.tile_row_ptr[tr], e = a.tile_row_ptr[tr + 1];
    __m256 s01 = _mm256_setzero_ps(), s23 = _mm256_setzero_ps();
    for (int32_t k = b; k < e; ++k) {
      const __m256 xv = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(x + 4 * a.tile_col[k]));
      const float* t = a.values + 16 * static_cast<int64_t>(k);
      s01 = _mm256_fmadd_ps(_mm256_loadu_ps(t), xv, s01);
      s23 = _mm256_fmadd_ps(_mm256_loadu_ps(t + 8), xv, s23);
    }
    // hadd twice: lanes become [r0, r2, r0, r2 | r1, r3, r1, r3].
    const __m256 h = _mm256_hadd_ps(s01, s23);
    const __m256 h2 = _mm256_hadd_ps(h, h);
    alignas(32) float o[8];
    _mm256_store_ps(o, h2);
    const float t[4] = {o[0], o[4], o[1], o[5]};
    float* yr = y + 4 * tr;
    for (int i = 0; i < 4; ++i) yr[i] = add ? yr[i] + t[i] : t[i];
  }
}

// 8x1 at batch 1: a tile is a column of 8 rows times one broadcast x.
__attribute__((target("avx2,fma"))) void bsr_8x1_gemv(const BsrView& a, const float* x, float* y,
                                                      bool add) {
  for (int64_t tr = 0; tr < a.tile_rows; ++tr) {
    const int32_t b = a.tile_row_ptr[tr], e = a.tile_row_ptr[tr + 1];
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int32_t k = b;
    for (; k + 2 <= e; k += 2) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + 8 * k), _mm256_set1_ps(x[a.tile_col[k]]), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + 8 * k + 8),
                           _mm256_set1_ps(x[a.tile_col[k + 1]]), s1);
    }
    if (k < e) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a.values + 8 * k), _mm256_set1_ps(x[a.tile_col[k]]), s0);
    }
    float* yr = y + 8 * tr;
    __m256 s = _mm256_add_ps(s0, s1);
    if (add) s = _mm256_add_ps(s, _mm256_loadu_ps(yr));
    _mm256_storeu_ps(yr, s);
  }
}

}  // namespace

void bsr_multiply_portable(const BsrView& a, const float* x, int64_t n, float* y, bool add) {
  bsr_all(a, x, n, y, add);
}

__attribute__((target("avx2,fma"))) void bsr_multiply_avx2(const BsrView& a, const float* x,
                                                           int64_t n, float* y, bool add) {
  if (n == 1) {
    if (a.r == 1 && a.c == 4) return bsr_1x4_gemv(a, x, y, add);
    if (a.r == 4 && a.c == 4) return bsr_4x4_gemv(a, x, y, add);
    if (a.r == 8 && a.c == 1) return bsr_8x1_gemv(a, x, y, add);
  }
  bsr_all(a, x, n, y, add);
}

}  // namespace omnisparse::kernels::detail
