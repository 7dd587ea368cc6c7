// Exact size of a sub-network: non-zero parameters and bytes, dense and as the sparse export
// stores them. The exporter (core/io) stores exactly what this file counts.
//
//   Accounting a = account(config, ranks, /*nonprunable_params=*/model_params - prunable);
//   a.nnz_total, a.bytes_sparse
//
// Per prunable layer [rows, cols] at level s (n = rows*cols, kept = kept_weights(...), i.e.
// exactly the ones of mask_at):
//   dense   = 4 * n                                        (fp32)
//   CSR     = 4 * kept + 4 * kept + 4 * (rows + 1)         (fp32 values, int32 column indices,
//                                                           int32 row pointers)
//             used for unstructured and nested N:M
//   block   = 4 * R*C * T + 4 * T + 4 * (ceil(rows/R) + 1) (fp32 values of T = kept tiles
//             stored whole, partial edge tiles zero-padded to RxC; int32 tile column indices;
//             int32 tile row pointers)        used for block RxC
//   stored  = min(dense, CSR or block)   (so a layer at 0 % costs its dense bytes)
// Non-prunable parameters (biases, norms, embeddings) are counted dense: 4 bytes each, all
// non-zero. Totals add the non-prunable part to the prunable layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sparsity/rank_set.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

struct LayerAccount {
  std::string name;
  double level = 0.0;
  int64_t params = 0;        // rows * cols
  int64_t nnz = 0;           // kept weights
  int64_t bytes_dense = 0;   // 4 * params
  int64_t bytes_sparse = 0;  // CSR or block formula above
  int64_t bytes_stored = 0;  // min(dense, sparse)
  bool stored_dense = true;  // the exporter writes this layer dense
};

struct Accounting {
  std::vector<LayerAccount> layers;
  int64_t prunable_params = 0;
  int64_t nonprunable_params = 0;
  int64_t total_params = 0;   // prunable + non-prunable
  int64_t nnz_prunable = 0;
  int64_t nnz_total = 0;      // nnz_prunable + non-prunable
  int64_t bytes_dense = 0;    // 4 * total_params
  int64_t bytes_stored = 0;   // sum of layers' bytes_stored + 4 * non-prunable

  double sparsity() const {   // over all parameters
    return total_params ? 1.0 - static_cast<double>(nnz_total) / total_params : 0.0;
  }
};

// Exact for every granularity (block tiles at the edges counted by their real size).
Accounting account(const SubnetConfig& config, const RankSet& ranks, int64_t nonprunable_params);

// From shapes alone: exact for unstructured and N:M, and for blocks whose shapes divide into
// whole tiles; InvalidArgument for partial tiles (use the RankSet overload).
Accounting account(const SubnetConfig& config, const LayerSpecs& layers,
                   const Granularity& granularity, int64_t nonprunable_params);

// One layer's entry (the formula above), given its exact kept-weight count.
LayerAccount account_layer(const LayerSpec& layer, const Granularity& granularity, double level,
                           int64_t kept);

}  // namespace omnisparse
