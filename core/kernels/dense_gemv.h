// Our own dense Y (+)= W X kernel, the same shape and calling convention as the sparse ones,
// so the dense/sparse crossover is measured against a comparable implementation (the
// benchmark also measures OpenBLAS through torch, the dense baseline users actually get).
//
//   DenseMatrix w(weights, rows, cols);   // copies [rows, cols] row-major
//   w.multiply(x, n, y, Accumulate::kYes);
#pragma once

#include <cstdint>
#include <vector>

#include "core/kernels/kernel_types.h"

namespace omnisparse::kernels {

class DenseMatrix {
 public:
  DenseMatrix() = default;
  // w: [rows, cols] row-major (copied).
  DenseMatrix(const float* w, int64_t rows, int64_t cols);

  // Y [rows, n] (+)= W X [cols, n]; row-major, leading dimension n. n >= 1.
  void multiply(const float* x, int64_t n, float* y, Accumulate acc = Accumulate::kNo,
                Isa isa = best_isa()) const;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const std::vector<float>& values() const { return w_; }
  int64_t bytes() const { return 4 * rows_ * cols_; }

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> w_;  // [rows, cols]
};

}  // namespace omnisparse::kernels
