// What the sparsity engine needs to know about a prunable layer without its weights: name,
// group and shape. Configs, the sampler and the accounting work on these, so that an evaluator
// or the GUI can reason about sub-networks of a model it has not loaded (e.g. from results.h5).
//   auto specs = specs_of(model.prunable_layers());
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/prunable.h"

namespace omnisparse {

struct LayerSpec {
  std::string name;   // "encoder.lstm0.w_ih"
  std::string group;  // "encoder" | "predictor" | "joiner"
  int64_t rows = 0;   // out
  int64_t cols = 0;   // in
  int64_t numel() const { return rows * cols; }
};

using LayerSpecs = std::vector<LayerSpec>;

inline LayerSpecs specs_of(const PrunableLayers& layers) {
  LayerSpecs specs;
  specs.reserve(layers.size());
  for (const auto& l : layers) specs.push_back({l.name, l.group, l.rows(), l.cols()});
  return specs;
}

inline std::vector<std::string> names_of(const LayerSpecs& specs) {
  std::vector<std::string> names;
  names.reserve(specs.size());
  for (const auto& s : specs) names.push_back(s.name);
  return names;
}

}  // namespace omnisparse
