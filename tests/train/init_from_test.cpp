// `train --init-from`: a run starts from a trained parent's weights (optimiser, schedule and
// ranks fresh), an incompatible parent is refused with the difference named, and every cost
// figure can include what the parent cost. Trains a micro model for a few steps (seconds).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <fstream>

#include "core/common/error.h"
#include "core/data/synth_corpus.h"
#include "core/io/checkpoint.h"
#include "core/io/event_log.h"
#include "core/io/run_cost.h"
#include "core/io/run_dir.h"
#include "core/train/parent_model.h"
#include "core/train/trainer.h"
#include "tests/test_support.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace init_from_test {  // named: the unity build compiles this file with its siblings

TrainConfig micro(const fs::path& run, TrainMode mode, int64_t steps) {
  return test::micro_config(run, mode, steps);
}

TrainSummary train(const TrainConfig& c, bool model_given = false) {
  TrainerOptions o;
  o.progress_bar = false;
  o.model_given = model_given;
  return Trainer(c, o).run();
}

std::vector<nlohmann::json> events_of(const fs::path& run, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (auto& e : read_events(RunDir::open(run).events_path()).events)
    if (e.at("type") == type) out.push_back(e);
  return out;
}

class InitFrom : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("omnisparse-init-from");
    parent_ = dir_->path() / "dense";
    parent_summary_ = train(micro(parent_, TrainMode::Dense, 4));
  }
  static test::TempDir* dir_;
  static fs::path parent_;
  static TrainSummary parent_summary_;
};
test::TempDir* InitFrom::dir_ = nullptr;
fs::path InitFrom::parent_;
TrainSummary InitFrom::parent_summary_;

TEST_F(InitFrom, StartsFromTheParentsWeightsWithAFreshOptimiser) {
  TrainConfig c = micro(dir_->path() / "omni", TrainMode::Omni, 1);
  c.init_from = parent_.string();
  c.lr = 1e-4;
  c.grad_clip = 1e9;
  train(c);
  // One Adam step from fresh moments moves every weight by at most ~lr: the child started at
  // the parent's weights, not at a new random initialisation.
  const auto p = test::latest_weights(parent_), w = test::latest_weights(c.run);
  ASSERT_EQ(p.size(), w.size());
  double max_diff = 0;
  for (auto& [k, v] : p) max_diff = std::max(max_diff, (w.at(k) - v).abs().max().item<double>());
  EXPECT_LE(max_diff, 1.01e-4);
  EXPECT_GT(max_diff, 0.0);
  // Fresh optimiser and schedule: one step in the child, whatever the parent's count.
  auto ck = load_latest_checkpoint(RunDir::open(c.run));
  EXPECT_EQ(ck->second.state.at("trainer").at("step").get<int64_t>(), 1);
  for (auto& [name, steps] : ck->second.state.at("adam_steps").items())
    EXPECT_LE(steps.get<int64_t>(), 1) << name;
  // The feature normalisation is the parent's (the child never recomputes it).
  EXPECT_EQ(ck->second.model_meta.at("omnisparse.feature_stats"),
            load_latest_checkpoint(RunDir::open(parent_))->second.model_meta.at("omnisparse.feature_stats"));
}

TEST_F(InitFrom, RunJsonEventsAndCostCountTheParent) {
  TrainConfig c = micro(dir_->path() / "gmp", TrainMode::Gmp, 3);
  c.init_from = parent_.string();
  const TrainSummary s = train(c);
  const nlohmann::json rj = RunDir::open(c.run).read_run_json();
  ASSERT_TRUE(rj.contains("parent"));
  EXPECT_EQ(rj["parent"]["passes"].get<int64_t>(), parent_summary_.passes);
  EXPECT_EQ(rj["parent"]["kind"], "run");
  EXPECT_EQ(rj["parent"]["fingerprint"], rj["fingerprint"]);
  EXPECT_EQ(s.parent_passes, parent_summary_.passes);
  const auto done = events_of(c.run, "done").at(0);
  EXPECT_EQ(done["total_passes"].get<int64_t>(), s.passes + parent_summary_.passes);
  EXPECT_EQ(events_of(c.run, "step").back()["total_passes"].get<int64_t>(),
            s.passes + parent_summary_.passes);
  const RunCost cost = read_run_cost(RunDir::open(c.run));
  EXPECT_EQ(cost.passes, s.passes);
  EXPECT_EQ(*cost.total_passes(), s.passes + parent_summary_.passes);
  EXPECT_NEAR(*cost.total_wall_s(), s.wall_s + parent_summary_.wall_s, 1e-3);
  EXPECT_NE(cost.summary().find("with the parent"), std::string::npos);

  // A chain: a grandchild's total includes both ancestors.
  TrainConfig g = micro(dir_->path() / "grandchild", TrainMode::Dense, 2);
  g.init_from = c.run;
  const TrainSummary gs = train(g);
  EXPECT_EQ(*read_run_cost(RunDir::open(g.run)).total_passes(),
            gs.passes + s.passes + parent_summary_.passes);
}

TEST_F(InitFrom, AnIncompatibleParentIsRefusedNamingTheDifference) {
  TrainConfig c = micro(dir_->path() / "bigger", TrainMode::Omni, 1);
  c.init_from = parent_.string();
  c.model.encoder_hidden = 40;
  try {
    train(c, /*model_given=*/true);
    FAIL() << "an incompatible parent was accepted";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model.encoder_hidden is 32 in the parent, 40 here"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  EXPECT_FALSE(RunDir::is_run_dir(c.run)) << "a refused run leaves no run directory";

  TrainConfig missing = micro(dir_->path() / "orphan", TrainMode::Omni, 1);
  missing.init_from = (dir_->path() / "no-such-run").string();
  EXPECT_THROW(train(missing), IoError);

  // A file that is neither a checkpoint nor a model.
  const fs::path junk = dir_->path() / "junk.safetensors";
  std::ofstream(junk) << "not a model";
  TrainConfig bad = micro(dir_->path() / "junk-child", TrainMode::Omni, 1);
  bad.init_from = junk.string();
  EXPECT_THROW(train(bad), FormatError);
}

TEST_F(InitFrom, ACheckpointFileIsAParentToo) {
  const auto ref = RunDir::open(parent_).latest_checkpoint();
  ASSERT_TRUE(ref.has_value());
  const ParentModel p = load_parent(ref->path);
  EXPECT_EQ(p.info["kind"], "checkpoint");
  EXPECT_EQ(p.total_passes(), parent_summary_.passes);
  EXPECT_NO_THROW(check_parent_compatible(p, p.bundle.config, ""));
}

// The training config's "fbank" block chooses a new model's front end; it is saved with the
// model, and a fine-tune keeps its parent's (a different one asked for is refused).
TEST_F(InitFrom, AConfiguredFrontEndIsSavedAndAFineTuneKeepsItsParents) {
  const TrainConfig parsed = TrainConfig::from_json({{"fbank", {{"snip_edges", true}}}});
  ASSERT_TRUE(parsed.fbank.has_value());
  EXPECT_TRUE(parsed.fbank->snip_edges);
  EXPECT_EQ(parsed.fbank->mel_floor, FbankConfig::kMelFloor);  // today's default, not the legacy one
  EXPECT_EQ(TrainConfig::from_json(parsed.to_json()).fbank, parsed.fbank);
  EXPECT_FALSE(TrainConfig().to_json().contains("fbank"));
  try {
    TrainConfig::from_json({{"fbank", {{"snip_edge", true}}}});
    FAIL() << "an unknown fbank key was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fbank.snip_edge"), std::string::npos) << e.what();
  }

  TrainConfig kaldi = micro(dir_->path() / "kaldi-front-end", TrainMode::Dense, 2);
  kaldi.fbank = FbankConfig{};
  kaldi.fbank->snip_edges = true;
  kaldi.fbank->mel_floor = 1e-12;
  train(kaldi);
  const ParentModel saved = load_parent(kaldi.run);
  EXPECT_EQ(saved.bundle.fbank, *kaldi.fbank);
  EXPECT_EQ(load_parent(parent_.string()).bundle.fbank, FbankConfig{});  // none asked: defaults

  TrainConfig child = micro(dir_->path() / "kaldi-child", TrainMode::Omni, 1);
  child.init_from = kaldi.run;
  child.fbank = FbankConfig{};
  try {
    train(child);
    FAIL() << "a fine-tune with another front end was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fbank: a fine-tune hears what its parent heard"),
              std::string::npos) << e.what();
  }
}

}  // namespace init_from_test
}  // namespace omnisparse
