#include "core/kernels/block_sparse.h"

#include <gtest/gtest.h>

#include <functional>
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

std::vector<Isa> isas() {
  std::vector<Isa> v{Isa::kPortable};
  if (isa_supported(Isa::kAvx2)) v.push_back(Isa::kAvx2);
  return v;
}

struct Tile {
  int64_t r, c;
};
// The fast paths (1x4, 4x4, 8x1, 4x1) and generic shapes.
const Tile kTiles[] = {{1, 4}, {4, 4}, {8, 1}, {4, 1}, {2, 2}, {1, 1}, {3, 5}};
struct Shape {
  int64_t rows, cols;
};
// Multiples of every tile and non-multiples (edge tiles in rows, columns, both).
const Shape kShapes[] = {{1, 1}, {1, 37}, {37, 1}, {8, 8}, {29, 192}, {64, 40}, {67, 45}, {1024, 160}};
const double kDensities[] = {0.0, 0.05, 0.1, 0.3, 0.5, 1.0};
const int64_t kBatches[] = {1, 2, 3, 4, 7, 8, 16, 19};

TEST(BlockSparseMatrix, MultiplyEqualsDoubleReferenceForTilesShapesDensitiesAndBatches) {
  uint32_t seed = 100;
  for (const Tile t : kTiles) {
    for (const Shape s : kShapes) {
      for (const double d : kDensities) {
        const auto w = random_block_sparse(s.rows, s.cols, t.r, t.c, d, seed++);
        const auto b = BlockSparseMatrix::from_dense(w.data(), s.rows, s.cols, t.r, t.c);
        for (const int64_t n : kBatches) {
          const auto x = random_vector(s.cols * n, seed++);
          const auto ref = reference(w, s.rows, s.cols, x, n);
          for (const Isa isa : isas()) {
            SCOPED_TRACE(std::to_string(t.r) + "x" + std::to_string(t.c) + " tiles, " +
                         std::to_string(s.rows) + "x" + std::to_string(s.cols) + " d=" +
                         std::to_string(d) + " n=" + std::to_string(n) + " " + isa_name(isa));
            std::vector<float> y(static_cast<size_t>(s.rows * n), -7.0f);
            b.multiply(x.data(), n, y.data(), Accumulate::kNo, isa);
            expect_close(y, ref);
            const auto init = random_vector(s.rows * n, seed++);
            std::vector<float> y2 = init;
            b.multiply(x.data(), n, y2.data(), Accumulate::kYes, isa);
            expect_close(y2, ref, init);
          }
        }
      }
    }
  }
}

TEST(BlockSparseMatrix, UnstructuredMatrixIsExactInBlocksWithZeroFill) {
  const auto w = random_sparse(30, 22, 0.2, 5, {3});
  const auto b = BlockSparseMatrix::from_dense(w.data(), 30, 22, 4, 4);
  EXPECT_EQ(b.to_dense(), w);
  const auto x = random_vector(22, 9);
  const auto ref = reference(w, 30, 22, x, 1);
  for (const Isa isa : isas()) {
    std::vector<float> y(30);
    b.multiply(x.data(), 1, y.data(), Accumulate::kNo, isa);
    expect_close(y, ref);
  }
}

TEST(BlockSparseMatrix, EdgeTilesAreZeroPaddedAndCountedWhole) {
  // 5x6 with 4x4 tiles: tile grid 2x2, edge tiles are 4x2, 1x4 and 1x2 of real weights.
  std::vector<float> w(30, 0.0f);
  w[0 * 6 + 5] = 1.0f;  // tile (0, 1), partial in columns
  w[4 * 6 + 0] = 2.0f;  // tile (1, 0), partial in rows
  w[4 * 6 + 5] = 3.0f;  // tile (1, 1), partial in both
  const auto b = BlockSparseMatrix::from_dense(w.data(), 5, 6, 4, 4);
  EXPECT_EQ(b.tiles(), 3);
  EXPECT_EQ(b.tile_row_ptr(), (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(b.tile_col(), (std::vector<int32_t>{1, 0, 1}));
  EXPECT_EQ(b.stored_values(), 48);
  // Tile (0, 1) holds columns 4..7: the weight at column 5 is value 1 of row 0, the rest is pad.
  EXPECT_EQ(b.values()[1], 1.0f);
  EXPECT_EQ(b.values()[2], 0.0f);
  EXPECT_EQ(b.bytes(), 4 * 48 + 4 * 3 + 4 * 3);  // accounting.h's block formula
  EXPECT_EQ(b.to_dense(), w);
  const std::vector<float> x{1, 1, 1, 1, 1, 10};
  for (const Isa isa : isas()) {
    std::vector<float> y(5, 0.0f);
    b.multiply(x.data(), 1, y.data(), Accumulate::kNo, isa);
    EXPECT_EQ(y, (std::vector<float>{10, 0, 0, 0, 32}));
  }
}

TEST(BlockSparseMatrix, NonZeroPaddingInLoadedTilesDoesNotLeakIntoTheResult) {
  // 1x3 matrix with one 4x4 tile whose out-of-range entries are garbage (a careless writer).
  std::vector<float> values(16, 99.0f);
  values[0] = 1.0f, values[1] = 2.0f, values[2] = 3.0f;
  const auto b = BlockSparseMatrix::from_arrays(1, 3, 4, 4, values, {0}, {0, 1});
  const std::vector<float> x{1.0f, 1.0f, 1.0f};
  for (const Isa isa : isas()) {
    float y = 0.0f;
    b.multiply(x.data(), 1, &y, Accumulate::kNo, isa);
    EXPECT_EQ(y, 6.0f);
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

TEST(BlockSparseMatrix, FromArraysRejectsInconsistentArraysNamingTheProblem) {
  const std::vector<float> one_tile(4, 1.0f);  // 2x2 tiles on a 4x4 matrix: 2x2 tile grid
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, one_tile, {0}, {0, 1}); },
                 "tile_row_ptr has 2 entries, expected ceil(rows/R)+1 = 3");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, one_tile, {0}, {1, 1, 1}); },
                 "tile_row_ptr[0]");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, one_tile, {0}, {0, 2, 1}); },
                 "not monotone");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, one_tile, {0, 1}, {0, 1, 1}); },
                 "tile_col has 2 entries");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, {1.0f}, {0}, {0, 1, 1}); },
                 "values has 1 entries, expected tiles*R*C = 4");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 2, 2, one_tile, {2}, {0, 1, 1}); },
                 "tile_col[0] = 2 is out of range [0, 2)");
  expect_invalid([&] { BlockSparseMatrix::from_arrays(4, 4, 0, 2, {}, {}, {0}); }, "block 0x2");
  expect_invalid([&] { BlockSparseMatrix::from_dense(nullptr, 4, 4, 2, 0); }, "block 2x0");
}

}  // namespace
}  // namespace omnisparse::kernels
