// SparseLinear: one pruned weight matrix W [rows, cols] that computes Y (+)= W X with whichever
// of dense / CSR / block-sparse is fastest for its shape and density on THIS machine.
//
// How it chooses (measured, not guessed): on construction it times each candidate format on
// the layer's own weights at the batch size it will see (a few ms: median of 5 rounds of
// >= 0.2 ms each) and keeps the fastest; sparse must beat dense by 5 % to be chosen, so noise
// does not flip layers that are a tie. The decision is cached per (rows, cols, density bucket
// of 2.5 %, tile shape, batch, ISA), so a model with repeated layer shapes calibrates each
// shape once per process. Why calibration rather than a committed crossover table: the
// crossover moves with the CPU (gather speed, AVX2 or not, cache sizes) and with load; a table
// measured on our shared build VM would be wrong on a user's laptop.
// experiments/sparse_kernels/RESULTS.md shows the crossovers this measures.
//
// An LSTM step (gates [4H] = W_ih x + W_hh h + b, both matrices pruned):
//   SparseLinear w_ih = SparseLinear::from_dense(w_ih_data, 4 * H, I, {.batch = chunk});
//   SparseLinear w_hh = SparseLinear::from_dense(w_hh_data, 4 * H, H);        // batch 1
//   std::copy(b, b + 4 * H, gates);
//   w_ih.multiply(x, 1, gates, Accumulate::kYes);
//   w_hh.multiply(h, 1, gates, Accumulate::kYes);
// (or W_ih X for the whole chunk of n frames at once: X [I, n], gates [4H, n]).
//
// Loading an export: SparseLinear::from_csr(CsrMatrix::from_arrays(...)) or from_block(...).
// multiply() is const and thread-safe; construction may run the calibration (not realtime).
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "core/kernels/block_sparse.h"
#include "core/kernels/csr_matrix.h"
#include "core/kernels/dense_gemv.h"
#include "core/kernels/kernel_types.h"

namespace omnisparse::kernels {

enum class Format { kDense, kCsr, kBlock };
const char* format_name(Format format);

struct SparseLinearOptions {
  std::optional<Format> force;  // use this format, no calibration (kBlock needs a tile shape)
  int64_t block_rows = 0;       // > 0 (with block_cols): also consider BSR with RxC tiles
  int64_t block_cols = 0;
  int64_t batch = 1;            // frames per multiply() the layer will mostly see
  Isa isa = best_isa();
};

class SparseLinear {
 public:
  // w: [rows, cols] row-major, pruned weights exactly 0 (the dense masked weight).
  static SparseLinear from_dense(const float* w, int64_t rows, int64_t cols,
                                 const SparseLinearOptions& options = {});
  // From an exported layer: chooses between it and its dense expansion.
  static SparseLinear from_csr(CsrMatrix csr, const SparseLinearOptions& options = {});
  static SparseLinear from_block(BlockSparseMatrix block, SparseLinearOptions options = {});

  // Y [rows, n] (+)= W X [cols, n]; row-major, leading dimension n.
  void multiply(const float* x, int64_t n, float* y, Accumulate acc = Accumulate::kNo) const;

  Format format() const;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t nnz() const { return nnz_; }
  double density() const;
  Isa isa() const { return isa_; }

 private:
  int64_t rows_ = 0, cols_ = 0, nnz_ = 0;
  Isa isa_ = Isa::kPortable;
  std::variant<DenseMatrix, CsrMatrix, BlockSparseMatrix> impl_;
};

// Calibrations run in this process (decisions not served from the cache); for tests and logs.
int64_t calibrations_run();
void clear_calibration_cache();

}  // namespace omnisparse::kernels
