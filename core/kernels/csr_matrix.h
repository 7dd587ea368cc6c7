// A sparse weight matrix in CSR form, exactly as the sparse export stores an unstructured (or
// N:M) pruned layer: fp32 values, int32 column indices, int32 row pointers (see
// core/sparsity/accounting.h). An exported layer loads straight into it.
//
//   CsrMatrix a = CsrMatrix::from_dense(w, rows, cols);          // drops exact zeros
//   CsrMatrix b = CsrMatrix::from_arrays(rows, cols, values, col_idx, row_ptr);  // validated
//   a.multiply(x, 1, y);                          // y [rows] = A x [cols]
//   a.multiply(x, n, y, Accumulate::kYes);        // Y [rows, n] += A X [cols, n]
//
// multiply() is const and thread-safe (no shared scratch). Columns within a row need not be
// sorted, duplicates are allowed (they add), as in scipy.sparse.csr_matrix.
#pragma once

#include <cstdint>
#include <vector>

#include "core/kernels/kernel_types.h"

namespace omnisparse::kernels {

class CsrMatrix {
 public:
  CsrMatrix() = default;

  // w: [rows, cols] row-major. Every non-zero becomes an entry (exact zeros are pruned weights).
  static CsrMatrix from_dense(const float* w, int64_t rows, int64_t cols);

  // Validates before keeping anything; throws InvalidArgument naming the problem: sizes
  // (row_ptr has rows+1 entries, values and col_idx have row_ptr.back()), row_ptr[0] == 0 and
  // non-decreasing, every column index in [0, cols), dimensions within int32.
  static CsrMatrix from_arrays(int64_t rows, int64_t cols, std::vector<float> values,
                               std::vector<int32_t> col_idx, std::vector<int32_t> row_ptr);

  // Y [rows, n] (+)= A X [cols, n]; both row-major with leading dimension n. n >= 1.
  void multiply(const float* x, int64_t n, float* y, Accumulate acc = Accumulate::kNo,
                Isa isa = best_isa()) const;

  // [rows, cols] row-major, zeros where nothing is stored.
  std::vector<float> to_dense() const;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t nnz() const { return static_cast<int64_t>(values_.size()); }
  double density() const;
  // What the export stores: 4*nnz + 4*nnz + 4*(rows+1).
  int64_t bytes() const;

  const std::vector<float>& values() const { return values_; }
  const std::vector<int32_t>& col_idx() const { return col_idx_; }
  const std::vector<int32_t>& row_ptr() const { return row_ptr_; }

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> values_;     // [nnz]
  std::vector<int32_t> col_idx_;  // [nnz]
  std::vector<int32_t> row_ptr_;  // [rows + 1]
};

}  // namespace omnisparse::kernels
