// Internal to core/kernels: BSR inner loops on padded operands (rows a multiple of R, X with
// tile_cols*C rows). Use BlockSparseMatrix::multiply instead, which pads edge shapes.
#pragma once

#include <cstdint>

namespace omnisparse::kernels::detail {

struct BsrView {
  int64_t tile_rows;
  int64_t r, c;
  const float* values;         // [T, R, C]
  const int32_t* tile_col;     // [T]
  const int32_t* tile_row_ptr; // [tile_rows + 1]
};

// Y [tile_rows*R, n] (+)= B X [tile_cols*C, n].
void bsr_multiply_portable(const BsrView& a, const float* x, int64_t n, float* y, bool add);
void bsr_multiply_avx2(const BsrView& a, const float* x, int64_t n, float* y, bool add);

}  // namespace omnisparse::kernels::detail
