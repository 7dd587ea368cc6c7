// The ranks of every prunable layer of a model, and the one place that writes masks into the
// layers' mask slots.
//
//   RankSet ranks(Granularity::Unstructured());
//   ranks.refresh(layers);            // from the current weights (every K steps in training)
//   ranks.apply(layers, config);      // masks for a sub-network into *layer.mask
//   RankSet::clear(layers);           // the dense supernet again
//   ranks.freeze();                   // end of training: refresh() now throws
//
// A layer at level 0 gets an undefined mask (dense, no extra cost in the forward pass); other
// levels get a mask of the weight's dtype and device, 1 = kept.
//
// Saving (checkpoint, results.h5) is format-agnostic: tensors() gives (name, int32 CPU ranks)
// pairs and meta() the granularity, frozen flag and layer shapes; Restore() takes both back.
// Not thread-safe: one RankSet per training or evaluation loop.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "core/model/prunable.h"
#include "core/sparsity/layer_spec.h"
#include "core/sparsity/rank_masks.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class RankSet {
 public:
  explicit RankSet(Granularity granularity = Granularity::Unstructured());

  const Granularity& granularity() const { return granularity_; }
  size_t size() const { return ranks_.size(); }
  bool empty() const { return ranks_.empty(); }
  const LayerSpecs& specs() const { return specs_; }
  const LayerRanks& at(size_t i) const { return ranks_.at(i); }
  const LayerRanks& at(const std::string& name) const;  // InvalidArgument if unknown

  // Recomputes all ranks from the layers' current weights (replacing the layer list).
  // InvalidArgument once frozen.
  void refresh(const PrunableLayers& layers);
  void freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }

  // Writes the masks of `config` into the layers' slots. The layers and the config must name
  // the same layers in the same order as the ranks, with the same shapes: InvalidArgument
  // naming the first that differs.
  void apply(const PrunableLayers& layers, const SubnetConfig& config) const;
  static void clear(const PrunableLayers& layers) { clear_masks(layers); }

  NamedTensors tensors() const;
  nlohmann::json meta() const;  // {"granularity", "frozen", "layers": [{name, group, rows, cols}]}
  // InvalidArgument when a tensor is missing, extra, or of the wrong shape for the meta.
  static RankSet Restore(const nlohmann::json& meta, const NamedTensors& tensors);

 private:
  Granularity granularity_;
  LayerSpecs specs_;
  std::vector<LayerRanks> ranks_;
  bool frozen_ = false;
};

// Of the weights that `after`'s mask at `level` keeps, the fraction that `before`'s mask at the
// same level kept too (1 = the refresh changed nothing), over all layers. The two must have the
// same layers (InvalidArgument otherwise). The training events report it as mask churn.
double mask_overlap(const RankSet& before, const RankSet& after, double level);

}  // namespace omnisparse
