// A sub-network of the supernet: one sparsity level per prunable layer, in PrunableLayers
// order, with the layer names alongside so that configs can be checked against a model.
//
//   auto specs = specs_of(model.prunable_layers());
//   SubnetConfig a = SubnetConfig::Uniform(specs, 0.8);                    // "uniform 0.80"
//   SubnetConfig b = SubnetConfig::PerGroup(specs, {{"encoder", 0.9}, {"predictor", 0.5},
//                                                   {"joiner", 0.7}});
//   nlohmann::json j = a.to_json();              // {"encoder.lstm0.w_ih": 0.8, ...}
//   SubnetConfig c = SubnetConfig::FromJson(j, names_of(specs));  // checks names
//   a.id();                                      // "3f9c0a1b2d": stable across processes
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/sparsity/layer_spec.h"

namespace omnisparse {

struct SubnetConfig {
  std::vector<std::string> names;  // PrunableLayers order
  std::vector<double> levels;      // one per name, each in [0, 1)

  static SubnetConfig Uniform(const LayerSpecs& layers, double sparsity);
  // Every layer takes its group's level. A group of the model missing from `group_levels`
  // -> ConfigError; a group the model does not have -> InvalidArgument naming it.
  static SubnetConfig PerGroup(const LayerSpecs& layers,
                               const std::map<std::string, double>& group_levels);
  static SubnetConfig Explicit(std::vector<std::string> names, std::vector<double> levels);

  // Levels outside [0, 1), a count mismatch or repeated names -> ConfigError naming the layer.
  void Validate() const;

  // {layer name: level}. FromJson orders by `model_layers` and throws InvalidArgument naming a
  // layer the model does not have, or the first model layer the JSON lacks; a non-number or a
  // level outside [0, 1) -> ConfigError.
  nlohmann::json to_json() const;
  static SubnetConfig FromJson(const nlohmann::json& j,
                               const std::vector<std::string>& model_layers);

  // 10 hex characters of a 64-bit FNV-1a over "name=level;" pairs in order, levels rounded to
  // 1e-4 and printed with 4 decimals. Same names and levels -> same id, in any process.
  std::string id() const;
  // "uniform 0.80" when every level is equal, else "mixed mean 0.74" (unweighted mean over
  // layers; the accounting gives the parameter-weighted sparsity).
  std::string label() const;

  size_t size() const { return levels.size(); }
  bool is_uniform() const;
  bool is_dense() const;
  double mean_level() const;  // unweighted
  // Parameter-weighted mean level over `layers` (same order and names as this config).
  double weighted_level(const LayerSpecs& layers) const;

  bool operator==(const SubnetConfig& o) const { return names == o.names && levels == o.levels; }
};

}  // namespace omnisparse
