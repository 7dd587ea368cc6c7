// Rows of results.h5 without a model: ids per granularity, merging a fresh evaluation into a
// stored row, and the front over stored rows (rows without the set left out).
#include <gtest/gtest.h>

#include <cmath>

#include "core/eval/pareto_job.h"
#include "core/eval/subnet_eval.h"

namespace omnisparse {
namespace {

SubnetResult row(const std::string& id, int64_t nonzero, double dev_wer) {
  SubnetResult r;
  r.id = id;
  r.nonzero_params = nonzero;
  if (!std::isnan(dev_wer)) r.evals["dev"].wer = dev_wer;
  return r;
}

TEST(SubnetEval, StructuredIdsDifferFromUnstructuredForTheSameLevels) {
  const SubnetConfig c = SubnetConfig::Explicit({"a", "b"}, {0.5, 0.8});
  EXPECT_EQ(subnet_id(c, Granularity::Unstructured()), c.id());
  EXPECT_EQ(subnet_id(c, Granularity::Block(4, 4)), c.id() + "-block4x4");
  EXPECT_NE(subnet_id(c, Granularity::Block(1, 4)), subnet_id(c, Granularity::Block(4, 4)));
  EXPECT_EQ(subnet_label(c, Granularity::NestedNM(4)), c.label() + " nm4");
}

TEST(SubnetEval, MergeKeepsOtherSetsAndTheFirstSource) {
  SubnetResult stored = row("x", 100, 0.2);
  stored.source = "sweep";
  stored.label = "uniform 0.50";
  stored.evals["test"].wer = 0.3;
  stored.rtf = 0.01;
  stored.pareto = true;
  SubnetResult fresh = row("x", 100, NAN);
  fresh.source = "evo";
  fresh.label = "evo 0.3 g1: uniform 0.50";
  fresh.evals["dev-first50"].wer = 0.25;
  fresh.latency_ms = 12;
  const SubnetResult m = merge_subnet_result(stored, fresh);
  EXPECT_EQ(m.source, "sweep");
  EXPECT_EQ(m.label, "uniform 0.50");
  ASSERT_EQ(m.evals.size(), 3u);
  EXPECT_DOUBLE_EQ(m.evals.at("dev").wer, 0.2);
  EXPECT_DOUBLE_EQ(m.evals.at("test").wer, 0.3);
  EXPECT_DOUBLE_EQ(m.evals.at("dev-first50").wer, 0.25);
  EXPECT_DOUBLE_EQ(m.rtf, 0.01);  // not measured now: the stored value stays
  EXPECT_DOUBLE_EQ(m.latency_ms, 12);
  EXPECT_TRUE(m.pareto);
  // A fresh measurement of a set replaces the stored one.
  SubnetResult again = row("x", 100, 0.1);
  EXPECT_DOUBLE_EQ(merge_subnet_result(stored, again).evals.at("dev").wer, 0.1);
}

TEST(SubnetEval, FrontIsTheNonDominatedRowsOnTheSet) {
  const std::vector<SubnetResult> rows = {
      row("dense", 1000, 0.10), row("a", 600, 0.12), row("b", 600, 0.15),  // b: dominated by a
      row("c", 300, 0.20),      row("d", 400, 0.25),                         // d: dominated by c
      row("e", 100, 0.90),      row("no-dev", 50, NAN)};                     // no-dev: not on dev
  EXPECT_EQ(front_ids(rows, "dev"), (std::vector<std::string>{"e", "c", "a", "dense"}));
  EXPECT_TRUE(front_ids(rows, "test").empty());
}

}  // namespace
}  // namespace omnisparse
