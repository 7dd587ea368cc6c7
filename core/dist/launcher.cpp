#include "core/dist/launcher.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "core/dist/world.h"

extern char** environ;

namespace omnisparse {

namespace {

// This process's environment with `overrides` set, as the strings execve takes.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos && overrides.count(kv.substr(0, eq))) continue;
    out.push_back(kv);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args,
            const std::vector<std::string>& env) {
  std::vector<char*> argv, envp;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw DistError(fmt::format("cannot start a worker: fork failed ({})", std::strerror(errno)));
  if (pid == 0) {
    // A worker outlives no launcher: if it is killed, the worker is asked to stop.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    execve(program.c_str(), argv.data(), envp.data());
    std::fprintf(stderr, "cannot start worker %s: %s\n", program.c_str(), std::strerror(errno));
    _exit(127);
  }
  return pid;
}

std::string describe_exit(int rank, int status) {
  if (WIFSIGNALED(status))
    return fmt::format("worker rank {} was killed by signal {} ({})", rank, WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  return fmt::format("worker rank {} exited with status {}", rank, WEXITSTATUS(status));
}

int exit_code_of(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

LaunchResult launch_workers(const LaunchSpec& spec, const std::atomic<bool>* stop) {
  if (spec.workers_per_node < 1 || spec.nnodes < 1 || spec.node_rank < 0 ||
      spec.node_rank >= spec.nnodes)
    throw ConfigError(fmt::format("workers: {} per node on {} node(s), this node {}: impossible",
                                  spec.workers_per_node, spec.nnodes, spec.node_rank));
  if (spec.nnodes > 1 && spec.master_port == 0)
    throw ConfigError("workers on several nodes need --master HOST:PORT (or MASTER_ADDR/MASTER_PORT)");
  LaunchResult result;
  // Node 0 hosts the rendezvous store for the whole job, for as long as the workers run.
  c10::intrusive_ptr<c10d::TCPStore> store;
  int port = spec.master_port;
  if (spec.node_rank == 0) {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(spec.master_port);
    o.isServer = true;
    o.waitWorkers = false;
    try {
      store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", o);  // listens on every interface
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      throw DistError(fmt::format("cannot listen on port {} for the workers ({}); choose another "
                                  "with --master HOST:PORT",
                                  spec.master_port, why));
    }
    port = store->getPort();
  }
  result.master_port = port;

  const int world = spec.workers_per_node * spec.nnodes;
  std::vector<pid_t> pids;
  std::vector<int> ranks;
  for (int local = 0; local < spec.workers_per_node; ++local) {
    const int rank = spec.node_rank * spec.workers_per_node + local;
    std::map<std::string, std::string> env = {
        {"RANK", std::to_string(rank)},
        {"WORLD_SIZE", std::to_string(world)},
        {"LOCAL_RANK", std::to_string(local)},
        {"LOCAL_WORLD_SIZE", std::to_string(spec.workers_per_node)},
        {"MASTER_ADDR", spec.master_addr},
        {"MASTER_PORT", std::to_string(port)},
        {"OMNISPARSE_AGENT_STORE", "1"}};
    for (const auto& [k, v] : spec.env) env[k] = v;
    pids.push_back(spawn(spec.program, spec.args, environment_with(env)));
    ranks.push_back(rank);
  }

  std::vector<bool> alive(pids.size(), true);
  size_t running = pids.size();
  bool stop_forwarded = false;
  std::chrono::steady_clock::time_point kill_at{};
  auto signal_all = [&](int sig) {
    for (size_t i = 0; i < pids.size(); ++i)
      if (alive[i]) kill(pids[i], sig);
  };
  while (running > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (!alive[i]) continue;
      int status = 0;
      const pid_t r = waitpid(pids[i], &status, WNOHANG);
      if (r == 0) continue;
      alive[i] = false;
      --running;
      const bool clean = r == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!clean && result.failed_rank < 0) {
        result.failed_rank = ranks[i];
        result.exit_code = r == pids[i] ? exit_code_of(status) : 1;
        result.message = r == pids[i] ? describe_exit(ranks[i], status)
                                       : fmt::format("worker rank {} was lost", ranks[i]);
        // Without it the others cannot go on: stop them, then make sure.
        signal_all(SIGTERM);
        kill_at = std::chrono::steady_clock::now() + spec.grace;
      }
    }
    if (stop && stop->load() && !stop_forwarded) {
      signal_all(SIGTERM);
      stop_forwarded = true;
      // They stop together after their current step and rank 0 saves; a worker that hangs
      // (a peer lost mid-collective) is not left behind.
      if (kill_at == std::chrono::steady_clock::time_point{})
        kill_at = std::chrono::steady_clock::now() + std::max(spec.grace, spec.stop_grace);
    }
    if (kill_at != std::chrono::steady_clock::time_point{} && std::chrono::steady_clock::now() > kill_at)
      signal_all(SIGKILL);
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace omnisparse
