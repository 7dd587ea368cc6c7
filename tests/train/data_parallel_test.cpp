// Data-parallel training (docs/DESIGN.md section 10): two workers, each on its half of every
// batch, with their gradients summed over a real Gloo process group, end with the weights one
// worker reaches on the whole batches. The two workers run as two threads of this process, each
// with its own store client and process group, as two worker processes would.
#include <gtest/gtest.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <future>

#include "core/dist/world.h"
#include "core/io/checkpoint.h"
#include "core/io/event_log.h"
#include "core/io/run_dir.h"
#include "core/train/trainer.h"
#include "tests/test_support.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

// The micro model with batches of 5 (shards of 3 and 2 utterances), a two-member supernet over
// a two-level ladder, no dropout (so that one worker and two can be compared exactly).
TrainConfig micro(const fs::path& run, TrainMode mode, int64_t steps) {
  TrainConfig c = test::micro_config(run, mode, steps);
  c.max_frames_per_batch = 100000;
  c.max_batch = 5;
  c.eval_levels = {0.0, 0.5};
  c.model.dropout = 0;
  c.omni.members_per_step = 2;
  c.omni.ladder = {0.0, 0.5};
  c.omni.level_lr.clear();
  c.omni.level_weights.clear();
  return c;
}

TrainSummary train_alone(const TrainConfig& c) {
  TrainerOptions o;
  o.progress_bar = false;
  return Trainer(c, o).run();
}

// Trains `c` with `size` workers; returns rank 0's summary.
TrainSummary train_on_workers(const TrainConfig& c, int size) {
  c10d::TCPStoreOptions so;
  so.port = 0;
  so.isServer = true;
  so.waitWorkers = false;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  std::vector<std::future<TrainSummary>> ranks;
  for (int r = 0; r < size; ++r) {
    ranks.push_back(std::async(std::launch::async, [&, r] {
      WorkerEnv e;
      e.rank = e.local_rank = r;
      e.world_size = size;
      e.master_port = store->getPort();
      e.agent_store = true;
      e.timeout = std::chrono::seconds(60);
      auto world = World::Join(e, c10::Device(c10::kCPU));
      TrainerOptions o;
      o.progress_bar = false;
      o.world = world.get();
      return Trainer(c, o).run();
    }));
  }
  std::vector<TrainSummary> out;
  for (auto& f : ranks) out.push_back(f.get());
  return out[0];
}

TEST(DataParallel, TwoWorkersOnHalfBatchesReachTheWeightsOfOneOnWholeBatches) {
  test::TempDir dir("omnisparse-dp");
  // A common parent, so that both runs start from the same weights.
  TrainConfig pc = micro(dir / "parent", TrainMode::Dense, 1);
  train_alone(pc);

  TrainConfig c = micro(dir / "alone", TrainMode::Omni, 5);
  c.init_from = (dir / "parent").string();
  const TrainSummary alone = train_alone(c);
  c.run = (dir / "two").string();
  const TrainSummary two = train_on_workers(c, 2);

  EXPECT_EQ(two.steps, alone.steps);
  EXPECT_EQ(two.passes, alone.passes);
  auto a = test::latest_weights(dir / "alone"), b = test::latest_weights(dir / "two");
  auto p = test::latest_weights(dir / "parent");
  ASSERT_EQ(a.size(), b.size());
  // Float sums in another order, through Adam (which scales a near-zero gradient up to lr, so a
  // few elements fed by nearly constant feature bands can differ by a good part of lr): so every
  // tensor within 0.5 % of how far training moved it, in norm. Measured here: at most 0.1 %;
  // with each rank's gradient not scaled by its share of the batch (twice the right gradient,
  // which Adam's scale invariance nearly hides) 0.3-8 %, median 2.6 %.
  double moved = 0;
  for (auto& [name, w] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    const double diff = (w - b[name]).norm().item<double>();
    const double move = (w - p[name]).norm().item<double>();
    EXPECT_LE(diff, 0.005 * move + 1e-7) << name << ": difference " << diff << ", moved " << move;
    moved = std::max(moved, (w - p[name]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-3) << "training did not change the weights: the comparison proves nothing";

  // Rank 0 alone wrote the run directory; its events say how many workers trained.
  bool saw_start = false;
  for (auto& e : read_events(RunDir::open(dir / "two").events_path()).events) {
    if (e.at("type") == "start") {
      saw_start = true;
      EXPECT_EQ(e.at("workers"), 2);
      EXPECT_EQ(e.at("backend"), "gloo");
    }
    if (e.at("type") == "step") {
      EXPECT_EQ(e.at("workers"), 2);
      EXPECT_GE(e.at("straggle_ms").get<double>(), 0.0);  // the workers' mean wait
      EXPECT_GT(e.at("sync_ms").get<double>(), 0.0);
    }
  }
  EXPECT_TRUE(saw_start);
}

TEST(DataParallel, AMinuteBudgetEndsEveryWorkerAtTheSameStepWithTheSameWeights) {
  // The budget and the learning rate follow the all-reduced step time: were a rank to use its
  // own clock, the ranks' schedules would drift and the final weight check would fail.
  test::TempDir dir("omnisparse-dp-minutes");
  TrainConfig c = micro(dir / "run", TrainMode::Omni, 0);
  c.steps = 0;
  c.minutes = 0.04;
  c.lr_warmup_steps = 3;
  c.model.dropout = 0.1;  // each rank its own dropout stream: gradients differ, weights may not
  const TrainSummary s = train_on_workers(c, 2);  // throws if the ranks end apart
  EXPECT_GT(s.steps, 2);
  EXPECT_TRUE(s.finished);
}

TEST(DataParallel, WorkersWithDifferentConfigsAreRefusedNamingTheKey) {
  test::TempDir dir("omnisparse-dp-mismatch");
  c10d::TCPStoreOptions so;
  so.port = 0;
  so.isServer = true;
  so.waitWorkers = false;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  std::vector<std::future<std::string>> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.push_back(std::async(std::launch::async, [&, r] {
      WorkerEnv e;
      e.rank = e.local_rank = r;
      e.world_size = 2;
      e.master_port = store->getPort();
      e.agent_store = true;
      e.timeout = std::chrono::seconds(30);
      auto world = World::Join(e, c10::Device(c10::kCPU));
      TrainConfig c = micro(dir / "run", TrainMode::Dense, 2);
      if (r == 1) c.lr = 0.5;
      TrainerOptions o;
      o.progress_bar = false;
      o.world = world.get();
      try {
        Trainer(c, o).run();
        return std::string();
      } catch (const std::exception& x) {
        return std::string(x.what());
      }
    }));
  }
  for (auto& f : ranks) {
    const std::string m = f.get();
    EXPECT_NE(m.find("the training config of worker rank 1 differs from rank 0's"), std::string::npos) << m;
    EXPECT_NE(m.find("\"lr\""), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace omnisparse
