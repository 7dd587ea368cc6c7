#include "core/kernels/dispatch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/common/error.h"

namespace omnisparse::kernels {
namespace {

using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int>;

struct Cache {
  std::mutex mutex;
  std::map<Key, Format> decisions;
  int64_t calibrations = 0;
};
Cache& cache() {
  static Cache c;
  return c;
}

// Median seconds per call of f over 5 rounds of >= 0.2 ms each.
template <typename F>
double time_per_call(F&& f) {
  using clock = std::chrono::steady_clock;
  f();  // warm caches
  std::vector<double> rounds;
  for (int round = 0; round < 5; ++round) {
    int64_t calls = 0;
    const auto t0 = clock::now();
    double elapsed = 0.0;
    do {
      f();
      ++calls;
      elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < 2e-4);
    rounds.push_back(elapsed / static_cast<double>(calls));
  }
  std::nth_element(rounds.begin(), rounds.begin() + 2, rounds.end());
  return rounds[2];
}

struct Candidates {
  const DenseMatrix* dense = nullptr;
  const CsrMatrix* csr = nullptr;
  const BlockSparseMatrix* block = nullptr;
};

Format calibrate(const Candidates& c, int64_t rows, int64_t cols, double density,
                 const SparseLinearOptions& o) {
  const int64_t bucket = std::lround(density * 40.0);
  const Key key{rows, cols, bucket, c.block ? o.block_rows : 0, c.block ? o.block_cols : 0,
                o.batch, static_cast<int>(o.isa)};
  auto& k = cache();
  {
    std::lock_guard<std::mutex> lock(k.mutex);
    if (auto it = k.decisions.find(key); it != k.decisions.end()) return it->second;
  }
  std::vector<float> x(static_cast<size_t>(cols * o.batch), 0.5f);
  std::vector<float> y(static_cast<size_t>(rows * o.batch), 0.0f);
  Format best = Format::kDense;
  const double dense = time_per_call(
      [&] { c.dense->multiply(x.data(), o.batch, y.data(), Accumulate::kNo, o.isa); });
  double best_time = dense * 0.95;  // sparse has to win clearly
  if (c.csr) {
    const double t = time_per_call(
        [&] { c.csr->multiply(x.data(), o.batch, y.data(), Accumulate::kNo, o.isa); });
    if (t < best_time) best = Format::kCsr, best_time = t;
  }
  if (c.block) {
    const double t = time_per_call(
        [&] { c.block->multiply(x.data(), o.batch, y.data(), Accumulate::kNo, o.isa); });
    if (t < best_time) best = Format::kBlock, best_time = t;
  }
  std::lock_guard<std::mutex> lock(k.mutex);
  ++k.calibrations;
  k.decisions.emplace(key, best);
  return best;
}

void validate(const SparseLinearOptions& o) {
  if (o.batch < 1) throw InvalidArgument("SparseLinear: batch must be >= 1");
  require_supported(o.isa);
  const bool tile = o.block_rows > 0 && o.block_cols > 0;
  if (o.force == Format::kBlock && !tile) {
    throw InvalidArgument("SparseLinear: forcing the block format needs block_rows and block_cols");
  }
}

}  // namespace

const char* format_name(Format format) {
  switch (format) {
    case Format::kDense: return "dense";
    case Format::kCsr: return "csr";
    case Format::kBlock: return "block";
  }
  return "?";
}

SparseLinear SparseLinear::from_dense(const float* w, int64_t rows, int64_t cols,
                                      const SparseLinearOptions& o) {
  validate(o);
  SparseLinear s;
  s.rows_ = rows;
  s.cols_ = cols;
  s.isa_ = o.isa;
  const bool tile = o.block_rows > 0 && o.block_cols > 0;
  CsrMatrix csr = CsrMatrix::from_dense(w, rows, cols);
  s.nnz_ = csr.nnz();
  Format f;
  if (o.force) {
    f = *o.force;
  } else {
    const DenseMatrix dense(w, rows, cols);
    std::optional<BlockSparseMatrix> block;
    if (tile) block = BlockSparseMatrix::from_dense(w, rows, cols, o.block_rows, o.block_cols);
    f = calibrate({&dense, &csr, block ? &*block : nullptr}, rows, cols, csr.density(), o);
  }
  switch (f) {
    case Format::kDense: s.impl_ = DenseMatrix(w, rows, cols); break;
    case Format::kCsr: s.impl_ = std::move(csr); break;
    case Format::kBlock:
      s.impl_ = BlockSparseMatrix::from_dense(w, rows, cols, o.block_rows, o.block_cols);
      break;
  }
  return s;
}

SparseLinear SparseLinear::from_csr(CsrMatrix csr, const SparseLinearOptions& o) {
  const std::vector<float> w = csr.to_dense();
  SparseLinearOptions only_csr = o;
  only_csr.block_rows = only_csr.block_cols = 0;
  if (only_csr.force == Format::kBlock) only_csr.force = Format::kCsr;
  return from_dense(w.data(), csr.rows(), csr.cols(), only_csr);
}

SparseLinear SparseLinear::from_block(BlockSparseMatrix block, SparseLinearOptions o) {
  // A loaded block layer keeps its own tiles (including zeros inside them).
  o.block_rows = block.block_rows();
  o.block_cols = block.block_cols();
  validate(o);
  const std::vector<float> w = block.to_dense();
  SparseLinear s;
  s.rows_ = block.rows();
  s.cols_ = block.cols();
  s.isa_ = o.isa;
  s.nnz_ = static_cast<int64_t>(std::count_if(w.begin(), w.end(), [](float v) { return v != 0.0f; }));
  Format f = o.force.value_or(Format::kBlock);
  if (!o.force) {
    const DenseMatrix dense(w.data(), s.rows_, s.cols_);
    const double density = s.rows_ * s.cols_ > 0 ? static_cast<double>(s.nnz_) / (s.rows_ * s.cols_) : 0.0;
    f = calibrate({&dense, nullptr, &block}, s.rows_, s.cols_, density, o);
  }
  if (f == Format::kDense) {
    s.impl_ = DenseMatrix(w.data(), s.rows_, s.cols_);
  } else if (f == Format::kCsr) {
    s.impl_ = CsrMatrix::from_dense(w.data(), s.rows_, s.cols_);
  } else {
    s.impl_ = std::move(block);
  }
  return s;
}

void SparseLinear::multiply(const float* x, int64_t n, float* y, Accumulate acc) const {
  std::visit([&](const auto& m) { m.multiply(x, n, y, acc, isa_); }, impl_);
}

Format SparseLinear::format() const { return static_cast<Format>(impl_.index()); }

double SparseLinear::density() const {
  const int64_t n = rows_ * cols_;
  return n > 0 ? static_cast<double>(nnz_) / static_cast<double>(n) : 0.0;
}

int64_t calibrations_run() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().calibrations;
}

void clear_calibration_cache() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  cache().decisions.clear();
}

}  // namespace omnisparse::kernels
