#include "core/stream/lstm_cell.h"

#include <immintrin.h>

#include <cmath>

namespace omnisparse {
namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

void lstm_cell_portable(const float* g, int64_t H, float* h, float* c) {
  for (int64_t j = 0; j < H; ++j) {
    const float i = sigmoid(g[j]), f = sigmoid(g[H + j]);
    const float gg = std::tanh(g[2 * H + j]), o = sigmoid(g[3 * H + j]);
    c[j] = f * c[j] + i * gg;
    h[j] = o * std::tanh(c[j]);
  }
}

// exp(x) for 8 lanes: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-5 polynomial (Cephes
// expf), 2^n through the exponent bits. Inputs are clamped to +-88.376 (overflow to inf and
// underflow to 0 are then exact enough for sigmoid).
__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f));
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i n = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
  return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(n, 23)));
}

__attribute__((target("avx2,fma"))) inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(x) = 2 sigmoid(2x) - 1 (absolute error ~1e-7 near 0, which is what the tests bound).
__attribute__((target("avx2,fma"))) inline __m256 tanh8(__m256 x) {
  const __m256 two = _mm256_set1_ps(2.0f);
  return _mm256_fmsub_ps(two, sigmoid8(_mm256_mul_ps(two, x)), _mm256_set1_ps(1.0f));
}

__attribute__((target("avx2,fma"))) void lstm_cell_avx2(const float* g, int64_t H, float* h,
                                                        float* c) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256 i = sigmoid8(_mm256_loadu_ps(g + j));
    const __m256 f = sigmoid8(_mm256_loadu_ps(g + H + j));
    const __m256 gg = tanh8(_mm256_loadu_ps(g + 2 * H + j));
    const __m256 o = sigmoid8(_mm256_loadu_ps(g + 3 * H + j));
    const __m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(c + j), _mm256_mul_ps(i, gg));
    _mm256_storeu_ps(c + j, cn);
    _mm256_storeu_ps(h + j, _mm256_mul_ps(o, tanh8(cn)));
  }
  for (; j < H; ++j) {  // tail (H not a multiple of 8): std::exp, same result to ~1e-7
    const float i = sigmoid(g[j]), f = sigmoid(g[H + j]);
    const float gg = std::tanh(g[2 * H + j]), o = sigmoid(g[3 * H + j]);
    c[j] = f * c[j] + i * gg;
    h[j] = o * std::tanh(c[j]);
  }
}

__attribute__((target("avx2,fma"))) void tanh_avx2(float* x, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, tanh8(_mm256_loadu_ps(x + j)));
  for (; j < n; ++j) x[j] = std::tanh(x[j]);
}

}  // namespace

void lstm_cell(const float* gates, int64_t H, float* h, float* c, kernels::Isa isa) {
  if (isa == kernels::Isa::kAvx2) {
    lstm_cell_avx2(gates, H, h, c);
  } else {
    lstm_cell_portable(gates, H, h, c);
  }
}

void tanh_inplace(float* x, int64_t n, kernels::Isa isa) {
  if (isa == kernels::Isa::kAvx2) {
    tanh_avx2(x, n);
  } else {
    for (int64_t j = 0; j < n; ++j) x[j] = std::tanh(x[j]);
  }
}

}  // namespace omnisparse
