// Starts the workers of a data-parallel job on this machine and watches them
// (docs/DESIGN.md section 10): `omnisparse train --workers N` runs this program N times with
// torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), hosting the rendezvous store itself on node 0. When one worker fails or is
// killed, the others are stopped (SIGTERM, then SIGKILL after a grace period) and the result
// names the lost rank; a stop request (SIGTERM/SIGINT to the launcher) is passed on to every
// worker, which stop together after their current step.
//
//   LaunchSpec spec{.program = "/proc/self/exe", .args = {...}, .workers_per_node = 2};
//   LaunchResult r = launch_workers(spec, &stop_flag);
//   if (!r.ok()) throw DistError(r.message);
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace omnisparse {

struct LaunchSpec {
  std::string program;            // the worker program (an absolute path)
  std::vector<std::string> args;  // its arguments (argv[1..])
  int workers_per_node = 1;
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: any free port (one node only)
  // Extra environment for every worker (e.g. OMP_NUM_THREADS).
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds grace{std::chrono::seconds(10)};  // a worker failed: SIGTERM -> SIGKILL
  std::chrono::milliseconds stop_grace{std::chrono::minutes(2)};  // a stop request: the same
};

struct LaunchResult {
  int exit_code = 0;      // 0 when every worker finished cleanly
  int failed_rank = -1;   // the first worker that failed, or -1
  std::string message;    // one line: "worker rank 1 was killed by signal 9 (Killed)"
  int master_port = 0;    // the port the store listened on (node 0)
  bool ok() const { return exit_code == 0; }
};

// Blocks until every local worker has exited. Throws DistError when the store cannot listen
// (port in use) or a worker cannot be started.
LaunchResult launch_workers(const LaunchSpec& spec, const std::atomic<bool>* stop);

// The number of CPU cores this process may use (its affinity mask; at least 1).
int usable_cores();

}  // namespace omnisparse
