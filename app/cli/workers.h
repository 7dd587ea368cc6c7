// How a CLI job spreads over worker processes (docs/DESIGN.md section 10): the layout (workers
// x threads) chosen from the flags, $OMNISPARSE_WORKERS and the machine, and the launcher that
// re-runs this command line once per worker with torchrun's variables.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/dist/launcher.h"

namespace omnisparse::cli {

struct JobPlacement {
  int nnodes = 1;
  int node_rank = 0;
  std::string master;  // "HOST:PORT" or empty (a free local port)
};

struct Layout {
  int workers = 1;  // per node
  int threads = 1;  // per worker
  int nnodes = 1;
  std::string why;  // how it was chosen
  std::string ToString() const;  // "2 workers x 1 thread (one per core, at most 8; 2 cores here)"
};

// `workers_flag`: "auto" or N. Measured on a 2-core machine (experiments/data_parallel): two
// one-thread workers train the tiny transducer at 1.57x the samples/s of one, one worker with two
// threads at 1.00x; so on a CPU, one worker per core (at most 8, the cores left over as
// threads), one per GPU on CUDA.
// Throws ConfigError on a bad count or placement.
Layout choose_layout(const std::string& workers_flag, const std::string& device,
                     const JobPlacement& placement);

// Whether this process is a worker started by a launcher (WORLD_SIZE is set).
bool is_worker_process();

// Runs this program once per worker of `layout` and waits for them all: with `args` (after the
// global --threads), else this command line without the launcher's own options (--workers,
// --nnodes, --node-rank, --master, --threads).
LaunchResult launch_self(const Layout& layout, const JobPlacement& placement,
                         const std::atomic<bool>* stop,
                         const std::vector<std::string>* args = nullptr);

}  // namespace omnisparse::cli
