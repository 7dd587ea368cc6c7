// The trainer through the real CLI on a tiny synthetic corpus: the run-directory contract,
// resuming after kill -9, exact resumption, and clear errors for bad configs. Label: slow.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <thread>

#include "core/data/synth_corpus.h"
#include "core/io/checkpoint.h"
#include "core/io/event_log.h"
#include "core/io/run_dir.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

// One tiny corpus for the whole binary (synthesised once, ~60 utterances).
const fs::path& corpus() {
  static test::TempDir* dir = new test::TempDir("omnisparse-slow-corpus");
  static bool made = false;
  if (!made) {
    SynthConfig c;
    c.out = (dir->path() / "corpus").string();
    c.utterances = 60;
    c.seed = 3;
    synthesize_corpus(c, /*progress=*/false);
    made = true;
  }
  static fs::path p = dir->path() / "corpus";
  return p;
}

// A training config small enough for seconds per run.
fs::path tiny_config(const fs::path& dir, const std::string& extra = "") {
  fs::path p = dir / "tiny.json";
  std::ofstream(p) << R"({"max_frames_per_batch": 1200, "max_batch": 6, "eval_utterances": 4,
    "log_every": 1, "lr_warmup_steps": 2, "eval_levels": [0.0, 0.5],
    "model": {"encoder_layers": 1, "encoder_hidden": 64, "encoder_dim": 48, "input_dim": 48,
              "predictor_embed": 16, "predictor_hidden": 48, "joiner_dim": 48, "dropout": 0.1},
    "omni": {"k": 3, "warmup": 0.2, "ramp_end": 0.6, "refresh_every": 2})"
                   << extra << "}";
  return p;
}

std::vector<nlohmann::json> events(const fs::path& run) {
  return read_events(RunDir::open(run).events_path()).events;
}

std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& ev, const std::string& t) {
  std::vector<nlohmann::json> out;
  for (auto& e : ev)
    if (e.at("type") == t) out.push_back(e);
  return out;
}

// Starts the CLI in the background (output discarded) and returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args) {
  return test::spawn_cli(args, "/dev/null", "/dev/null");
}

// kill -9 `pid` as soon as `ready()` holds (or after 120 s); true if it died by the signal.
bool kill9_when(pid_t pid, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && !ready())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status);
}

int64_t last_step_logged(const fs::path& run) {
  if (!RunDir::is_run_dir(run)) return -1;
  auto st = of_type(events(run), "step");
  return st.empty() ? -1 : st.back().at("step").get<int64_t>();
}

}  // namespace

TEST(Trainer, OmniRunWritesTheRunDirectoryContract) {
  test::TempDir dir;
  const fs::path run = dir / "run";
  auto r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(),
                          "--config", tiny_config(dir.path()).string(), "--mode", "omni",
                          "--steps", "10", "--eval-every", "5", "--checkpoint-every", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(run);
  for (auto& e : ev) {
    EXPECT_TRUE(e.contains("type") && e.contains("time") && e.contains("step")) << e.dump();
  }
  ASSERT_EQ(of_type(ev, "start").size(), 1u);
  auto steps = of_type(ev, "step");
  ASSERT_EQ(steps.size(), 10u);
  for (auto& s : steps) {
    for (const char* k : {"loss", "lr", "samples_per_s", "sparsities", "progress", "passes"})
      EXPECT_TRUE(s.contains(k)) << k;
  }
  EXPECT_DOUBLE_EQ(steps.back().at("progress").get<double>(), 1.0);
  // Warm-up (progress < 0.2: steps 0 and 1) trains the dense net once; at step 2 the ramp is
  // still at 0, so the three sandwich members are all the dense net and run once; then k = 3.
  EXPECT_EQ(steps[0].at("sparsities").size(), 1u);
  EXPECT_EQ(steps[2].at("sparsities").size(), 1u);
  EXPECT_EQ(steps[9].at("sparsities").size(), 3u);
  EXPECT_EQ(steps.back().at("passes").get<int64_t>(), 3 * 1 + 7 * 3);
  // The sandwich: dense first, the sparsest (the largest level) second.
  auto sp = steps[9].at("sparsities");
  EXPECT_EQ(sp[0].get<double>(), 0.0);
  for (auto& s : sp) EXPECT_LE(s.get<double>(), sp[1].get<double>());
  ASSERT_EQ(of_type(ev, "done").size(), 1u);
  EXPECT_GE(of_type(ev, "eval").size(), 2u);
  EXPECT_FALSE(of_type(ev, "checkpoint").empty());
  auto latest = RunDir::open(run).latest_checkpoint();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 10);
  // The final checkpoint holds frozen ranks for every prunable layer.
  auto ck = load_latest_checkpoint(RunDir::open(run));
  ASSERT_TRUE(ck.has_value());
  EXPECT_FALSE(ck->second.ranks.empty());
  EXPECT_TRUE(ck->second.ranks_meta.at("frozen").get<bool>());
  // Resuming a finished run with no new budget leaves it exactly as it is.
  const size_t n = events(run).size();
  r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(run).size(), n);
  EXPECT_EQ(RunDir::open(run).latest_checkpoint()->step, 10);
}

TEST(Trainer, ResumeAfterKill9ContinuesFromTheLastCompleteCheckpoint) {
  test::TempDir dir;
  const fs::path run = dir / "run";
  const std::string cfg = tiny_config(dir.path()).string();
  pid_t pid = spawn_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--config",
                         cfg, "--mode", "gmp", "--steps", "400", "--checkpoint-every", "2",
                         "--eval-every", "1000"});
  // Kill -9 as soon as two checkpoints exist (mid-run, possibly mid-write of the third).
  ASSERT_TRUE(kill9_when(pid, [&] {
    return RunDir::is_run_dir(run) && RunDir::open(run).checkpoints().steps().size() >= 2;
  }));
  auto before = RunDir::open(run).latest_checkpoint();
  ASSERT_TRUE(before.has_value());

  auto r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(),
                          "--resume", "--steps", std::to_string(before->step + 4)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = events(run);
  auto resumes = of_type(ev, "resume");
  ASSERT_EQ(resumes.size(), 1u);
  EXPECT_GE(resumes[0].at("step").get<int64_t>(), before->step);
  EXPECT_EQ(of_type(ev, "done").back().at("step").get<int64_t>(), before->step + 4);
}

TEST(Trainer, RunKilledAndResumedEndsWithTheSameWeightsAsAnUninterruptedRun) {
  test::TempDir dir;
  const std::string cfg = tiny_config(dir.path()).string();
  auto args = [&](const fs::path& run) {
    return std::vector<std::string>{"-q", "train", "--data", corpus().string(), "--run", run.string(),
                                    "--config", cfg, "--mode", "omni", "--steps", "12",
                                    "--checkpoint-every", "4", "--eval-every", "1000"};
  };
  auto r = test::run_cli(args(dir / "straight"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The same run, killed after its step-4 checkpoint (while training step 6 or later), resumed.
  const fs::path split = dir / "split";
  ASSERT_TRUE(kill9_when(spawn_cli(args(split)), [&] { return last_step_logged(split) >= 6; }));
  ASSERT_LT(last_step_logged(split), 12) << "the run finished before it could be killed";
  r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", split.string(), "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = load_latest_checkpoint(RunDir::open(dir / "straight"));
  auto b = load_latest_checkpoint(RunDir::open(split));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->second.state.at("trainer").at("step"), 12);
  ASSERT_EQ(a->second.weights.size(), b->second.weights.size());
  for (size_t i = 0; i < a->second.weights.size(); ++i) {
    EXPECT_EQ(a->second.weights[i].first, b->second.weights[i].first);
    EXPECT_TRUE(a->second.weights[i].second.equal(b->second.weights[i].second))
        << a->second.weights[i].first << " differs after resuming";
  }
}

TEST(Trainer, ResumeWithAnotherModelConfigIsRefusedAndNothingIsOverwritten) {
  test::TempDir dir;
  const fs::path run = dir / "run";
  auto r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--config",
                          tiny_config(dir.path()).string(), "--steps", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = RunDir::open(run).checkpoints().steps();
  r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--resume",
                     "--preset", "small", "--steps", "4"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("different model config"), std::string::npos) << r.err;
  EXPECT_EQ(RunDir::open(run).checkpoints().steps(), before);
  // A second fresh run into the same directory is refused too.
  r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--steps", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
}

// The CTC warm-up trains the encoder and the CTC head alone: the predictor and the joiner keep
// their initial weights (the same seed gives the same initial weights in every run) until the
// warm-up ends, then train like everything else.
TEST(Trainer, CtcWarmupLeavesPredictorAndJoinerUntouchedUntilItEnds) {
  test::TempDir dir;
  auto config = [&](const std::string& name, double warmup, double ctc_weight = 0.5) {
    const fs::path p = dir / name;
    std::ofstream(p) << R"({"max_frames_per_batch": 1200, "max_batch": 6, "eval_utterances": 4,
      "log_every": 1, "lr_warmup_steps": 2, "ctc_warmup": )" << warmup << R"(,
      "model": {"encoder_layers": 1, "encoder_hidden": 64, "encoder_dim": 48, "input_dim": 48,
                "predictor_embed": 16, "predictor_hidden": 48, "joiner_dim": 48,
                "ctc_weight": )" << ctc_weight << R"(, "ctc_upsample": 2}})";
    return p.string();
  };
  // A warm-up without a CTC head is a config error naming the key.
  {
    auto r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "bad").string(),
                            "--config", config("bad.json", 0.3, 0.0), "--steps", "2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("ctc_warmup"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("CTC head"), std::string::npos) << r.err;
  }
  const std::string cfg = config("long.json", 0.9);
  auto train = [&](const std::string& name, const std::string& steps, const std::string& extra_cfg) {
    const fs::path run = dir / name;
    std::vector<std::string> a{"-q", "train", "--data", corpus().string(), "--run", run.string(),
                               "--config", extra_cfg, "--mode", "dense", "--steps", steps,
                               "--eval-every", "1000"};
    auto r = test::run_cli(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto c = load_latest_checkpoint(RunDir::open(run));
    std::map<std::string, at::Tensor> w;
    if (c) for (auto& [n, t] : c->second.weights) w[n] = t;
    return w;
  };
  // Steps 0..3 of 4 all have progress < 0.9: CTC only. Steps 0..1 of 2 as well.
  auto two = train("two", "2", cfg);
  auto four = train("four", "4", cfg);
  // The same config with a short warm-up (0.3 of 4 steps: steps 0-1), then the full loss.
  const std::string short_cfg = config("short.json", 0.3);
  auto mixed = train("mixed", "4", short_cfg);
  ASSERT_FALSE(two.empty());
  ASSERT_EQ(two.size(), four.size());
  int frozen = 0, trained = 0;
  for (const auto& [name, t] : two) {
    const bool rnnt_only = name.rfind("model.predictor.", 0) == 0 ||
                           name.rfind("model.joiner.", 0) == 0 ||
                           name.rfind("model.embedding.", 0) == 0;
    if (rnnt_only) {
      EXPECT_TRUE(t.equal(four.at(name))) << name << " changed during the CTC warm-up";
      EXPECT_FALSE(t.equal(mixed.at(name))) << name << " did not train after the warm-up";
      ++frozen;
    } else if (name.rfind("model.encoder.", 0) == 0 || name.rfind("model.ctc_head.", 0) == 0) {
      EXPECT_FALSE(t.equal(four.at(name))) << name << " did not train during the CTC warm-up";
      ++trained;
    }
  }
  EXPECT_GT(frozen, 5);
  EXPECT_GT(trained, 5);
}

TEST(Trainer, BadConfigsGiveOneLineErrors) {
  test::TempDir dir;
  struct Case {
    std::string extra, expect;
  };
  for (const Case& c : {Case{R"(, "lr": -1)", "lr"}, Case{R"(, "no_such_key": 1)", "no_such_key"},
                        Case{R"(, "omni": {"k": 1})", "omni.members_per_step"},
                        Case{R"(, "omni": {"distill_weight": -1})", "omni.distill_weight"},
                        Case{R"(, "init_from": "/no/such/run")", "--init-from"},
                        Case{R"(, "ctc_warmup": 1.5)", "ctc_warmup"}}) {
    auto r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "r").string(),
                            "--config", tiny_config(dir.path(), c.extra).string(), "--steps", "2"});
    EXPECT_EQ(r.exit_code, 1) << c.extra;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "r" / "run.json"));
  }
  auto r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "c").string(),
                          "--steps", "2", "--device", "cuda"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cuda"), std::string::npos) << r.err;
}

}  // namespace omnisparse
