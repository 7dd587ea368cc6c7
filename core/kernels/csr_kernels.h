// Internal to core/kernels: the CSR inner loops, one portable and one AVX2+FMA entry point
// (the latter only called when the CPU supports it). Use CsrMatrix::multiply instead.
#pragma once

#include <cstdint>

namespace omnisparse::kernels::detail {

struct CsrView {
  int64_t rows;
  const float* values;      // [nnz]
  const int32_t* col_idx;   // [nnz]
  const int32_t* row_ptr;   // [rows + 1]
};

// Y [rows, n] (+)= A X [cols, n], row-major, leading dimension n.
void csr_multiply_portable(const CsrView& a, const float* x, int64_t n, float* y, bool add);
void csr_multiply_avx2(const CsrView& a, const float* x, int64_t n, float* y, bool add);

}  // namespace omnisparse::kernels::detail
