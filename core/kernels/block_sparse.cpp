#include "core/kernels/block_sparse.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/common/error.h"
#include "core/kernels/block_kernels.h"

namespace omnisparse::kernels {
namespace {

[[noreturn]] void fail(const std::string& why) { throw InvalidArgument("BlockSparseMatrix: " + why); }

void check_shape(int64_t rows, int64_t cols, int64_t r, int64_t c) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (rows < 0 || cols < 0 || rows > kMax || cols > kMax) {
    fail("dimensions " + std::to_string(rows) + "x" + std::to_string(cols) + " must be in [0, 2^31)");
  }
  if (r < 1 || c < 1 || r > 64 || c > 64) {
    fail("block " + std::to_string(r) + "x" + std::to_string(c) + " must have sides in [1, 64]");
  }
}

}  // namespace

BlockSparseMatrix BlockSparseMatrix::from_dense(const float* w, int64_t rows, int64_t cols,
                                                int64_t block_rows, int64_t block_cols) {
  check_shape(rows, cols, block_rows, block_cols);
  BlockSparseMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.r_ = block_rows;
  m.c_ = block_cols;
  const int64_t R = block_rows, C = block_cols;
  m.tile_row_ptr_.push_back(0);
  for (int64_t tr = 0; tr < m.tile_rows(); ++tr) {
    for (int64_t tc = 0; tc < m.tile_cols(); ++tc) {
      const int64_t r1 = std::min(rows, (tr + 1) * R), c1 = std::min(cols, (tc + 1) * C);
      bool any = false;
      for (int64_t r = tr * R; r < r1 && !any; ++r)
        for (int64_t c = tc * C; c < c1; ++c) any = any || w[r * cols + c] != 0.0f;
      if (!any) continue;
      for (int64_t i = 0; i < R; ++i)
        for (int64_t j = 0; j < C; ++j) {
          const int64_t r = tr * R + i, c = tc * C + j;
          m.values_.push_back(r < rows && c < cols ? w[r * cols + c] : 0.0f);
        }
      m.tile_col_.push_back(static_cast<int32_t>(tc));
    }
    m.tile_row_ptr_.push_back(static_cast<int32_t>(m.tile_col_.size()));
  }
  return m;
}

BlockSparseMatrix BlockSparseMatrix::from_arrays(int64_t rows, int64_t cols, int64_t block_rows,
                                                 int64_t block_cols, std::vector<float> values,
                                                 std::vector<int32_t> tile_col,
                                                 std::vector<int32_t> tile_row_ptr) {
  check_shape(rows, cols, block_rows, block_cols);
  const int64_t trows = (rows + block_rows - 1) / block_rows;
  const int64_t tcols = (cols + block_cols - 1) / block_cols;
  if (static_cast<int64_t>(tile_row_ptr.size()) != trows + 1) {
    fail("tile_row_ptr has " + std::to_string(tile_row_ptr.size()) +
         " entries, expected ceil(rows/R)+1 = " + std::to_string(trows + 1));
  }
  if (tile_row_ptr[0] != 0) fail("tile_row_ptr[0] is " + std::to_string(tile_row_ptr[0]) + ", expected 0");
  for (int64_t t = 0; t < trows; ++t) {
    if (tile_row_ptr[t + 1] < tile_row_ptr[t]) {
      fail("tile_row_ptr is not monotone: tile_row_ptr[" + std::to_string(t + 1) + "] = " +
           std::to_string(tile_row_ptr[t + 1]) + " < tile_row_ptr[" + std::to_string(t) +
           "] = " + std::to_string(tile_row_ptr[t]));
    }
  }
  const auto tiles = static_cast<size_t>(tile_row_ptr[trows]);
  if (tile_col.size() != tiles) {
    fail("tile_col has " + std::to_string(tile_col.size()) + " entries, tile_row_ptr says " +
         std::to_string(tiles));
  }
  const size_t per_tile = static_cast<size_t>(block_rows * block_cols);
  if (values.size() != tiles * per_tile) {
    fail("values has " + std::to_string(values.size()) + " entries, expected tiles*R*C = " +
         std::to_string(tiles * per_tile));
  }
  for (size_t k = 0; k < tiles; ++k) {
    if (tile_col[k] < 0 || tile_col[k] >= tcols) {
      fail("tile_col[" + std::to_string(k) + "] = " + std::to_string(tile_col[k]) +
           " is out of range [0, " + std::to_string(tcols) + ")");
    }
  }
  BlockSparseMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.r_ = block_rows;
  m.c_ = block_cols;
  m.values_ = std::move(values);
  m.tile_col_ = std::move(tile_col);
  m.tile_row_ptr_ = std::move(tile_row_ptr);
  return m;
}

void BlockSparseMatrix::multiply(const float* x, int64_t n, float* y, Accumulate acc,
                                 Isa isa) const {
  if (n < 1) fail("multiply: n must be >= 1, got " + std::to_string(n));
  require_supported(isa);
  const bool add = acc == Accumulate::kYes;
  const detail::BsrView a{tile_rows(), r_, c_, values_.data(), tile_col_.data(),
                          tile_row_ptr_.data()};
  // Edge tiles read past the last column and write past the last row: pad both operands
  // (zero x beyond cols, so the zero padding of edge tiles and any stray values add nothing).
  const int64_t cols_pad = tile_cols() * c_, rows_pad = tile_rows() * r_;
  thread_local std::vector<float> xpad, ypad;
  const float* xs = x;
  float* ys = y;
  if (cols_pad != cols_) {
    xpad.assign(static_cast<size_t>(cols_pad * n), 0.0f);
    std::copy(x, x + cols_ * n, xpad.begin());
    xs = xpad.data();
  }
  if (rows_pad != rows_) {
    ypad.assign(static_cast<size_t>(rows_pad * n), 0.0f);
    if (add) std::copy(y, y + rows_ * n, ypad.begin());
    ys = ypad.data();
  }
  if (isa == Isa::kAvx2) {
    detail::bsr_multiply_avx2(a, xs, n, ys, add);
  } else {
    detail::bsr_multiply_portable(a, xs, n, ys, add);
  }
  if (ys != y) std::copy(ys, ys + rows_ * n, y);
}

std::vector<float> BlockSparseMatrix::to_dense() const {
  std::vector<float> w(static_cast<size_t>(rows_ * cols_), 0.0f);
  for (int64_t tr = 0; tr < tile_rows(); ++tr) {
    for (int32_t k = tile_row_ptr_[tr]; k < tile_row_ptr_[tr + 1]; ++k) {
      for (int64_t i = 0; i < r_; ++i)
        for (int64_t j = 0; j < c_; ++j) {
          const int64_t r = tr * r_ + i, c = int64_t{tile_col_[k]} * c_ + j;
          if (r < rows_ && c < cols_) w[r * cols_ + c] += values_[(k * r_ + i) * c_ + j];
        }
    }
  }
  return w;
}

int64_t BlockSparseMatrix::bytes() const {
  return 4 * stored_values() + 4 * tiles() + 4 * (tile_rows() + 1);
}

}  // namespace omnisparse::kernels
