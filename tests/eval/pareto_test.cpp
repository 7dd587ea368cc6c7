#include "core/eval/pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace omnisparse {

// Brute force: i is on the front iff no j dominates it (no larger, no worse, better in one).
static std::vector<size_t> brute_front(const std::vector<ParetoPoint>& p) {
  std::vector<size_t> out;
  for (size_t i = 0; i < p.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < p.size() && !dominated; ++j) {
      if (j == i) continue;
      const bool no_worse = p[j].size <= p[i].size && p[j].error <= p[i].error;
      const bool better = p[j].size < p[i].size || p[j].error < p[i].error;
      // Exact duplicates: keep the first index only.
      const bool duplicate_earlier = p[j].size == p[i].size && p[j].error == p[i].error && j < i;
      dominated = (no_worse && better) || duplicate_earlier;
    }
    if (!dominated) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return p[a].size < p[b].size; });
  return out;
}

TEST(ParetoFront, HandMadePointsGiveExactlyTheNonDominatedSet) {
  //            0          1          2          3          4          5
  std::vector<ParetoPoint> p = {{100, 0.10}, {50, 0.20}, {60, 0.25}, {20, 0.60}, {50, 0.30}, {10, 0.90}};
  // 2 is dominated by 1 (smaller and better); 4 by 1 (same size, worse).
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{5, 3, 1, 0}));
}

TEST(ParetoFront, MatchesBruteForceOnRandomPoints) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(0, 30);  // coarse grid: many ties
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ParetoPoint> p(1 + trial % 40);
    for (auto& q : p) q = {double(coord(rng)), coord(rng) / 30.0};
    EXPECT_EQ(pareto_front(p), brute_front(p)) << "trial " << trial;
  }
}

TEST(ParetoFront, NaNPointsAreNeverOnTheFront) {
  std::vector<ParetoPoint> p = {{10, NAN}, {20, 0.5}, {NAN, 0.1}};
  EXPECT_EQ(pareto_front(p), (std::vector<size_t>{1}));
}

}  // namespace omnisparse
