// Test helpers for the sparsity tests: random prunable layers built from plain tensors.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/prunable.h"

namespace omnisparse::test {

inline PrunableLayer make_layer(const std::string& name, const std::string& group, int64_t rows,
                                int64_t cols, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return {name, group, at::randn({rows, cols}, gen), std::make_shared<torch::Tensor>()};
}

// A small model-shaped set: two encoder matrices, one predictor, one joiner (odd shapes).
inline PrunableLayers make_layers(uint64_t seed = 1) {
  return {make_layer("encoder.lstm0.w_ih", "encoder", 32, 20, seed),
          make_layer("encoder.lstm0.w_hh", "encoder", 32, 8, seed + 1),
          make_layer("predictor.lstm0.w_ih", "predictor", 16, 13, seed + 2),
          make_layer("joiner.out", "joiner", 11, 9, seed + 3)};
}

}  // namespace omnisparse::test
