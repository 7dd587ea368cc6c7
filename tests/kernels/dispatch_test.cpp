#include "core/kernels/dispatch.h"

#include <gtest/gtest.h>

#include <string>

#include "core/common/error.h"
#include "tests/kernels/kernel_test_util.h"

namespace omnisparse::kernels {
namespace {

using testing::expect_close;
using testing::random_block_sparse;
using testing::random_sparse;
using testing::random_vector;
using testing::reference;

TEST(SparseLinear, EveryFormatEqualsTheDenseMaskedProduct) {
  const auto w = random_block_sparse(67, 45, 4, 4, 0.3, 11);
  for (const Format f : {Format::kDense, Format::kCsr, Format::kBlock}) {
    for (const int64_t n : {1, 4, 5}) {
      SCOPED_TRACE(std::string(format_name(f)) + " n=" + std::to_string(n));
      const auto s = SparseLinear::from_dense(
          w.data(), 67, 45, {.force = f, .block_rows = 4, .block_cols = 4, .batch = n});
      EXPECT_EQ(s.format(), f);
      const auto x = random_vector(45 * n, 3);
      std::vector<float> y(static_cast<size_t>(67 * n));
      s.multiply(x.data(), n, y.data());
      expect_close(y, reference(w, 67, 45, x, n));
    }
  }
}

TEST(SparseLinear, LstmGatesAccumulateInputAndRecurrentProducts) {
  const int64_t H = 16, I = 12;
  const auto w_ih = random_sparse(4 * H, I, 0.2, 1), w_hh = random_sparse(4 * H, H, 0.1, 2);
  const auto x = random_vector(I, 3), h = random_vector(H, 4), b = random_vector(4 * H, 5);
  const auto ih = SparseLinear::from_dense(w_ih.data(), 4 * H, I);
  const auto hh = SparseLinear::from_dense(w_hh.data(), 4 * H, H, {.force = Format::kCsr});
  std::vector<float> gates = b;
  ih.multiply(x.data(), 1, gates.data(), Accumulate::kYes);
  hh.multiply(h.data(), 1, gates.data(), Accumulate::kYes);
  const auto r1 = reference(w_ih, 4 * H, I, x, 1), r2 = reference(w_hh, 4 * H, H, h, 1);
  for (int64_t i = 0; i < 4 * H; ++i) {
    EXPECT_NEAR(gates[i], b[i] + r1.y[i] + r2.y[i], 1e-4 * (1 + r1.scale[i] + r2.scale[i]));
  }
}

TEST(SparseLinear, MeasuredChoicePicksDenseWhenFullAndSparseWhenNearlyEmpty) {
  clear_calibration_cache();
  const auto full = random_sparse(512, 512, 1.0, 6);
  EXPECT_EQ(SparseLinear::from_dense(full.data(), 512, 512).format(), Format::kDense);
  const auto sparse = random_sparse(512, 512, 0.01, 7);
  const auto s = SparseLinear::from_dense(sparse.data(), 512, 512);
  EXPECT_EQ(s.format(), Format::kCsr);  // 100x less work; CSR wins on any CPU
  const auto x = random_vector(512, 8);
  std::vector<float> y(512);
  s.multiply(x.data(), 1, y.data());
  expect_close(y, reference(sparse, 512, 512, x, 1));
}

TEST(SparseLinear, CalibrationIsCachedPerShapeAndDensityBucket) {
  clear_calibration_cache();
  const int64_t before = calibrations_run();
  const auto a = random_sparse(96, 80, 0.30, 1), b = random_sparse(96, 80, 0.30, 2);
  SparseLinear::from_dense(a.data(), 96, 80);
  SparseLinear::from_dense(b.data(), 96, 80);  // same shape and bucket: no second calibration
  EXPECT_EQ(calibrations_run(), before + 1);
  const auto c = random_sparse(96, 80, 0.60, 3);
  SparseLinear::from_dense(c.data(), 96, 80);  // another bucket
  SparseLinearOptions batch4;
  batch4.batch = 4;
  SparseLinear::from_dense(a.data(), 96, 80, batch4);  // another batch size
  EXPECT_EQ(calibrations_run(), before + 3);
}

TEST(SparseLinear, LoadsExportedCsrAndBlockLayers) {
  const auto w = random_block_sparse(40, 24, 1, 4, 0.2, 9);
  const auto x = random_vector(24, 10);
  const auto ref = reference(w, 40, 24, x, 1);
  const auto csr = CsrMatrix::from_dense(w.data(), 40, 24);
  const auto from_csr = SparseLinear::from_csr(
      CsrMatrix::from_arrays(40, 24, csr.values(), csr.col_idx(), csr.row_ptr()));
  const auto from_block = SparseLinear::from_block(
      BlockSparseMatrix::from_dense(w.data(), 40, 24, 1, 4), {.force = Format::kBlock});
  EXPECT_EQ(from_block.format(), Format::kBlock);
  EXPECT_EQ(from_csr.nnz(), csr.nnz());
  EXPECT_EQ(from_block.nnz(), csr.nnz());
  for (const SparseLinear* s : {&from_csr, &from_block}) {
    std::vector<float> y(40);
    s->multiply(x.data(), 1, y.data());
    expect_close(y, ref);
  }
}

TEST(SparseLinear, ForcingBlockWithoutTileShapeIsAnError) {
  const std::vector<float> w(4, 1.0f);
  EXPECT_THROW(SparseLinear::from_dense(w.data(), 2, 2, {.force = Format::kBlock}), InvalidArgument);
  SparseLinearOptions no_batch;
  no_batch.batch = 0;
  EXPECT_THROW(SparseLinear::from_dense(w.data(), 2, 2, no_batch), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse::kernels
