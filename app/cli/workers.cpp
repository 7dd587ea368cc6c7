#include "app/cli/workers.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "core/common/error.h"
#include "core/dist/world.h"
#include "core/tensor/device.h"

namespace omnisparse::cli {

std::string Layout::ToString() const {
  return fmt::format("{} worker{} x {} thread{} ({}){}", workers, workers == 1 ? "" : "s", threads,
                     threads == 1 ? "" : "s", why,
                     nnodes > 1 ? fmt::format(" on each of {} nodes", nnodes) : "");
}

Layout choose_layout(const std::string& workers_flag, const std::string& device,
                     const JobPlacement& placement) {
  if (placement.nnodes < 1 || placement.node_rank < 0 || placement.node_rank >= placement.nnodes)
    throw ConfigError(fmt::format("--nnodes {} --node-rank {}: the node rank must be 0..{}",
                                  placement.nnodes, placement.node_rank, placement.nnodes - 1));
  if (placement.nnodes > 1 && placement.master.empty())
    throw ConfigError("workers on several nodes need --master HOST:PORT of node 0");
  if (!placement.master.empty()) (void)parse_host_port(placement.master, "--master");
  Layout l;
  l.nnodes = placement.nnodes;
  const int cores = usable_cores();
  const bool cuda = device.rfind("cuda", 0) == 0 || (device == "auto" && cuda_available());
  std::string asked = workers_flag;
  if (asked == "auto")
    if (const char* e = std::getenv("OMNISPARSE_WORKERS"); e && *e) asked = e;
  const auto backends = World::Backends();
  const bool can_gloo = std::find(backends.begin(), backends.end(), "gloo") != backends.end();
  if (asked == "auto") {
    if (cuda) {
      l.workers = device == "cuda" || device == "auto"
                      ? std::max<int>(1, static_cast<int>(torch::cuda::device_count())) : 1;
      l.why = "one per GPU";
    } else if (!can_gloo) {
      l.workers = 1;
      l.why = "this build has no Gloo for CPU workers";
    } else {
      const int per = globals().threads_given() ? globals().threads : 1;
      l.workers = std::clamp(cores / per, 1, 8);
      l.why = fmt::format("one per core, at most 8; {} core{} here", cores, cores == 1 ? "" : "s");
    }
  } else {
    try {
      size_t used = 0;
      l.workers = std::stoi(asked, &used);
      if (used != asked.size() || l.workers < 1) throw std::invalid_argument(asked);
    } catch (const std::exception&) {
      throw ConfigError("--workers '" + asked + "': expected a positive number or auto");
    }
    l.why = workers_flag == "auto" ? "OMNISPARSE_WORKERS" : "--workers";
  }
  if (globals().threads_given()) l.threads = globals().threads;
  else if (cuda) l.threads = std::min(4, std::max(1, cores / l.workers));
  else l.threads = std::max(1, cores / l.workers);
  return l;
}

bool is_worker_process() { return std::getenv("WORLD_SIZE") != nullptr; }

namespace {

// The launcher's command line without its own options, with each worker's threads.
std::vector<std::string> worker_args(int threads) {
  const auto& argv = globals().argv;
  std::vector<std::string> out = {"--threads", std::to_string(threads)};
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& x = argv[i];
    bool dropped = false;
    for (const char* opt : {"--workers", "--nnodes", "--node-rank", "--master", "--threads"}) {
      const std::string o = opt;
      if (x == o) {
        ++i;  // and its value
        dropped = true;
      } else if (x.rfind(o + "=", 0) == 0) {
        dropped = true;
      }
      if (dropped) break;
    }
    if (!dropped) out.push_back(x);
  }
  return out;
}

}  // namespace

LaunchResult launch_self(const Layout& layout, const JobPlacement& placement,
                         const std::atomic<bool>* stop, const std::vector<std::string>* args) {
  LaunchSpec spec;
  spec.program = std::filesystem::read_symlink("/proc/self/exe").string();
  if (args) {
    spec.args = {"--threads", std::to_string(layout.threads)};
    spec.args.insert(spec.args.end(), args->begin(), args->end());
  } else {
    spec.args = worker_args(layout.threads);
  }
  spec.workers_per_node = layout.workers;
  spec.nnodes = placement.nnodes;
  spec.node_rank = placement.node_rank;
  if (!placement.master.empty())
    std::tie(spec.master_addr, spec.master_port) = parse_host_port(placement.master, "--master");
  spec.env = {{"OMP_NUM_THREADS", std::to_string(layout.threads)}};
  return launch_workers(spec, stop);
}

}  // namespace omnisparse::cli
