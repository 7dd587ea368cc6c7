// `omnisparse demo` end to end at a tiny budget: a dense phase, a supernet fine-tuned from it
// (its parent recorded), the front printed beside the one-shot pruning of the dense phase.
// Label: slow (about a minute: a 600-utterance corpus and seconds of training).
#include <gtest/gtest.h>

#include <fstream>

#include "core/io/results_store.h"
#include "core/io/run_dir.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

TEST(Demo, QuickTrainsADensePhaseThenASupernetFromItAndComparesWithOneShot) {
  test::TempDir dir;
  const fs::path out = dir / "demo";
  auto r = test::run_cli({"-q", "demo", "--quick", "--minutes", "0.15", "--out", out.string()},
                         /*timeout_s=*/280);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json dense = RunDir::open(out / "dense").read_run_json();
  const nlohmann::json omni = RunDir::open(out / "run").read_run_json();
  EXPECT_EQ(dense.at("mode"), "dense");
  EXPECT_EQ(omni.at("mode"), "omni");
  ASSERT_TRUE(omni.contains("parent"));
  EXPECT_EQ(fs::path(omni["parent"]["path"].get<std::string>()), fs::absolute(out / "dense"));
  EXPECT_EQ(omni["parent"]["fingerprint"], dense["fingerprint"]);
  // The quick demo's corpus is the digits domain.
  std::ifstream corpus_json(out / "corpus" / "corpus.json");
  const nlohmann::json cj = nlohmann::json::parse(corpus_json);
  EXPECT_NE(cj.dump().find("digit"), std::string::npos) << cj.dump();
  // The one-shot floor was scored into the dense run's results.h5 at the supernet's levels.
  const ResultsStore floor = ResultsStore::open_read_only(out / "dense" / "results.h5");
  int oneshot = 0;
  for (const SubnetResult& row : floor.all()) oneshot += row.source == "oneshot" && row.evals.count("dev");
  EXPECT_GE(oneshot, 4);
  // The supernet's cost includes the dense phase.
  const ResultsStore front = ResultsStore::open_read_only(out / "run" / "results.h5");
  const nlohmann::json cost = nlohmann::json::parse(front.training_cost());
  EXPECT_EQ(cost.at("total_passes").get<int64_t>(),
            cost.at("passes").get<int64_t>() + cost.at("parent_passes").get<int64_t>());
  ASSERT_NE(r.out.find("one-shot WER"), std::string::npos) << r.out;
  // Every ladder member is compared with the floor, the dense one first, on the front or not.
  const std::string cmp = r.out.substr(r.out.find("one-shot WER"));
  ASSERT_NE(cmp.find("uniform 0.00"), std::string::npos) << cmp;
  EXPECT_LT(cmp.find("uniform 0.00"), cmp.find("uniform 0.50")) << cmp;
  EXPECT_LT(cmp.find("uniform 0.50"), cmp.find("uniform 0.90")) << cmp;
  EXPECT_NE(r.out.find("training cost:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("with the parent"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace omnisparse
