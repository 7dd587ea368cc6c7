#include "core/dist/world.h"

#include <torch/version.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/tensor/device.h"

namespace omnisparse {

namespace {

// The process-group class every backend derives from (LibTorch 2 split it into Backend).
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

int env_int(const char* name, int fallback, int min_value) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < min_value || x > 1 << 20)
    throw ConfigError(fmt::format("environment variable {}={}: expected an integer >= {}", name, v,
                                  min_value));
  return static_cast<int>(x);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Flattens same-dtype, same-device tensors into buckets of at most `cap` elements.
std::vector<std::vector<size_t>> buckets_of(const std::vector<at::Tensor>& ts, int64_t cap) {
  std::vector<std::vector<size_t>> out;
  int64_t filled = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const bool fits = !out.empty() && filled + ts[i].numel() <= cap &&
                      ts[out.back().front()].scalar_type() == ts[i].scalar_type() &&
                      ts[out.back().front()].device() == ts[i].device();
    if (!fits) {
      out.emplace_back();
      filled = 0;
    }
    out.back().push_back(i);
    filled += ts[i].numel();
  }
  return out;
}

class C10dWorld : public World {
 public:
  C10dWorld(const WorkerEnv& env, const c10::Device& device) : env_(env), device_(device) {
    store_ = connect_store();
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("omnisparse", store_);
    try {
      pg_ = make_backend(prefixed);
    } catch (const DistError&) {
      throw;
    } catch (const std::exception& e) {
      throw DistError(fmt::format("worker rank {}: could not form the {}-worker group with the "
                                  "others through {}:{}: {}",
                                  env_.rank, env_.world_size, env_.master_addr, env_.master_port,
                                  first_line(e.what())));
    }
    store_->setTimeout(env_.timeout);
  }

  int rank() const override { return env_.rank; }
  int size() const override { return env_.world_size; }
  std::string backend() const override { return device_.is_cuda() ? "nccl" : "gloo"; }

  void AllReduceSum(std::vector<at::Tensor>& tensors) override {
    for (const auto& idx : buckets_of(tensors, int64_t{1} << 24)) {
      std::vector<at::Tensor> parts;
      for (size_t i : idx) parts.push_back(tensors[i].reshape(-1));
      at::Tensor flat = on_device(parts.size() == 1 ? parts[0].clone() : at::cat(parts));
      std::vector<at::Tensor> io{flat};
      run("all-reduce", [&] { return pg_->allreduce(io, c10d::AllreduceOptions{}); });
      int64_t off = 0;
      for (size_t i : idx) {
        at::Tensor& t = tensors[i];
        t.copy_(io[0].narrow(0, off, t.numel()).view(t.sizes()));
        off += t.numel();
      }
    }
  }

  void AllReduceMax(at::Tensor& t) override {
    std::vector<at::Tensor> io{on_device(t.contiguous().clone())};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::MAX;
    run("all-reduce", [&] { return pg_->allreduce(io, o); });
    t.copy_(io[0]);
  }

  void Broadcast(std::vector<at::Tensor>& tensors, int root) override {
    for (auto& t : tensors) {
      std::vector<at::Tensor> io{on_device(t.contiguous().clone())};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      run("broadcast", [&] { return pg_->broadcast(io, o); });
      t.copy_(io[0]);
    }
  }

  void Barrier() override {
    run("barrier", [&] { return pg_->barrier(c10d::BarrierOptions{}); });
  }

  void CheckSame(const std::string& what, const std::string& value) override {
    const std::string key = fmt::format("check/{}/{}", check_seq_++, what);
    auto as_bytes = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
    store_->set(fmt::format("{}/{}", key, env_.rank), as_bytes(value));
    auto value_of = [&](int r) {
      std::vector<uint8_t> b;
      try {
        b = store_->get(fmt::format("{}/{}", key, r));
      } catch (const std::exception& e) {
        throw DistError(fmt::format("worker rank {}: lost contact with the rendezvous store while "
                                    "comparing the {}: {}",
                                    env_.rank, what, first_line(e.what())));
      }
      return std::string(b.begin(), b.end());
    };
    const std::string root = env_.rank == 0 ? value : value_of(0);
    at::Tensor bad = at::full({1}, value == root ? -1.0 : static_cast<double>(env_.rank), at::kDouble);
    AllReduceMax(bad);
    const int r = static_cast<int>(bad.item<double>());
    if (r < 0) return;
    const std::string theirs = r == env_.rank ? value : value_of(r);
    // The first line where rank r's value differs from rank 0's.
    std::istringstream a(root), b(theirs);
    std::string la, lb;
    while (true) {
      const bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
      if (!ga && !gb) break;
      if (!ga) la = "(nothing)";
      if (!gb) lb = "(nothing)";
      if (la != lb) break;
    }
    throw ConfigError(fmt::format("the {} of worker rank {} differs from rank 0's: '{}' there, '{}' "
                                  "on rank 0 (every worker must run the same command)",
                                  what, r, lb, la));
  }

 private:
  c10::intrusive_ptr<c10d::Store> connect_store() {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(env_.master_port);
    o.isServer = !env_.agent_store && env_.rank == 0;
    o.waitWorkers = false;
    o.timeout = env_.connect_timeout;
    try {
      return c10::make_intrusive<c10d::TCPStore>(env_.master_addr, o);
    } catch (const std::exception& e) {
      const std::string why = first_line(e.what());
      if (o.isServer)
        throw DistError(fmt::format("worker rank 0: cannot listen on port {} for the other workers "
                                    "({}); choose another with --master HOST:PORT or MASTER_PORT",
                                    env_.master_port, why));
      throw DistError(fmt::format("worker rank {}: cannot reach the master at {}:{} within {} s "
                                  "({}); is rank 0 running, and the address reachable?",
                                  env_.rank, env_.master_addr, env_.master_port,
                                  env_.connect_timeout.count() / 1000, why));
    }
  }

  c10::intrusive_ptr<Backend> make_backend(const c10::intrusive_ptr<c10d::Store>& store) {
    if (device_.is_cuda()) {
#ifdef USE_C10D_NCCL
      c10::cuda::set_device(device_.index());
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = env_.timeout;
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env_.rank, env_.world_size, o);
#else
      throw DistError("CUDA workers need NCCL, and this build of omnisparse has none (a CUDA "
                      "LibTorch and nccl.h at configure time)");
#endif
    }
#ifdef USE_C10D_GLOO
    auto o = c10d::ProcessGroupGloo::Options::create(env_.timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
      o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (is_loopback(env_.master_addr))
      o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env_.rank, env_.world_size, o);
#else
    throw DistError("CPU workers need Gloo, and this build of omnisparse has none (Gloo's headers, "
                    "Debian's libgloo-dev, at configure time)");
#endif
  }

  at::Tensor on_device(at::Tensor t) const { return t.device() == device_ ? t : t.to(device_); }

  template <typename F>
  void run(const char* op, F&& start) {
    try {
      auto work = start();
      work->wait();
    } catch (const std::exception& e) {
      throw DistError(fmt::format("worker rank {}: lost contact with another worker during {} "
                                  "({}); a worker stopped or its machine is unreachable",
                                  env_.rank, op, first_line(e.what())));
    }
  }

  WorkerEnv env_;
  c10::Device device_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Backend> pg_;
  int64_t check_seq_ = 0;
};

}  // namespace

WorkerEnv WorkerEnv::FromEnvironment() {
  WorkerEnv e;
  e.world_size = env_int("WORLD_SIZE", 1, 1);
  e.rank = env_int("RANK", 0, 0);
  e.local_rank = env_int("LOCAL_RANK", e.rank, 0);
  if (e.rank >= e.world_size)
    throw ConfigError(fmt::format("environment variable RANK={} is not below WORLD_SIZE={}", e.rank,
                                  e.world_size));
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", e.master_port, 1);
  if (e.master_port > 65535)
    throw ConfigError(fmt::format("environment variable MASTER_PORT={}: not a port", e.master_port));
  e.agent_store = env_int("OMNISPARSE_AGENT_STORE", 0, 0) != 0;
  if (const int s = env_int("OMNISPARSE_DIST_TIMEOUT_S", 0, 0); s > 0)
    e.timeout = std::chrono::seconds(s);
  return e;
}

std::string WorkerEnv::ToString() const {
  return fmt::format("rank {} of {} (local {}), master {}:{}", rank, world_size, local_rank,
                     master_addr, master_port);
}

std::pair<std::string, int> parse_host_port(const std::string& s, const std::string& what) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    throw ConfigError(fmt::format("{} '{}': expected HOST:PORT", what, s));
  const std::string port = s.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || p < 1 || p > 65535)
    throw ConfigError(fmt::format("{} '{}': the port must be 1-65535", what, s));
  return {s.substr(0, colon), static_cast<int>(p)};
}

std::unique_ptr<World> World::Single() { return std::make_unique<World>(); }

std::unique_ptr<World> World::Join(const WorkerEnv& env, const c10::Device& device,
                                   bool even_alone) {
  if (!env.distributed() && !even_alone) return Single();
  return std::make_unique<C10dWorld>(env, device);
}

std::vector<std::string> World::Backends() {
  std::vector<std::string> out;
#ifdef USE_C10D_GLOO
  out.push_back("gloo");
#endif
#ifdef USE_C10D_NCCL
  if (cuda_available()) out.push_back("nccl");
#endif
  return out;
}

at::Tensor weight_checksum(const std::vector<at::Tensor>& params) {
  at::Tensor c = at::zeros({2}, at::kDouble);
  for (const auto& p : params) {
    at::Tensor d = p.detach().to(at::kCPU, at::kDouble);
    c[0] += d.sum();
    c[1] += (d * d).sum();
  }
  return c;
}

void World::CheckInSync(const std::vector<at::Tensor>& params, int64_t step) {
  if (size() == 1) return;
  const at::Tensor mine = weight_checksum(params);
  // max over ranks of (c, -c) gives the largest and the smallest checksum in one all-reduce.
  at::Tensor both = at::cat({mine, -mine});
  AllReduceMax(both);
  const double hi0 = both[0].item<double>(), lo0 = -both[2].item<double>();
  const double hi1 = both[1].item<double>(), lo1 = -both[3].item<double>();
  auto differs = [](double hi, double lo) {
    return !(std::abs(hi - lo) <= 1e-9 * std::max(1.0, std::abs(hi)));
  };
  if (differs(hi0, lo0) || differs(hi1, lo1))
    throw DistError(fmt::format(
        "the workers' weights diverged at step {} (weight checksums differ across the {} ranks: "
        "sum {:.9g} to {:.9g}); stopped rather than train different models — resume from the "
        "last checkpoint",
        step, size(), lo0, hi0));
}

}  // namespace omnisparse
