// A block-sparse (BSR) weight matrix of RxC tiles, exactly as the sparse export stores a
// block-pruned layer (core/sparsity/accounting.h): fp32 values of the kept tiles stored whole
// (row-major inside a tile, edge tiles zero-padded to RxC), int32 tile column indices (in
// units of tiles: the tile covers columns [C*j, C*j+C)), int32 tile row pointers over the
// ceil(rows/R) tile rows. This is scipy.sparse.bsr_matrix's (data [T,R,C], indices, indptr).
//
//   BlockSparseMatrix b = BlockSparseMatrix::from_dense(w, rows, cols, 4, 4);  // keeps tiles
//                                                                  // with any non-zero
//   b.multiply(x, n, y, Accumulate::kYes);     // Y [rows, n] += B X [cols, n]
//
// Fast paths: 1x4, 4x4, 8x1, 4x1 (AVX2 hand kernels at batch 1); any other RxC runs a generic
// loop. multiply() is const and thread-safe (edge shapes use thread-local scratch).
#pragma once

#include <cstdint>
#include <vector>

#include "core/kernels/kernel_types.h"

namespace omnisparse::kernels {

class BlockSparseMatrix {
 public:
  BlockSparseMatrix() = default;

  // w: [rows, cols] row-major. Keeps every RxC tile that holds at least one non-zero.
  static BlockSparseMatrix from_dense(const float* w, int64_t rows, int64_t cols,
                                      int64_t block_rows, int64_t block_cols);

  // Validated before anything is kept (InvalidArgument naming the problem): block sizes >= 1,
  // tile_row_ptr has ceil(rows/R)+1 entries starting at 0 and non-decreasing, tile_col has
  // tile_row_ptr.back() entries each in [0, ceil(cols/C)), values has R*C per tile.
  static BlockSparseMatrix from_arrays(int64_t rows, int64_t cols, int64_t block_rows,
                                       int64_t block_cols, std::vector<float> values,
                                       std::vector<int32_t> tile_col,
                                       std::vector<int32_t> tile_row_ptr);

  // Y [rows, n] (+)= B X [cols, n]; row-major, leading dimension n. n >= 1.
  void multiply(const float* x, int64_t n, float* y, Accumulate acc = Accumulate::kNo,
                Isa isa = best_isa()) const;

  // [rows, cols] row-major (padding of edge tiles dropped).
  std::vector<float> to_dense() const;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t block_rows() const { return r_; }
  int64_t block_cols() const { return c_; }
  int64_t tile_rows() const { return (rows_ + r_ - 1) / r_; }
  int64_t tile_cols() const { return (cols_ + c_ - 1) / c_; }
  int64_t tiles() const { return static_cast<int64_t>(tile_col_.size()); }
  // Stored values including zeros inside kept tiles (R*C per tile).
  int64_t stored_values() const { return static_cast<int64_t>(values_.size()); }
  // What the export stores: 4*R*C*T + 4*T + 4*(ceil(rows/R)+1).
  int64_t bytes() const;

  const std::vector<float>& values() const { return values_; }
  const std::vector<int32_t>& tile_col() const { return tile_col_; }
  const std::vector<int32_t>& tile_row_ptr() const { return tile_row_ptr_; }

 private:
  int64_t rows_ = 0, cols_ = 0, r_ = 1, c_ = 1;
  std::vector<float> values_;          // [T, R, C]
  std::vector<int32_t> tile_col_;      // [T]
  std::vector<int32_t> tile_row_ptr_;  // [ceil(rows/R) + 1]
};

}  // namespace omnisparse::kernels
