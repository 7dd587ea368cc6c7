// `train --workers N` through the real CLI (docs/DESIGN.md section 10): a worker killed with
// kill -9 ends the whole job within a bounded time with one line naming it, and the run resumes
// with one or two workers; a stop request stops every worker at the same step with a
// checkpoint. Label: slow.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/data/synth_corpus.h"
#include "core/io/event_log.h"
#include "core/io/run_dir.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace workers_test {  // named: the unity build compiles this file with its siblings

const fs::path& corpus() {
  static test::TempDir* dir = new test::TempDir("omnisparse-workers-corpus");
  static fs::path p = [] {
    SynthConfig c;
    c.out = (dir->path() / "corpus").string();
    c.utterances = 60;
    c.seed = 4;
    synthesize_corpus(c, /*progress=*/false);
    return dir->path() / "corpus";
  }();
  return p;
}

fs::path tiny_config(const fs::path& dir) {
  fs::path p = dir / "tiny.json";
  std::ofstream(p) << R"({"max_frames_per_batch": 1200, "max_batch": 6, "eval_utterances": 4,
    "log_every": 1, "lr_warmup_steps": 2, "eval_levels": [0.0, 0.5],
    "model": {"encoder_layers": 1, "encoder_hidden": 64, "encoder_dim": 48, "input_dim": 48,
              "predictor_embed": 16, "predictor_hidden": 48, "joiner_dim": 48}})";
  return p;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (pid_t c; f >> c;) out.push_back(c);
  return out;
}

bool wait_for(const std::function<bool()>& ready, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::vector<nlohmann::json> events_of(const fs::path& run, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (auto& e : read_events(RunDir::open(run).events_path()).events)
    if (e.at("type") == type) out.push_back(e);
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> train_args(const fs::path& run, const fs::path& cfg) {
  return {"-q", "train", "--data", corpus().string(), "--run", run.string(), "--config",
          cfg.string(), "--mode", "omni", "--eval-every", "1000"};
}

TEST(Workers, AKilledWorkerEndsTheJobNamingItAndTheRunResumesWithOneOrTwoWorkers) {
  test::TempDir dir;
  const fs::path run = dir / "run", err = dir / "err.txt";
  auto args = train_args(run, tiny_config(dir.path()));
  for (const char* a : {"--steps", "400", "--checkpoint-every", "2", "--workers", "2"}) args.push_back(a);
  const pid_t launcher = test::spawn_cli(args, "/dev/null", err);
  ASSERT_TRUE(wait_for([&] {
    return RunDir::is_run_dir(run) && RunDir::open(run).checkpoints().steps().size() >= 2;
  }, 120)) << slurp(err);
  const std::vector<pid_t> workers = children_of(launcher);
  ASSERT_EQ(workers.size(), 2u);
  const auto killed_at = std::chrono::steady_clock::now();
  ::kill(workers[1], SIGKILL);  // rank 1
  int status = 0;
  ASSERT_TRUE(wait_for([&] { return ::waitpid(launcher, &status, WNOHANG) == launcher; }, 60))
      << "the job did not end within 60 s of losing a worker";
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  EXPECT_LT(took, 60.0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  const std::string e = slurp(err);
  EXPECT_NE(e.find("omnisparse train: error: worker rank 1 was killed by signal 9"), std::string::npos) << e;
  EXPECT_NE(e.find("continue with --resume"), std::string::npos) << e;
  const auto errors = events_of(run, "error");
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.back().at("message").get<std::string>().find("worker rank 1 was killed"), std::string::npos);

  const int64_t at = RunDir::open(run).latest_checkpoint()->step;
  auto r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(),
                          "--resume", "--workers", "1", "--steps", std::to_string(at + 4)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events_of(run, "done").back().at("step").get<int64_t>(), at + 4);
  EXPECT_EQ(events_of(run, "resume").back().at("workers"), 1);

  r = test::run_cli({"-q", "train", "--data", corpus().string(), "--run", run.string(), "--resume",
                     "--workers", "2", "--steps", std::to_string(at + 8)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events_of(run, "done").back().at("step").get<int64_t>(), at + 8);
  EXPECT_EQ(events_of(run, "resume").back().at("workers"), 2);
}

TEST(Workers, AStopRequestStopsEveryWorkerAtOneStepWithACheckpoint) {
  test::TempDir dir;
  const fs::path run = dir / "run", err = dir / "err.txt";
  auto args = train_args(run, tiny_config(dir.path()));
  for (const char* a : {"--steps", "400", "--checkpoint-every", "1000", "--workers", "2"}) args.push_back(a);
  const pid_t launcher = test::spawn_cli(args, "/dev/null", err);
  ASSERT_TRUE(wait_for([&] { return RunDir::is_run_dir(run) && !events_of(run, "step").empty(); }, 120))
      << slurp(err);
  ::kill(launcher, SIGTERM);  // what the workbench's Stop does
  int status = 0;
  ASSERT_TRUE(wait_for([&] { return ::waitpid(launcher, &status, WNOHANG) == launcher; }, 60));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(err);
  const auto stopped = events_of(run, "stopped");
  ASSERT_EQ(stopped.size(), 1u);
  const int64_t step = stopped[0].at("step");
  EXPECT_EQ(RunDir::open(run).latest_checkpoint()->step, step);
  EXPECT_LT(step, 400);
}

TEST(Workers, TheLayoutIsPrintedAndBadWorkerCountsAreRefused) {
  test::TempDir dir;
  auto r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "a").string(),
                          "--config", tiny_config(dir.path()).string(), "--steps", "1",
                          "--workers", "2", "--threads", "1", "--eval-every", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("train: 2 workers x 1 thread (--workers)"), std::string::npos) << r.err;
  r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "b").string(),
                     "--workers", "zero"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--workers 'zero': expected a positive number or auto"), std::string::npos) << r.err;
  r = test::run_cli({"train", "--data", corpus().string(), "--run", (dir / "c").string(),
                     "--nnodes", "2", "--node-rank", "1", "--workers", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("need --master HOST:PORT of node 0"), std::string::npos) << r.err;
}

}  // namespace workers_test
}  // namespace omnisparse
