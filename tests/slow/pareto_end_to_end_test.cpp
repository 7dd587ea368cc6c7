// The main job in miniature, through the real CLI: synthesise a tiny corpus, train an omni
// supernet for a few steps, evaluate sub-networks with `pareto` (sweep + a one-generation
// search), then read RUN/results.h5 from this (second) process and check it: rows, exact
// accounting, front membership = the non-dominated set (brute force), and a re-run that
// evaluates nothing new. Plus the bad inputs: a level outside [0, 1), a budget no config can
// meet, a results.h5 of another model (left untouched), a dense run without --oneshot.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/io/results_store.h"
#include "core/sparsity/granularity.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using test::run_cli;
using test::TempDir;
namespace fs = std::filesystem;

// A training config small enough for seconds: short batches, a tiny periodic evaluation.
void write_train_config(const fs::path& p) {
  std::ofstream(p) << R"({"max_frames_per_batch": 800, "max_batch": 4, "eval_utterances": 4,
    "eval_levels": [0.0], "checkpoint_every": 1000, "eval_every": 1000, "lr_warmup_steps": 2,
    "omni": {"k": 2, "refresh_every": 4, "warmup": 0.1, "ramp_end": 0.5}})";
}

std::string one_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Non-dominated by brute force: no other row is no larger and no worse, and better in one.
std::set<std::string> non_dominated(const std::vector<SubnetResult>& rows) {
  std::set<std::string> ids;
  for (const auto& a : rows) {
    const double wa = a.evals.at("dev").wer;
    bool dominated = false;
    for (const auto& b : rows) {
      const double wb = b.evals.at("dev").wer;
      if (b.nonzero_params <= a.nonzero_params && wb <= wa &&
          (b.nonzero_params < a.nonzero_params || wb < wa))
        dominated = true;
    }
    // Identical points: only one is on the front (the store keeps the first); count by value.
    if (!dominated) ids.insert(a.id);
  }
  return ids;
}

TEST(ParetoEndToEnd, OmniRunToFrontReadByAnotherProcessAndRerunAddsNothing) {
  TempDir tmp("omnisparse-slow");
  const std::string corpus = (tmp / "corpus").string(), run = (tmp / "run").string();
  ASSERT_EQ(run_cli({"-q", "synth", "--out", corpus, "--utterances", "60", "--seed", "3"}).exit_code, 0);
  write_train_config(tmp / "train.json");
  const auto t = run_cli({"-q", "train", "--data", corpus, "--run", run, "--config",
                          (tmp / "train.json").string(), "--steps", "16"}, 240);
  ASSERT_EQ(t.exit_code, 0) << t.err;

  const std::vector<std::string> args = {"--json", "-q", "pareto", "--run", run, "--data", corpus,
                                         "--levels", "0,0.5,0.9", "--search", "evo", "--budget",
                                         "0.5", "--population", "3", "--generations", "1"};
  const auto p = run_cli(args, 240);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  const int64_t evaluated = j.at("evaluated");
  EXPECT_GE(evaluated, 3 + 3);  // the sweep, then at least the initial population
  EXPECT_EQ(j.at("cached"), 0);
  ASSERT_EQ(j.at("searches").size(), 1u);
  const auto& s = j.at("searches")[0];
  EXPECT_LE(s.at("budget_size").get<int64_t>(), j.at("dense_nonzero").get<int64_t>() / 2);

  // Another process (this one) reads what `pareto` wrote.
  const ResultsStore store = ResultsStore::open_read_only(fs::path(run) / "results.h5");
  const auto& rows = store.all();
  ASSERT_EQ(static_cast<int64_t>(rows.size()), evaluated);
  EXPECT_EQ(j.at("rows"), evaluated);
  const size_t L = store.layer_names().size();
  ASSERT_GT(L, 0u);
  EXPECT_EQ(store.rank_names().size(), L);  // ranks saved for the mask panel

  int64_t prunable = 0;
  std::vector<int64_t> numel;
  for (const auto& name : store.layer_names()) {
    numel.push_back(store.load_ranks(name).numel());
    prunable += numel.back();
  }
  std::set<std::string> sweep_ids;
  for (const auto& r : rows) {
    ASSERT_EQ(r.sparsity.size(), L) << r.id;
    ASSERT_TRUE(r.evals.count("dev")) << r.id;
    const auto& m = r.evals.at("dev");
    EXPECT_EQ(m.num_utts, 6);
    EXPECT_GE(m.wer, 0.0);
    EXPECT_NEAR(m.wer, double(m.sub + m.del + m.ins) / double(m.ref_words), 1e-9) << r.id;
    // Exact accounting: nnz = sum of ceil((1 - s) n) over the layers, with the config's levels
    // (the f32 sparsity column is for plotting: 0.7f would keep one weight more than 0.7).
    const auto config = nlohmann::json::parse(r.config_json);
    int64_t kept = 0;
    for (size_t i = 0; i < L; ++i) {
      const double level = config.at(store.layer_names()[i]).get<double>();
      EXPECT_NEAR(level, r.sparsity[i], 1e-6);
      kept += kept_units(numel[i], level);
    }
    EXPECT_EQ(r.nnz, kept) << r.id;
    // Timing is the streaming recognizer's (sparse kernels, 320 ms chunks): measured, positive.
    EXPECT_GT(r.rtf, 0.0) << r.id;
    EXPECT_GT(r.latency_ms, 0.0) << r.id;
    EXPECT_EQ(r.nonzero_params - r.nnz, r.total_params - prunable) << r.id;
    if (r.source == "sweep") sweep_ids.insert(r.id);
    else EXPECT_EQ(r.source, "evo");
    if (r.source == "evo") {
      EXPECT_LE(r.nonzero_params, s.at("budget_size").get<int64_t>()) << r.id;
    }
  }
  EXPECT_EQ(sweep_ids.size(), 3u);

  // Front membership is exactly the non-dominated set (identical points: one of them).
  std::set<std::string> stored_front, json_front;
  for (const auto& r : rows)
    if (r.pareto) stored_front.insert(r.id);
  for (const auto& f : j.at("front")) json_front.insert(f.at("id").get<std::string>());
  EXPECT_EQ(stored_front, json_front);
  const std::set<std::string> truth = non_dominated(rows);
  for (const auto& id : stored_front) EXPECT_TRUE(truth.count(id)) << id << " is dominated";
  std::set<std::pair<int64_t, double>> front_points, truth_points;
  for (const auto& r : rows) {
    if (stored_front.count(r.id)) front_points.insert({r.nonzero_params, r.evals.at("dev").wer});
    if (truth.count(r.id)) truth_points.insert({r.nonzero_params, r.evals.at("dev").wer});
  }
  EXPECT_EQ(front_points, truth_points);

  // The re-run: everything answered from results.h5.
  const auto again = run_cli(args, 240);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto ja = nlohmann::json::parse(again.out);
  EXPECT_EQ(ja.at("evaluated"), 0);
  EXPECT_EQ(ja.at("rows"), evaluated);
  EXPECT_EQ(ja.at("searches")[0].at("best_id"), s.at("best_id"));
  EXPECT_EQ(ResultsStore::open_read_only(fs::path(run) / "results.h5").all().size(), rows.size());

  // The plot: a PNG with the Qt build, a clear error in a headless one.
  const std::string png = (tmp / "front.png").string();
  const auto plot = run_cli({"-q", "pareto", "--run", run, "--data", corpus, "--levels", "0",
                             "--plot", png});
  if (plot.exit_code == 0) {
    std::ifstream f(png, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  } else {
    EXPECT_NE(plot.err.find("headless"), std::string::npos) << plot.err;
  }

  // Bad input: one-line errors, results.h5 untouched.
  const auto level = run_cli({"pareto", "--run", run, "--data", corpus, "--levels", "0.5,1.0"});
  EXPECT_EQ(level.exit_code, 1);
  EXPECT_NE(one_line(level.err).find("1 is outside [0, 1)"), std::string::npos) << level.err;
  const auto budget = run_cli({"pareto", "--run", run, "--data", corpus, "--search", "evo",
                               "--budget", "0.001", "-q"});
  EXPECT_EQ(budget.exit_code, 1);
  EXPECT_NE(budget.err.find("cannot be met: the smallest sub-network"), std::string::npos)
      << budget.err;

  const fs::path h5 = fs::path(run) / "results.h5", kept_aside = tmp / "kept.h5";
  fs::rename(h5, kept_aside);
  ResultsStore::open_or_create(h5, "another-model", {"a.w", "b.w"});
  const auto other = run_cli({"pareto", "--run", run, "--data", corpus, "--levels", "0"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("belongs to a different model"), std::string::npos) << other.err;
  EXPECT_EQ(ResultsStore::open_read_only(h5).layer_names(), (std::vector<std::string>{"a.w", "b.w"}));
  EXPECT_TRUE(ResultsStore::open_read_only(h5).all().empty());
  fs::rename(kept_aside, h5);
  EXPECT_EQ(ResultsStore::open_read_only(h5).all().size(), rows.size());

  // Results of other ranks (the run trained further since) are not mixed with new ones.
  fs::copy_file(h5, kept_aside);
  {
    ResultsStore same_model = ResultsStore::open_or_create(h5, store.fingerprint(), store.layer_names());
    std::map<std::string, at::Tensor> ranks = same_model.load_ranks();
    at::Tensor& first = ranks.begin()->second;
    first = first.flatten().flip(0).reshape(first.sizes()).contiguous();
    same_model.save_ranks(ranks);
  }
  const auto stale = run_cli({"pareto", "--run", run, "--data", corpus, "--levels", "0.5"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("other sparsity ranks"), std::string::npos) << stale.err;
  EXPECT_EQ(ResultsStore::open_read_only(h5).all().size(), rows.size());
  fs::remove(h5);
  fs::rename(kept_aside, h5);
}

TEST(ParetoEndToEnd, DenseRunNeedsOneshotAndThenPrunesItsFinalWeights) {
  TempDir tmp("omnisparse-slow");
  const std::string corpus = (tmp / "corpus").string(), run = (tmp / "run").string();
  ASSERT_EQ(run_cli({"-q", "synth", "--out", corpus, "--utterances", "30", "--seed", "4"}).exit_code, 0);
  write_train_config(tmp / "train.json");
  const auto t = run_cli({"-q", "train", "--data", corpus, "--run", run, "--mode", "dense",
                          "--config", (tmp / "train.json").string(), "--steps", "3"}, 240);
  ASSERT_EQ(t.exit_code, 0) << t.err;

  const auto no = run_cli({"pareto", "--run", run, "--data", corpus, "--levels", "0,0.5"});
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_NE(no.err.find("--oneshot"), std::string::npos) << no.err;

  const auto yes = run_cli({"--json", "-q", "pareto", "--run", run, "--data", corpus, "--levels",
                            "0,0.5", "--oneshot"}, 240);
  ASSERT_EQ(yes.exit_code, 0) << yes.err;
  const ResultsStore store = ResultsStore::open_read_only(fs::path(run) / "results.h5");
  ASSERT_EQ(store.all().size(), 2u);
  for (const auto& r : store.all()) EXPECT_EQ(r.source, "oneshot");
  EXPECT_LT(store.all()[1].nnz, store.all()[0].nnz);
  EXPECT_EQ(store.rank_names().size(), store.layer_names().size());

  // transcribe --mic refuses impossible endpoint settings with the key named, before it looks
  // for a device (so this holds on a machine without one too).
  const auto bad = run_cli({"transcribe", "--run", run, "--mic", "--endpoint-silence", "-1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("trailing_silence_s"), std::string::npos) << bad.err;
  const auto bad2 = run_cli({"transcribe", "--run", run, "--mic", "--max-utterance", "0.5"});
  EXPECT_EQ(bad2.exit_code, 1);
  EXPECT_NE(bad2.err.find("max_utterance_s"), std::string::npos) << bad2.err;
}

}  // namespace
}  // namespace omnisparse
