#include "core/io/checkpoint.h"

#include <sstream>
#include <type_traits>
#include <unordered_map>

#include "core/common/error.h"

namespace omnisparse {

namespace {
constexpr const char* kState = "omnisparse.train_state";
constexpr const char* kConfig = "omnisparse.train_config";
constexpr const char* kRanksMeta = "omnisparse.ranks_meta";
constexpr const char* kFormat = "omnisparse.format";
constexpr const char* kFormatValue = "omnisparse-checkpoint-1";

// torch::optim keys a parameter's state by its TensorImpl: the address as a string in LibTorch 1.x
// (c10::guts::to_string, gone in 2.11), the pointer itself in 2.11. The key type decides.
using AdamStateKey =
    std::remove_cvref_t<decltype(std::declval<torch::optim::Adam&>().state())>::key_type;

template <class Key = AdamStateKey>
Key param_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // exactly what c10::guts::to_string(TensorImpl*) did
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}
}  // namespace

std::filesystem::path save_checkpoint(CheckpointStore store, int64_t step, const Checkpoint& c) {
  NamedTensors all;
  all.reserve(c.weights.size() + c.optimizer.size() + c.ranks.size());
  all.insert(all.end(), c.weights.begin(), c.weights.end());
  all.insert(all.end(), c.optimizer.begin(), c.optimizer.end());
  // Ranks are stored as "ranks.<layer>": the loader sorts tensors by that prefix.
  for (const auto& [name, t] : c.ranks) all.emplace_back("ranks." + name, t);
  std::map<std::string, std::string> meta = c.model_meta;
  meta[kFormat] = kFormatValue;
  meta[kState] = c.state.dump();
  meta[kConfig] = c.config.dump();
  meta[kRanksMeta] = c.ranks_meta.dump();
  return store.save(step, all, meta).path;
}

std::optional<std::pair<std::filesystem::path, Checkpoint>> load_latest_checkpoint(const RunDir& run) {
  auto loaded = run.checkpoints().load_latest();
  if (!loaded) return std::nullopt;
  return std::make_pair(loaded->ref.path, checkpoint_from_file(loaded->file));
}

Checkpoint checkpoint_from_file(const SafetensorsFile& f) {
  const std::filesystem::path& path = f.path;
  auto meta = [&](const char* key) -> nlohmann::json {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end()) throw FormatError(path, std::string("not an omnisparse checkpoint (no ") + key + ")");
    try {
      return nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(path, std::string(key) + " is not valid JSON: " + e.what());
    }
  };
  auto fmt = f.metadata.find(kFormat);
  if (fmt == f.metadata.end() || fmt->second != kFormatValue)
    throw FormatError(path, "not an omnisparse checkpoint (format tag missing or unknown)");
  Checkpoint c;
  c.state = meta(kState);
  c.config = meta(kConfig);
  c.ranks_meta = meta(kRanksMeta);
  for (auto& [k, v] : f.metadata)
    if (k != kState && k != kConfig && k != kRanksMeta && k != kFormat) c.model_meta[k] = v;
  for (auto& [name, t] : f.tensors) {
    if (name.rfind("model.", 0) == 0) c.weights.emplace_back(name, t);
    else if (name.rfind("optim.", 0) == 0) c.optimizer.emplace_back(name, t);
    else if (name.rfind("ranks.", 0) == 0) c.ranks.emplace_back(name.substr(6), t);
    else throw FormatError(path, "unexpected tensor '" + name + "'");
  }
  return c;
}

NamedTensors adam_state_tensors(torch::optim::Adam& adam,
                                const std::vector<std::pair<std::string, at::Tensor>>& params,
                                std::map<std::string, int64_t>* steps_out) {
  NamedTensors out;
  auto& state = adam.state();
  if (steps_out) steps_out->clear();
  for (const auto& [name, p] : params) {
    auto it = state.find(param_key(p));
    if (it == state.end()) continue;  // no step taken yet
    auto& s = static_cast<torch::optim::AdamParamState&>(*it->second);
    if (steps_out) (*steps_out)[name] = s.step();
    out.emplace_back("optim." + name + ".exp_avg", s.exp_avg().detach().to(at::kCPU).contiguous());
    out.emplace_back("optim." + name + ".exp_avg_sq",
                     s.exp_avg_sq().detach().to(at::kCPU).contiguous());
  }
  return out;
}

void restore_adam_state(torch::optim::Adam& adam,
                        const std::vector<std::pair<std::string, at::Tensor>>& params,
                        const NamedTensors& tensors, int64_t step,
                        const std::map<std::string, int64_t>& steps,
                        const std::filesystem::path& source) {
  if (tensors.empty()) return;
  std::unordered_map<std::string, const at::Tensor*> by_name;
  for (const auto& [n, t] : tensors) by_name[n] = &t;
  auto& state = adam.state();
  for (const auto& [name, p] : params) {
    int64_t param_step = step;
    if (!steps.empty()) {
      auto st = steps.find(name);
      if (st == steps.end()) {
        if (by_name.count("optim." + name + ".exp_avg"))
          throw FormatError(source, "optimizer state for '" + name + "' has no step count");
        continue;  // no Adam step taken for it yet
      }
      param_step = st->second;
    }
    auto a = by_name.find("optim." + name + ".exp_avg");
    auto b = by_name.find("optim." + name + ".exp_avg_sq");
    if (a == by_name.end() || b == by_name.end())
      throw FormatError(source, "optimizer state for '" + name + "' is missing");
    if (a->second->sizes() != p.sizes() || b->second->sizes() != p.sizes())
      throw FormatError(source, "optimizer state for '" + name + "' has the wrong shape");
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(param_step);
    s->exp_avg(a->second->to(p.device()).clone());
    s->exp_avg_sq(b->second->to(p.device()).clone());
    state[param_key(p)] = std::move(s);
  }
}

}  // namespace omnisparse
