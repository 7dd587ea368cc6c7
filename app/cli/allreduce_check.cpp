// omnisparse allreduce-check: the workers' collective alone (docs/DESIGN.md section 10). N
// workers (Gloo on CPU, NCCL on CUDA) sum a buffer the size of a model's gradients many times;
// rank 0 checks the sums and prints the time per all-reduce. What scripts/gpu-check.sh and the
// data-parallel benchmark measure.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "app/cli/workers.h"
#include "core/common/error.h"
#include "core/dist/world.h"
#include "core/tensor/device.h"

namespace omnisparse::cli {

namespace {

struct CheckArgs {
  std::string workers = "auto", device = "cpu", master;
  int nnodes = 1, node_rank = 0;
  double mb = 7.25;  // the tiny preset's gradients in float32
  int iters = 50;
};

std::atomic<bool> g_check_stop{false};
extern "C" void on_check_signal(int) { g_check_stop = true; }

void run_worker(const CheckArgs& a) {
  const WorkerEnv env = WorkerEnv::FromEnvironment();
  std::string spec = a.device;
  if (spec.rfind("cuda", 0) == 0) spec = "cuda:" + std::to_string(env.local_rank);
  const torch::Device device = resolve_device(spec);
  configure_threads(globals().threads);
  auto world = World::Join(env, device, /*even_alone=*/true);
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(a.mb * 1e6 / 4));
  at::Tensor buf = at::empty({n}, at::TensorOptions().dtype(at::kFloat).device(device));
  const double expect = world->size() * (world->size() + 1) / 2.0;
  std::vector<at::Tensor> io{buf};
  double worst = 0;
  double seconds = 0;
  for (int i = -3; i < a.iters; ++i) {  // three warm-up rounds
    io[0].fill_(static_cast<float>(world->rank() + 1));
    world->Barrier();
    const auto t0 = std::chrono::steady_clock::now();
    world->AllReduceSum(io);
    if (device.is_cuda()) (void)io[0][0].item<float>();  // wait for the device
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= 0) seconds += dt;
    worst = std::max(worst, (io[0] - expect).abs().max().item<double>());
  }
  if (!world->is_root()) return;
  const double ms = 1e3 * seconds / a.iters;
  const double gbps = n * 4.0 / (seconds / a.iters) / 1e9;
  const bool ok = worst == 0;
  if (globals().json) {
    std::cout << nlohmann::json{{"backend", world->backend()}, {"workers", world->size()},
                                {"device", device.str()}, {"bytes", n * 4}, {"iters", a.iters},
                                {"ms_per_allreduce", ms}, {"gb_per_s", gbps}, {"correct", ok}}
                     .dump()
              << "\n";
  } else {
    std::printf("allreduce-check: %s, %d worker%s on %s, %.2f MB float32 x %d: %.3f ms per "
                "all-reduce (%.2f GB/s); sums %s\n",
                world->backend().c_str(), world->size(), world->size() == 1 ? "" : "s",
                device.str().c_str(), n * 4 / 1e6, a.iters, ms, gbps,
                ok ? "correct" : fmt::format("WRONG (off by {})", worst).c_str());
  }
  if (!ok) throw DistError("allreduce-check: the all-reduced sums are wrong");
}

void run_check(const CheckArgs& a) {
  if (a.iters < 1 || a.mb <= 0) throw ConfigError("allreduce-check: --iters and --mb must be positive");
  if (is_worker_process()) return run_worker(a);
  const JobPlacement where{a.nnodes, a.node_rank, a.master};
  const Layout layout = choose_layout(a.workers, a.device, where);
  if (!globals().json) std::fprintf(stderr, "allreduce-check: %s\n", layout.ToString().c_str());
  std::signal(SIGTERM, on_check_signal);
  std::signal(SIGINT, on_check_signal);
  LaunchResult r = launch_self(layout, where, &g_check_stop);
  if (!r.ok()) throw DistError(r.message + "; the other workers were stopped");
}

}  // namespace

static void allreduce_check_command(CLI::App& root) {
  auto a = std::make_shared<CheckArgs>();
  CLI::App* c = root.add_subcommand(
      "allreduce-check", "Time and verify the workers' all-reduce (Gloo on CPU, NCCL on CUDA)");
  c->add_option("--workers", a->workers, "Worker processes on this machine: N or auto");
  c->add_option("--device", a->device, "cpu | cuda (one GPU per worker)");
  c->add_option("--mb", a->mb, "Megabytes summed per all-reduce (default: the tiny preset's gradients)");
  c->add_option("--iters", a->iters, "Timed all-reduces (after 3 warm-up ones)");
  c->add_option("--nnodes", a->nnodes, "Machines in the job");
  c->add_option("--node-rank", a->node_rank, "This machine's index, 0..nnodes-1");
  c->add_option("--master", a->master, "HOST:PORT of node 0's rendezvous store");
  c->callback([a] { run_check(*a); });
}
OMNISPARSE_COMMAND(95, allreduce_check_command);

}  // namespace omnisparse::cli
