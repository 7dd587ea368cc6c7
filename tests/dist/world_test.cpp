// The workers' collectives on real c10d process groups (Gloo over loopback TCP): two ranks as
// two threads of this process, each with its own store client and process group, exactly as
// two worker processes would hold them.
#include <gtest/gtest.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <functional>
#include <future>
#include <thread>

#include "core/dist/launcher.h"
#include "core/dist/world.h"

namespace omnisparse {
namespace {

// A rendezvous store on a free port, hosted like `train --workers` hosts it.
struct Store {
  c10::intrusive_ptr<c10d::TCPStore> store;
  int port = 0;
  Store() {
    c10d::TCPStoreOptions o;
    o.port = 0;
    o.isServer = true;
    o.waitWorkers = false;
    store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", o);
    port = store->getPort();
  }
};

WorkerEnv env_of(int rank, int size, int port) {
  WorkerEnv e;
  e.rank = rank;
  e.local_rank = rank;
  e.world_size = size;
  e.master_port = port;
  e.agent_store = true;
  e.timeout = std::chrono::seconds(20);
  e.connect_timeout = std::chrono::seconds(10);
  return e;
}

// Runs body(world) on `size` ranks at once; returns each rank's exception message ("" if none).
std::vector<std::string> on_ranks(int size, const std::function<void(World&)>& body) {
  Store s;
  std::vector<std::future<std::string>> f;
  for (int r = 0; r < size; ++r) {
    f.push_back(std::async(std::launch::async, [&, r] {
      try {
        auto w = World::Join(env_of(r, size, s.port), c10::Device(c10::kCPU));
        body(*w);
        return std::string();
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
    }));
  }
  std::vector<std::string> errors;
  for (auto& x : f) errors.push_back(x.get());
  return errors;
}

TEST(World, ASingleWorldIsTheIdentity) {
  auto w = World::Single();
  EXPECT_EQ(w->size(), 1);
  EXPECT_TRUE(w->is_root());
  std::vector<at::Tensor> t{at::ones({3})};
  w->AllReduceSum(t);
  EXPECT_TRUE(at::equal(t[0], at::ones({3})));
  EXPECT_NO_THROW(w->CheckSame("config", "x"));
  EXPECT_NO_THROW(w->CheckInSync({at::ones({2})}, 1));
}

TEST(World, AllReduceSumsAcrossRanksInFlatBuckets) {
  std::vector<at::Tensor> results[2];
  auto errors = on_ranks(2, [&](World& w) {
    EXPECT_EQ(w.backend(), "gloo");
    const double r = w.rank() + 1;  // 1 and 2
    std::vector<at::Tensor> t{at::full({2, 3}, r), at::full({5}, 10 * r), at::full({1}, -r, at::kDouble)};
    w.AllReduceSum(t);
    results[w.rank()] = t;
  });
  for (const auto& e : errors) ASSERT_EQ(e, "");
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(at::allclose(results[r][0], at::full({2, 3}, 3.0)));
    EXPECT_TRUE(at::allclose(results[r][1], at::full({5}, 30.0)));
    EXPECT_TRUE(at::allclose(results[r][2], at::full({1}, -3.0, at::kDouble)));
    EXPECT_EQ(results[r][0].sizes(), (std::vector<int64_t>{2, 3}));
  }
}

TEST(World, MaxAndBroadcast) {
  at::Tensor mx[2], bc[2];
  auto errors = on_ranks(2, [&](World& w) {
    at::Tensor m = at::tensor({w.rank() == 0 ? 5.0 : 1.0, w.rank() == 0 ? -1.0 : 7.0});
    w.AllReduceMax(m);
    mx[w.rank()] = m;
    std::vector<at::Tensor> b{at::full({4}, static_cast<double>(w.rank() + 42))};
    w.Broadcast(b, 0);
    bc[w.rank()] = b[0];
  });
  for (const auto& e : errors) ASSERT_EQ(e, "");
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(at::equal(mx[r], at::tensor({5.0, 7.0})));
    EXPECT_TRUE(at::equal(bc[r], at::full({4}, 42.0)));
  }
}

TEST(World, TheChecksumCatchesADesynchronisedRank) {
  auto in_sync = on_ranks(2, [&](World& w) {
    w.CheckInSync({at::linspace(0, 1, 100), at::ones({3, 3})}, 50);
  });
  for (const auto& e : in_sync) EXPECT_EQ(e, "");
  auto errors = on_ranks(2, [&](World& w) {
    at::Tensor p = at::linspace(0, 1, 100);
    if (w.rank() == 1) p[17] += 1e-4;  // one weight off by a little on one rank
    w.CheckInSync({p, at::ones({3, 3})}, 50);
  });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("weights diverged at step 50"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(World, CheckSameNamesTheRankAndTheFirstDifference) {
  auto same = on_ranks(2, [&](World& w) { w.CheckSame("training config", "lr 0.001\nsteps 10"); });
  for (const auto& e : same) EXPECT_EQ(e, "");
  auto errors = on_ranks(2, [&](World& w) {
    w.CheckSame("training config", w.rank() == 0 ? "lr 0.001\nsteps 10" : "lr 0.001\nsteps 20");
  });
  for (const auto& e : errors)
    EXPECT_EQ(e, "the training config of worker rank 1 differs from rank 0's: 'steps 20' there, "
                 "'steps 10' on rank 0 (every worker must run the same command)");
}

TEST(World, AnUnreachableMasterIsOneLine) {
  // A port nobody listens on (the store's, after it is gone).
  int port = 0;
  { port = Store().port; }
  WorkerEnv e = env_of(1, 2, port);
  e.connect_timeout = std::chrono::seconds(2);
  try {
    World::Join(e, c10::Device(c10::kCPU));
    FAIL() << "joined a world with no master";
  } catch (const DistError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("cannot reach the master at 127.0.0.1:" + std::to_string(port)), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(World, APortInUseIsOneLine) {
  Store busy;
  WorkerEnv e = env_of(0, 2, busy.port);
  e.agent_store = false;  // rank 0 hosts: the port is taken
  try {
    World::Join(e, c10::Device(c10::kCPU));
    FAIL() << "listened on a busy port";
  } catch (const DistError& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find("cannot listen on port " + std::to_string(busy.port)), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(World, EnvironmentVariablesAreParsedAndCheckedLikeTorchrun) {
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "4", 1);
  setenv("LOCAL_RANK", "1", 1);
  setenv("MASTER_ADDR", "10.0.0.5", 1);
  setenv("MASTER_PORT", "29611", 1);
  WorkerEnv e = WorkerEnv::FromEnvironment();
  EXPECT_EQ(e.ToString(), "rank 1 of 4 (local 1), master 10.0.0.5:29611");
  EXPECT_TRUE(e.distributed());
  setenv("RANK", "4", 1);
  EXPECT_THROW(WorkerEnv::FromEnvironment(), ConfigError);
  setenv("RANK", "x", 1);
  EXPECT_THROW(WorkerEnv::FromEnvironment(), ConfigError);
  for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(v);
  EXPECT_FALSE(WorkerEnv::FromEnvironment().distributed());
  EXPECT_EQ(parse_host_port("node0:29500", "--master"), (std::pair<std::string, int>{"node0", 29500}));
  EXPECT_THROW(parse_host_port("node0", "--master"), ConfigError);
  EXPECT_THROW(parse_host_port("node0:70000", "--master"), ConfigError);
}

TEST(Launcher, UsableCoresIsAtLeastOne) { EXPECT_GE(usable_cores(), 1); }

}  // namespace
}  // namespace omnisparse
