#include "core/sparsity/rank_set.h"

#include <ATen/ATen.h>

#include <map>

#include "core/common/error.h"

namespace omnisparse {

namespace {

std::string shape_str(int64_t rows, int64_t cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

// The shape compute_ranks gives a weight of [rows, cols].
std::vector<int64_t> ranks_shape(const Granularity& g, int64_t rows, int64_t cols) {
  if (g.kind == Granularity::Kind::kBlock) {
    return {(rows + g.block_rows - 1) / g.block_rows, (cols + g.block_cols - 1) / g.block_cols};
  }
  return {rows, cols};
}

}  // namespace

RankSet::RankSet(Granularity granularity) : granularity_(granularity) { granularity_.Validate(); }

const LayerRanks& RankSet::at(const std::string& name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return ranks_[i];
  }
  throw InvalidArgument("ranks: no prunable layer '" + name + "'");
}

void RankSet::refresh(const PrunableLayers& layers) {
  if (frozen_) throw InvalidArgument("ranks are frozen (training has ended); cannot refresh");
  std::vector<LayerRanks> fresh;
  fresh.reserve(layers.size());
  for (const auto& l : layers) fresh.push_back(compute_ranks(l.weight, granularity_));
  ranks_ = std::move(fresh);
  specs_ = specs_of(layers);
}

void RankSet::apply(const PrunableLayers& layers, const SubnetConfig& config) const {
  if (layers.size() != ranks_.size() || config.size() != ranks_.size()) {
    throw InvalidArgument("ranks cover " + std::to_string(ranks_.size()) + " layers, the model has " +
                          std::to_string(layers.size()) + " and the config " +
                          std::to_string(config.size()));
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& spec = specs_[i];
    if (layers[i].name != spec.name || config.names[i] != spec.name) {
      throw InvalidArgument("ranks: layer " + std::to_string(i) + " is '" + spec.name +
                            "' but the model has '" + layers[i].name + "' and the config '" +
                            config.names[i] + "'");
    }
    if (layers[i].rows() != spec.rows || layers[i].cols() != spec.cols) {
      throw InvalidArgument("ranks: layer '" + spec.name + "' is " +
                            shape_str(layers[i].rows(), layers[i].cols()) +
                            " but its ranks are for " + shape_str(spec.rows, spec.cols));
    }
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const double s = config.levels[i];
    // A bool mask becomes the weight's dtype and device; it is a constant, never a leaf
    // that gradients flow into.
    *layers[i].mask =
        s == 0.0 ? torch::Tensor() : mask_at(ranks_[i], s).to(layers[i].weight.options());
  }
}

NamedTensors RankSet::tensors() const {
  NamedTensors out;
  out.reserve(ranks_.size());
  for (size_t i = 0; i < ranks_.size(); ++i) {
    out.emplace_back(specs_[i].name, ranks_[i].ranks.cpu().contiguous());
  }
  return out;
}

nlohmann::json RankSet::meta() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : specs_) {
    layers.push_back({{"name", s.name}, {"group", s.group}, {"rows", s.rows}, {"cols", s.cols}});
  }
  return {{"granularity", granularity_.ToString()}, {"frozen", frozen_}, {"layers", layers}};
}

RankSet RankSet::Restore(const nlohmann::json& meta, const NamedTensors& tensors) {
  try {
    RankSet set(meta.at("granularity").get<Granularity>());
    set.frozen_ = meta.at("frozen").get<bool>();
    std::map<std::string, torch::Tensor> by_name;
    for (const auto& [name, t] : tensors) by_name[name] = t;
    for (const auto& l : meta.at("layers")) {
      LayerSpec spec{l.at("name").get<std::string>(), l.at("group").get<std::string>(),
                     l.at("rows").get<int64_t>(), l.at("cols").get<int64_t>()};
      auto it = by_name.find(spec.name);
      if (it == by_name.end()) throw InvalidArgument("ranks: no tensor for layer '" + spec.name + "'");
      const auto want = ranks_shape(set.granularity_, spec.rows, spec.cols);
      if (it->second.sizes().vec() != want) {
        throw InvalidArgument("ranks: tensor for layer '" + spec.name + "' has the wrong shape for a " +
                              shape_str(spec.rows, spec.cols) + " " + set.granularity_.ToString() +
                              " layer");
      }
      LayerRanks r{set.granularity_, spec.rows, spec.cols, it->second.to(at::kInt).contiguous()};
      set.ranks_.push_back(std::move(r));
      set.specs_.push_back(std::move(spec));
      by_name.erase(it);
    }
    if (!by_name.empty()) {
      throw InvalidArgument("ranks: tensor '" + by_name.begin()->first + "' names no layer");
    }
    return set;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("ranks: malformed metadata: ") + e.what());
  }
}

double mask_overlap(const RankSet& before, const RankSet& after, double level) {
  if (before.size() != after.size())
    throw InvalidArgument("mask overlap: the rank sets have different layers");
  int64_t kept = 0, shared = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const LayerRanks& a = before.at(i);
    const LayerRanks& b = after.at(i);
    if (a.rows != b.rows || a.cols != b.cols)
      throw InvalidArgument("mask overlap: layer " + after.specs().at(i).name +
                            " has another shape in the earlier ranks");
    torch::Tensor mb = mask_at(b, level);
    kept += mb.sum().item<int64_t>();
    shared += mb.logical_and(mask_at(a, level)).sum().item<int64_t>();
  }
  return kept > 0 ? static_cast<double>(shared) / static_cast<double>(kept) : 1.0;
}

}  // namespace omnisparse
