#include "core/kernels/csr_matrix.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/common/error.h"
#include "tests/kernels/kernel_test_util.h"

namespace omnisparse::kernels {
namespace csr_matrix_test {  // named: the unity build compiles this file with its siblings

using testing::expect_close;
using testing::random_sparse;
using testing::random_vector;
using testing::reference;

std::vector<Isa> isas() {
  std::vector<Isa> v{Isa::kPortable};
  if (isa_supported(Isa::kAvx2)) v.push_back(Isa::kAvx2);
  return v;
}

struct Shape {
  int64_t rows, cols;
};
const Shape kShapes[] = {{1, 1},  {1, 37}, {37, 1},  {5, 3},    {29, 192},
                         {64, 33}, {100, 257}, {1024, 160}, {7, 1000}};
const double kDensities[] = {0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0};
const int64_t kBatches[] = {1, 2, 3, 4, 5, 8, 13, 16, 21};

TEST(CsrMatrix, MultiplyEqualsDoubleReferenceForRandomShapesDensitiesAndBatches) {
  uint32_t seed = 1;
  for (const Shape s : kShapes) {
    for (const double d : kDensities) {
      const auto w = random_sparse(s.rows, s.cols, d, seed++, {0});  // row 0 always empty
      const CsrMatrix a = CsrMatrix::from_dense(w.data(), s.rows, s.cols);
      for (const int64_t n : kBatches) {
        const auto x = random_vector(s.cols * n, seed++);
        const auto ref = reference(w, s.rows, s.cols, x, n);
        for (const Isa isa : isas()) {
          SCOPED_TRACE(std::to_string(s.rows) + "x" + std::to_string(s.cols) + " d=" +
                       std::to_string(d) + " n=" + std::to_string(n) + " " + isa_name(isa));
          std::vector<float> y(static_cast<size_t>(s.rows * n), 123.0f);  // overwritten
          a.multiply(x.data(), n, y.data(), Accumulate::kNo, isa);
          expect_close(y, ref);
          const auto init = random_vector(s.rows * n, seed++);
          std::vector<float> y2 = init;
          a.multiply(x.data(), n, y2.data(), Accumulate::kYes, isa);
          expect_close(y2, ref, init);
        }
      }
    }
  }
}

TEST(CsrMatrix, FromDenseDropsExactZerosAndRoundTrips) {
  const auto w = random_sparse(33, 17, 0.3, 7, {4, 5, 32});
  const CsrMatrix a = CsrMatrix::from_dense(w.data(), 33, 17);
  int64_t nz = 0;
  for (float v : w) nz += v != 0.0f;
  EXPECT_EQ(a.nnz(), nz);
  EXPECT_EQ(a.row_ptr()[5], a.row_ptr()[4]);  // empty row 4
  EXPECT_EQ(a.to_dense(), w);
  EXPECT_EQ(a.bytes(), 8 * nz + 4 * 34);
  EXPECT_DOUBLE_EQ(a.density(), static_cast<double>(nz) / (33 * 17));
}

TEST(CsrMatrix, EmptyMatrixGivesZerosAndKeepsAccumulator) {
  const std::vector<float> w(12 * 9, 0.0f);
  const CsrMatrix a = CsrMatrix::from_dense(w.data(), 12, 9);
  EXPECT_EQ(a.nnz(), 0);
  const auto x = random_vector(9 * 3, 1);
  for (const Isa isa : isas()) {
    std::vector<float> y(36, 5.0f);
    a.multiply(x.data(), 3, y.data(), Accumulate::kNo, isa);
    EXPECT_EQ(y, std::vector<float>(36, 0.0f));
    std::vector<float> y2(36, 5.0f);
    a.multiply(x.data(), 3, y2.data(), Accumulate::kYes, isa);
    EXPECT_EQ(y2, std::vector<float>(36, 5.0f));
  }
}

TEST(CsrMatrix, FromArraysMatchesFromDenseAndAllowsUnsortedDuplicateColumns) {
  // [[0, 2, 0], [0, 0, 0], [1, 0, 3]] with row 2 given as (2:1.0, 0:1.0, 2:2.0).
  const CsrMatrix a = CsrMatrix::from_arrays(3, 3, {2.0f, 1.0f, 1.0f, 2.0f}, {1, 2, 0, 2},
                                             {0, 1, 1, 4});
  EXPECT_EQ(a.to_dense(), (std::vector<float>{0, 2, 0, 0, 0, 0, 1, 0, 3}));
  const std::vector<float> x{1.0f, 10.0f, 100.0f};
  for (const Isa isa : isas()) {
    std::vector<float> y(3);
    a.multiply(x.data(), 1, y.data(), Accumulate::kNo, isa);
    EXPECT_EQ(y, (std::vector<float>{20.0f, 0.0f, 301.0f}));
  }
}

void expect_invalid(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected InvalidArgument containing '" << needle << "'";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(CsrMatrix, FromArraysRejectsInconsistentArraysNamingTheProblem) {
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f}, {0}, {0, 1}); }, "row_ptr has 2 entries");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f}, {0}, {1, 1, 1}); }, "row_ptr[0]");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f, 2.0f}, {0, 1}, {0, 2, 1}); },
                 "not monotone");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f}, {0, 1}, {0, 1, 2}); },
                 "values has 1 entries");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f, 2.0f}, {0}, {0, 1, 2}); },
                 "col_idx has 1 entries");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f, 2.0f}, {0, 3}, {0, 1, 2}); },
                 "col_idx[1] = 3 is out of range");
  expect_invalid([] { CsrMatrix::from_arrays(2, 3, {1.0f}, {-1}, {0, 1, 1}); }, "out of range");
  expect_invalid([] { CsrMatrix::from_arrays(-1, 3, {}, {}, {}); }, "dimensions");
  const CsrMatrix ok = CsrMatrix::from_arrays(1, 1, {1.0f}, {0}, {0, 1});
  float x = 1.0f, y = 0.0f;
  expect_invalid([&] { ok.multiply(&x, 0, &y); }, "n must be >= 1");
}

}  // namespace csr_matrix_test
}  // namespace omnisparse::kernels
