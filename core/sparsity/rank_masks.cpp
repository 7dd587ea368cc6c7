#include "core/sparsity/rank_masks.h"

#include <ATen/ATen.h>

#include "core/common/error.h"

namespace omnisparse {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Ranks of `scores` along the last dim: 0 for the largest. Sorting the negated scores
// ascending with a stable sort puts equal scores in index order, which is the tie rule.
torch::Tensor ranks_along_last(const torch::Tensor& scores) {
  auto order = std::get<1>(at::sort(-scores, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
  const int64_t n = scores.size(-1);
  auto positions = at::arange(n, scores.options().dtype(at::kInt)).expand_as(order).contiguous();
  return at::empty_like(order, order.options().dtype(at::kInt)).scatter_(-1, order, positions);
}

// [rows, cols] -> [rows, ceil(cols/m)*m] padded with zeros at the row end.
torch::Tensor pad_cols(const torch::Tensor& w, int64_t to_cols) {
  if (to_cols == w.size(1)) return w;
  return at::constant_pad_nd(w, {0, to_cols - w.size(1), 0, 0}, 0.0);
}

}  // namespace

int64_t LayerRanks::units() const {
  switch (granularity.kind) {
    case Granularity::Kind::kUnstructured:
    case Granularity::Kind::kBlock:
      return ranks.numel();
    case Granularity::Kind::kNestedNM:
      return granularity.m;
  }
  return ranks.numel();
}

LayerRanks compute_ranks(const torch::Tensor& weight, const Granularity& granularity) {
  granularity.Validate();
  if (weight.dim() != 2) {
    throw InvalidArgument("compute_ranks: expected a 2-D weight [out, in], got " +
                          std::to_string(weight.dim()) + " dimensions");
  }
  at::NoGradGuard no_grad;
  const auto w = weight.detach().to(at::kFloat);  // [out, in]
  LayerRanks r;
  r.granularity = granularity;
  r.rows = w.size(0);
  r.cols = w.size(1);
  switch (granularity.kind) {
    case Granularity::Kind::kUnstructured: {
      r.ranks = ranks_along_last(w.abs().reshape({-1})).reshape({r.rows, r.cols});
      break;
    }
    case Granularity::Kind::kBlock: {
      const int64_t br = granularity.block_rows, bc = granularity.block_cols;
      const int64_t gr = ceil_div(r.rows, br), gc = ceil_div(r.cols, bc);
      auto padded = at::constant_pad_nd(w, {0, gc * bc - r.cols, 0, gr * br - r.rows}, 0.0);
      // [gr, br, gc, bc] -> squared L2 norm per tile [gr, gc]; the sqrt would not change order.
      auto scores = padded.reshape({gr, br, gc, bc}).square().sum({1, 3});
      r.ranks = ranks_along_last(scores.reshape({-1})).reshape({gr, gc});
      break;
    }
    case Granularity::Kind::kNestedNM: {
      const int64_t m = granularity.m, groups = ceil_div(r.cols, m);
      // Padding zeros sit after the real weights of a partial group, so they rank last in it.
      auto scores = pad_cols(w.abs(), groups * m).reshape({r.rows, groups, m});
      r.ranks = ranks_along_last(scores).reshape({r.rows, groups * m});
      if (groups * m != r.cols) r.ranks = r.ranks.slice(1, 0, r.cols).contiguous();
      break;
    }
  }
  return r;
}

torch::Tensor mask_at(const LayerRanks& r, double sparsity) {
  switch (r.granularity.kind) {
    case Granularity::Kind::kUnstructured:
      return r.ranks < kept_units(r.ranks.numel(), sparsity);
    case Granularity::Kind::kBlock: {
      const int64_t gr = r.ranks.size(0), gc = r.ranks.size(1);
      const int64_t br = r.granularity.block_rows, bc = r.granularity.block_cols;
      auto tiles = r.ranks < kept_units(r.ranks.numel(), sparsity);  // [gr, gc]
      // [gr, 1, gc, 1] -> [gr, br, gc, bc] -> [gr*br, gc*bc], then cut the padding off.
      return tiles.view({gr, 1, gc, 1})
          .expand({gr, br, gc, bc})
          .reshape({gr * br, gc * bc})
          .slice(0, 0, r.rows)
          .slice(1, 0, r.cols)
          .contiguous();
    }
    case Granularity::Kind::kNestedNM:
      return r.ranks < kept_units(r.granularity.m, sparsity);
  }
  return {};
}

int64_t kept_weights(const LayerRanks& r, double sparsity) {
  if (r.granularity.kind != Granularity::Kind::kBlock) {
    return kept_weights(r.rows, r.cols, r.granularity, sparsity);
  }
  const int64_t br = r.granularity.block_rows, bc = r.granularity.block_cols;
  const int64_t gr = r.ranks.size(0), gc = r.ranks.size(1);
  // Real size of each tile [gr, gc]: full except in the last tile row / column.
  auto opts = at::TensorOptions().dtype(at::kLong);
  auto heights = at::full({gr}, br, opts);
  auto widths = at::full({gc}, bc, opts);
  heights[gr - 1] = r.rows - (gr - 1) * br;
  widths[gc - 1] = r.cols - (gc - 1) * bc;
  auto sizes = heights.unsqueeze(1) * widths.unsqueeze(0);
  auto kept = (r.ranks.cpu() < kept_units(r.ranks.numel(), sparsity)).to(at::kLong);
  return (sizes * kept).sum().item<int64_t>();
}

int64_t kept_weights(int64_t rows, int64_t cols, const Granularity& g, double sparsity) {
  switch (g.kind) {
    case Granularity::Kind::kUnstructured:
      return kept_units(rows * cols, sparsity);
    case Granularity::Kind::kBlock: {
      if (rows % g.block_rows != 0 || cols % g.block_cols != 0) {
        throw InvalidArgument("kept_weights: a " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " matrix has partial " + g.ToString() +
                              " tiles; the count needs the ranks");
      }
      const int64_t tiles = (rows / g.block_rows) * (cols / g.block_cols);
      return kept_units(tiles, sparsity) * g.block_rows * g.block_cols;
    }
    case Granularity::Kind::kNestedNM: {
      const int64_t n = kept_units(g.m, sparsity);
      const int64_t full = cols / g.m, partial = cols % g.m;
      return rows * (full * n + std::min(n, partial));
    }
  }
  return 0;
}

}  // namespace omnisparse
