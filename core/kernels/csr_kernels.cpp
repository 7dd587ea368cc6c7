// CSR Y (+)= A X. Batch-1 is a gather-dot per row (4 independent accumulators so the adds
// pipeline); a batch of n frames reuses each (value, column) pair across the n frames, whose
// inputs are contiguous (X [cols, n]), so the inner loop is a vector FMA of width n.
// The AVX2 entry point instantiates the same templates inside a target("avx2,fma") function
// (256-bit vectors and FMA for the batch loops). No gather at batch 1: on the EPYC we
// measured, vpgatherdps over 8 indices was 1.4-1.7x SLOWER than scalar indexed loads for the
// LSTM layers at 90 % (rows of ~25 non-zeros), so both paths use the scalar gather-dot.
#include "core/kernels/csr_kernels.h"

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

}  // namespace

void csr_multiply_portable(const CsrView& a, const float* x, int64_t n, float* y, bool add) {
  csr_all(a, x, n, y, add);
}

__attribute__((target("avx2,fma"))) void csr_multiply_avx2(const CsrView& a, const float* x,
                                                           int64_t n, float* y, bool add) {
  csr_all(a, x, n, y, add);
}

}  // namespace omnisparse::kernels::detail
