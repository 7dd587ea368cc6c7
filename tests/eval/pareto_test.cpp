#include "core/eval/pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/common/error.h"
#include "core/eval/pareto_job.h"
#include "core/io/run_dir.h"
#include "tests/test_support.h"

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

// The sweep's levels come from run.json: the run's own ladder, the default when its config has
// none, and an error naming the file and key when it is malformed (never the default silently).
TEST(RunLadder, IsTheRunsOwnTheDefaultWhenAbsentAndAnErrorWhenMalformed) {
  test::TempDir dir;
  auto run_with = [&](const std::string& name, const nlohmann::json& config) {
    RunDir::create(dir / name).write_run_json({{"config", config}, {"mode", "omni"}});
    return dir / name;
  };
  EXPECT_EQ(run_ladder(run_with("own", {{"omni", {{"ladder", {0, 0.6, 0.95}}}}})).levels,
            (std::vector<double>{0, 0.6, 0.95}));
  EXPECT_EQ(run_ladder(run_with("none", {{"lr", 0.001}})).levels, Ladder{}.levels);
  for (const auto& [name, bad] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"string", "0.5"}, {"unsorted", {0, 0.9, 0.5}}, {"no-dense", {0.5, 0.9}}, {"text", {0, "x"}}}) {
    const auto run = run_with(name, {{"omni", {{"ladder", bad}}}});
    try {
      run_ladder(run);
      ADD_FAILURE() << name << ": a malformed ladder was accepted";
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind((run / "run.json").string() + ": config.omni.ladder: ladder:", 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

}  // namespace omnisparse
