#include "core/kernels/csr_matrix.h"

#include <limits>
#include <string>

#include "core/common/error.h"
#include "core/kernels/csr_kernels.h"

namespace omnisparse::kernels {
namespace {

void check_dims(const char* what, int64_t rows, int64_t cols) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (rows < 0 || cols < 0 || rows > kMax || cols > kMax) {
    throw InvalidArgument(std::string(what) + ": dimensions " + std::to_string(rows) + "x" +
                          std::to_string(cols) + " must be in [0, 2^31)");
  }
}

}  // namespace

CsrMatrix CsrMatrix::from_dense(const float* w, int64_t rows, int64_t cols) {
  check_dims("CsrMatrix::from_dense", rows, cols);
  CsrMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.row_ptr_.reserve(rows + 1);
  m.row_ptr_.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float v = w[r * cols + c];
      if (v != 0.0f) {
        m.values_.push_back(v);
        m.col_idx_.push_back(static_cast<int32_t>(c));
      }
    }
    if (m.values_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw InvalidArgument("CsrMatrix::from_dense: more than 2^31-1 non-zeros");
    }
    m.row_ptr_.push_back(static_cast<int32_t>(m.values_.size()));
  }
  return m;
}

CsrMatrix CsrMatrix::from_arrays(int64_t rows, int64_t cols, std::vector<float> values,
                                 std::vector<int32_t> col_idx, std::vector<int32_t> row_ptr) {
  check_dims("CsrMatrix", rows, cols);
  const auto fail = [](const std::string& why) { throw InvalidArgument("CsrMatrix: " + why); };
  if (static_cast<int64_t>(row_ptr.size()) != rows + 1) {
    fail("row_ptr has " + std::to_string(row_ptr.size()) + " entries, expected rows+1 = " +
         std::to_string(rows + 1));
  }
  if (row_ptr[0] != 0) fail("row_ptr[0] is " + std::to_string(row_ptr[0]) + ", expected 0");
  for (int64_t r = 0; r < rows; ++r) {
    if (row_ptr[r + 1] < row_ptr[r]) {
      fail("row_ptr is not monotone: row_ptr[" + std::to_string(r + 1) + "] = " +
           std::to_string(row_ptr[r + 1]) + " < row_ptr[" + std::to_string(r) + "] = " +
           std::to_string(row_ptr[r]));
    }
  }
  const auto nnz = static_cast<size_t>(row_ptr[rows]);
  if (values.size() != nnz) {
    fail("values has " + std::to_string(values.size()) + " entries, row_ptr says " +
         std::to_string(nnz));
  }
  if (col_idx.size() != nnz) {
    fail("col_idx has " + std::to_string(col_idx.size()) + " entries, row_ptr says " +
         std::to_string(nnz));
  }
  for (size_t k = 0; k < nnz; ++k) {
    if (col_idx[k] < 0 || col_idx[k] >= cols) {
      fail("col_idx[" + std::to_string(k) + "] = " + std::to_string(col_idx[k]) +
           " is out of range [0, " + std::to_string(cols) + ")");
    }
  }
  CsrMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.values_ = std::move(values);
  m.col_idx_ = std::move(col_idx);
  m.row_ptr_ = std::move(row_ptr);
  return m;
}

void CsrMatrix::multiply(const float* x, int64_t n, float* y, Accumulate acc, Isa isa) const {
  if (n < 1) throw InvalidArgument("CsrMatrix::multiply: n must be >= 1, got " + std::to_string(n));
  require_supported(isa);
  const detail::CsrView a{rows_, values_.data(), col_idx_.data(), row_ptr_.data()};
  const bool add = acc == Accumulate::kYes;
  if (isa == Isa::kAvx2) {
    detail::csr_multiply_avx2(a, x, n, y, add);
  } else {
    detail::csr_multiply_portable(a, x, n, y, add);
  }
}

std::vector<float> CsrMatrix::to_dense() const {
  std::vector<float> w(static_cast<size_t>(rows_ * cols_), 0.0f);
  for (int64_t r = 0; r < rows_; ++r) {
    for (int32_t k = row_ptr_[r]; k < row_ptr_[r + 1]; ++k) w[r * cols_ + col_idx_[k]] += values_[k];
  }
  return w;
}

double CsrMatrix::density() const {
  const int64_t n = rows_ * cols_;
  return n > 0 ? static_cast<double>(nnz()) / static_cast<double>(n) : 0.0;
}

int64_t CsrMatrix::bytes() const { return 8 * nnz() + 4 * (rows_ + 1); }

}  // namespace omnisparse::kernels
