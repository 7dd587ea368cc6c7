// Magnitude ranks of one weight matrix, and the nested masks they define.
//
// A rank is a unit's position in the magnitude order, 0 = largest. The mask at sparsity s keeps
// the units whose rank is below a count that only shrinks as s grows, so the mask at 0.9 is a
// subset of the mask at 0.8 by construction (the nesting the supernet relies on).
//
//   unstructured  ranks [out, in]      over all weights by |w|;      keeps kept_units(out*in, s)
//   block RxC     ranks [ceil(out/R), ceil(in/C)] over tiles by L2;  keeps kept_units(#tiles, s)
//                 tiles (edge tiles are partial, scored on their real weights)
//   nested N:M    ranks [out, in]      within each group of M along in; keeps
//                 N = kept_units(M, s) per group; a partial last group of p < M weights keeps
//                 min(N, p), so "at most N of every M" holds everywhere
// Ties are broken by index (row-major; lower index ranks first), so ranks are deterministic.
//
//   LayerRanks r = compute_ranks(weight, Granularity::Parse("block4x4"));   // weight [out, in]
//   torch::Tensor keep = mask_at(r, 0.9);   // bool [out, in], on the ranks' device
#pragma once

#include <torch/types.h>

#include "core/sparsity/granularity.h"

namespace omnisparse {

struct LayerRanks {
  Granularity granularity;
  int64_t rows = 0;     // out
  int64_t cols = 0;     // in
  torch::Tensor ranks;  // int32, shape as in the table above

  // Units the mask counts in: weights, tiles, or (N:M) the group size M.
  int64_t units() const;
};

// Ranks of `weight` [out, in] (any float dtype, any device; gradients are not tracked).
LayerRanks compute_ranks(const torch::Tensor& weight, const Granularity& granularity);

// Bool mask [rows, cols] at `sparsity` in [0, 1) (ConfigError outside).
torch::Tensor mask_at(const LayerRanks& ranks, double sparsity);

// Exactly the number of true entries of mask_at(ranks, sparsity), without building the mask
// (for blocks it sums the real sizes of the kept tiles, so partial edge tiles count exactly).
int64_t kept_weights(const LayerRanks& ranks, double sparsity);

// The same count from the shape alone, for unstructured and N:M (and for blocks when the shape
// divides into whole tiles); for blocks with partial edge tiles the count depends on which
// tiles are kept: InvalidArgument, use kept_weights(ranks, s).
int64_t kept_weights(int64_t rows, int64_t cols, const Granularity& granularity,
                     double sparsity);

}  // namespace omnisparse
