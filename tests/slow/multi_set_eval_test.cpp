// More than one evaluation set, through the real CLI: `pareto --also NAME=PATH` scores the
// sweep on a second set (here a TSV manifest, the shape a real-voice set takes) with a front of
// its own, stored in results.h5 under NAME; the scores equal `eval` of the same sub-network on
// the same manifest; a re-run evaluates nothing; `eval` takes several --data at once.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/io/results_store.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using test::run_cli;
using test::TempDir;
namespace fs = std::filesystem;

// corpus/<subset> as "path<TAB>text" lines: the synthetic test voices as a manifest.
int64_t write_manifest(const fs::path& corpus, const std::string& subset, const fs::path& tsv) {
  std::ofstream out(tsv);
  int64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus / subset)) {
    if (e.path().string().find(".trans.txt") == std::string::npos) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      const auto sp = line.find(' ');
      out << (e.path().parent_path() / (line.substr(0, sp) + ".flac")).string() << "\t"
          << line.substr(sp + 1) << "\n";
      ++n;
    }
  }
  return n;
}

TEST(MultiSetEval, ParetoAlsoScoresTheSweepOnAManifestWithAFrontOfItsOwn) {
  TempDir tmp("omnisparse-slow");
  const std::string corpus = (tmp / "corpus").string(), run = (tmp / "run").string();
  ASSERT_EQ(run_cli({"-q", "synth", "--out", corpus, "--utterances", "60", "--seed", "6"}).exit_code, 0);
  std::ofstream(tmp / "train.json") << R"({"max_frames_per_batch": 800, "max_batch": 4,
    "eval_utterances": 4, "eval_levels": [0.0], "checkpoint_every": 1000, "eval_every": 1000,
    "lr_warmup_steps": 2, "omni": {"k": 2, "refresh_every": 4, "warmup": 0.1, "ramp_end": 0.5}})";
  const auto t = run_cli({"-q", "train", "--data", corpus, "--run", run, "--config",
                          (tmp / "train.json").string(), "--steps", "12"}, 240);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const fs::path tsv = tmp / "voices.tsv";
  const int64_t utts = write_manifest(corpus, "test", tsv);
  ASSERT_GT(utts, 0);

  const std::vector<std::string> args = {"--json", "-q", "pareto", "--run", run, "--data", corpus,
                                         "--levels", "0,0.5,0.9", "--also", "real=" + tsv.string()};
  const auto p = run_cli(args, 240);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  ASSERT_EQ(j.at("also").size(), 1u);
  const auto& real = j.at("also")[0];
  EXPECT_EQ(real.at("set"), "real");
  EXPECT_EQ(real.at("set_utterances"), utts);
  EXPECT_EQ(real.at("rows"), 3);
  EXPECT_EQ(real.at("evaluated"), 3);
  EXPECT_EQ(j.at("evaluated"), 6);  // three on dev, three on real

  const ResultsStore store = ResultsStore::open_read_only(fs::path(run) / "results.h5");
  ASSERT_EQ(store.all().size(), 3u);
  std::set<std::pair<int64_t, double>> points;
  for (const auto& r : store.all()) {
    ASSERT_TRUE(r.evals.count("dev")) << r.id;
    ASSERT_TRUE(r.evals.count("real")) << r.id;
    EXPECT_EQ(r.evals.at("real").num_utts, utts);
    EXPECT_GT(r.rtf, 0.0) << r.id;  // the streaming timing of the main set is kept
    points.insert({r.nonzero_params, r.evals.at("real").wer});
  }
  // The front on real: non-dominated on (size, WER on real), by brute force.
  for (const auto& f : real.at("front")) {
    const int64_t n = f.at("nonzero_params");
    const double w = f.at("wer");
    EXPECT_TRUE(points.count({n, w}));
    for (const auto& [m, v] : points) EXPECT_FALSE(m <= n && v <= w && (m < n || v < w)) << n;
  }
  EXPECT_GE(real.at("front").size(), 1u);

  // Same numbers as `eval` of that sub-network on the manifest; several sets in one call.
  const auto e = run_cli({"--json", "-q", "eval", "--run", run, "--sparsity", "0.5", "--data",
                          corpus, "--data", tsv.string(), "--out", (tmp / "eval").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::istringstream lines(e.out);
  std::vector<nlohmann::json> sets;
  for (std::string line; std::getline(lines, line);) sets.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[1].at("utterances"), utts);
  for (const auto& r : store.all()) {
    if (std::abs(r.sparsity[0] - 0.5) > 1e-6) continue;
    EXPECT_NEAR(sets[1].at("wer").get<double>(), r.evals.at("real").wer, 1e-12);
  }
  int folders = 0;  // one folder of hyp.trn/ref.trn per set under --out
  for (const auto& d : fs::directory_iterator(tmp / "eval")) folders += fs::exists(d.path() / "hyp.trn");
  EXPECT_EQ(folders, 2);

  // A re-run adds nothing; a name clash is a one-line error.
  const auto again = run_cli(args, 240);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out).at("evaluated"), 0);
  const auto clash = run_cli({"pareto", "--run", run, "--data", corpus, "--levels", "0", "--also",
                              "dev=" + tsv.string()});
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.err.find("two evaluation sets are named 'dev'"), std::string::npos) << clash.err;
}

}  // namespace
}  // namespace omnisparse
