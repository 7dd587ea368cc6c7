// The Pareto front of evaluated sub-networks: the non-dominated set of (size, error), where a
// point dominates another when it is no larger and no worse, and strictly better in one.
//
//   std::vector<ParetoPoint> pts = {{nnz, wer}, ...};
//   std::vector<size_t> front = pareto_front(pts);   // indices, sorted by size ascending
#pragma once

#include <cstddef>
#include <vector>

namespace omnisparse {

struct ParetoPoint {
  double size = 0;   // e.g. non-zero parameters or bytes
  double error = 0;  // e.g. WER
};

// Indices of the non-dominated points, ascending by size (ties in both: the first index).
// Points with a NaN coordinate are never on the front.
std::vector<size_t> pareto_front(const std::vector<ParetoPoint>& points);

}  // namespace omnisparse
