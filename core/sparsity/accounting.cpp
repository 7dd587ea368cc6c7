#include "core/sparsity/accounting.h"

#include "core/common/error.h"

namespace omnisparse {

namespace {

constexpr int64_t kValueBytes = 4;  // fp32
constexpr int64_t kIndexBytes = 4;  // int32

void check_names(const SubnetConfig& config, const LayerSpecs& layers) {
  config.Validate();
  if (config.size() != layers.size()) {
    throw InvalidArgument("accounting: the config has " + std::to_string(config.size()) +
                          " levels for " + std::to_string(layers.size()) + " layers");
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (config.names[i] != layers[i].name) {
      throw InvalidArgument("accounting: config layer '" + config.names[i] +
                            "' where the model has '" + layers[i].name + "'");
    }
  }
}

Accounting total(std::vector<LayerAccount> layers, int64_t nonprunable) {
  if (nonprunable < 0) throw InvalidArgument("accounting: negative non-prunable parameter count");
  Accounting a;
  a.layers = std::move(layers);
  a.nonprunable_params = nonprunable;
  for (const auto& l : a.layers) {
    a.prunable_params += l.params;
    a.nnz_prunable += l.nnz;
    a.bytes_stored += l.bytes_stored;
  }
  a.total_params = a.prunable_params + nonprunable;
  a.nnz_total = a.nnz_prunable + nonprunable;
  a.bytes_dense = kValueBytes * a.total_params;
  a.bytes_stored += kValueBytes * nonprunable;
  return a;
}

}  // namespace

LayerAccount account_layer(const LayerSpec& layer, const Granularity& g, double level,
                           int64_t kept) {
  LayerAccount a;
  a.name = layer.name;
  a.level = level;
  a.params = layer.numel();
  a.nnz = kept;
  a.bytes_dense = kValueBytes * a.params;
  if (g.kind == Granularity::Kind::kBlock) {
    const int64_t tile_rows = (layer.rows + g.block_rows - 1) / g.block_rows;
    const int64_t tile_cols = (layer.cols + g.block_cols - 1) / g.block_cols;
    const int64_t tiles = kept_units(tile_rows * tile_cols, level);
    a.bytes_sparse = kValueBytes * g.block_rows * g.block_cols * tiles + kIndexBytes * tiles +
                     kIndexBytes * (tile_rows + 1);
  } else {
    a.bytes_sparse = kValueBytes * kept + kIndexBytes * kept + kIndexBytes * (layer.rows + 1);
  }
  a.stored_dense = a.bytes_dense <= a.bytes_sparse;
  a.bytes_stored = a.stored_dense ? a.bytes_dense : a.bytes_sparse;
  return a;
}

Accounting account(const SubnetConfig& config, const RankSet& ranks, int64_t nonprunable_params) {
  check_names(config, ranks.specs());
  std::vector<LayerAccount> layers;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const double s = config.levels[i];
    layers.push_back(account_layer(ranks.specs()[i], ranks.granularity(), s,
                                   kept_weights(ranks.at(i), s)));
  }
  return total(std::move(layers), nonprunable_params);
}

Accounting account(const SubnetConfig& config, const LayerSpecs& specs,
                   const Granularity& granularity, int64_t nonprunable_params) {
  check_names(config, specs);
  std::vector<LayerAccount> layers;
  for (size_t i = 0; i < specs.size(); ++i) {
    const double s = config.levels[i];
    layers.push_back(account_layer(specs[i], granularity, s,
                                   kept_weights(specs[i].rows, specs[i].cols, granularity, s)));
  }
  return total(std::move(layers), nonprunable_params);
}

}  // namespace omnisparse
