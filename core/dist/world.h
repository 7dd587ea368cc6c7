// The workers of one data-parallel training job (docs/DESIGN.md section 10): this process's rank
// among them and the collectives the trainer needs, on PyTorch's own distributed runtime, c10d
// (a TCPStore for the rendezvous; ProcessGroupGloo for CPU workers, ProcessGroupNCCL for CUDA
// workers). A world of one does no communication at all.
//
//   WorkerEnv env = WorkerEnv::FromEnvironment();   // RANK, WORLD_SIZE, MASTER_ADDR, ...
//   auto world = World::Join(env, device);          // blocks until every rank has joined
//   world->AllReduceSum(grads);                     // in place, flat buckets
//   world->CheckSame("training config", cfg_json);  // one line naming the first difference
//
// Every failure is a DistError with one line: an unreachable master, a port in use, a lost
// peer ("lost contact with another worker ..."), diverged weights.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace omnisparse {

class DistError : public Error {
 public:
  using Error::Error;
};

// How this process joins its job. Filled from the torchrun-style environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT) and OMNISPARSE_AGENT_STORE=1 when a launcher (omnisparse
// train --workers) already hosts the rendezvous store; without those variables, a world of one.
struct WorkerEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // the store is hosted by the launcher, not by rank 0
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};    // one collective
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(60)};  // reaching the master

  static WorkerEnv FromEnvironment();  // throws ConfigError on a malformed variable
  bool distributed() const { return world_size > 1; }
  std::string ToString() const;  // "rank 1 of 2 (local 1), master 127.0.0.1:29500"
};

// "HOST:PORT" -> (host, port); throws ConfigError naming `what` on a malformed value.
std::pair<std::string, int> parse_host_port(const std::string& s, const std::string& what);

class World {
 public:
  virtual ~World() = default;

  // A world of one: every collective is the identity.
  static std::unique_ptr<World> Single();
  // Joins env's job: Gloo when `device` is a CPU, NCCL when it is a CUDA device. A world_size
  // of 1 gives Single() unless `even_alone` (a real process group of one, for checking the
  // backend). Throws DistError when this LibTorch lacks the backend.
  static std::unique_ptr<World> Join(const WorkerEnv& env, const c10::Device& device,
                                     bool even_alone = false);
  // Which backends this build can use: "gloo", "nccl".
  static std::vector<std::string> Backends();

  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  bool is_root() const { return rank() == 0; }
  virtual std::string backend() const { return "none"; }

  // Sums the tensors over all ranks, in place (flattened into buckets of the same dtype and
  // device, so a model's gradients take one or a few all-reduces).
  virtual void AllReduceSum(std::vector<at::Tensor>& tensors) { (void)tensors; }
  // Elementwise maximum over all ranks, in place (one small tensor).
  virtual void AllReduceMax(at::Tensor& t) { (void)t; }
  // Copies rank `root`'s tensors to every rank, in place.
  virtual void Broadcast(std::vector<at::Tensor>& tensors, int root = 0) {
    (void)tensors;
    (void)root;
  }
  virtual void Barrier() {}

  // Every rank's `value` must equal rank 0's; otherwise every rank throws a ConfigError naming
  // `what` and the first rank that differs (with the first differing line of the two values).
  virtual void CheckSame(const std::string& what, const std::string& value) {
    (void)what;
    (void)value;
  }

  // Compares a cheap checksum of `params` (sum and sum of squares in float64) across ranks;
  // throws DistError naming the step when any rank's differs from the others'.
  void CheckInSync(const std::vector<at::Tensor>& params, int64_t step);
};

// A cheap checksum of a set of tensors: [sum, sum of squares], float64 on the CPU.
at::Tensor weight_checksum(const std::vector<at::Tensor>& params);

}  // namespace omnisparse
