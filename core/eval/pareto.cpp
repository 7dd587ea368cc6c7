#include "core/eval/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace omnisparse {

std::vector<size_t> pareto_front(const std::vector<ParetoPoint>& points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i)
    if (std::isfinite(points[i].size) && std::isfinite(points[i].error)) order.push_back(i);
  // By size, then error, then index: a sweep keeps each point strictly better than all smaller.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].size != points[b].size) return points[a].size < points[b].size;
    return points[a].error < points[b].error;
  });
  std::vector<size_t> front;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i : order) {
    if (points[i].error < best) {
      front.push_back(i);
      best = points[i].error;
    }
  }
  return front;
}

}  // namespace omnisparse
