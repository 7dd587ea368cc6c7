// The contract between the model and the sparsity engine.
//
// Every prunable 2-D weight matrix of the model (LSTM input-to-gate and hidden-to-gate
// matrices per layer, projections, joiner) lives in a masked layer. The layer owns its weight
// parameter and a mask slot; when the slot holds a tensor, the forward pass uses
// `weight * mask`, otherwise `weight` alone (no extra cost when dense).
//
// Model::prunable_layers() returns one PrunableLayer per such matrix, in a stable order with
// stable names. The sparsity engine ranks `weight` and writes masks through `mask`; the GUI
// lists names and shapes.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace omnisparse {

struct PrunableLayer {
  std::string name;   // stable, dotted: "encoder.lstm0.w_ih", "joiner.out"
  std::string group;  // "encoder", "predictor" or "joiner" (for per-group sub-network configs)
  torch::Tensor weight;                 // [out, in], aliases the model's parameter
  std::shared_ptr<torch::Tensor> mask;  // shared with the layer; undefined tensor = dense

  int64_t rows() const { return weight.size(0); }
  int64_t cols() const { return weight.size(1); }
  int64_t numel() const { return weight.numel(); }
};

using PrunableLayers = std::vector<PrunableLayer>;

// Removes every mask (the dense supernet).
inline void clear_masks(const PrunableLayers& layers) {
  for (const auto& l : layers) *l.mask = torch::Tensor();
}

}  // namespace omnisparse
