// SpecAugment (Park et al. 2019; adaptive time masks from Park et al. 2020) on normalised
// features, in training only.
//
//   SpecAugmentConfig cfg;                         // 2 freq masks <= 15 bins, adaptive time masks
//   std::mt19937_64 rng(seed);
//   at::Tensor x = spec_augment(stats.apply(feats), cfg, rng);   // [T, F] -> [T, F]
//
// Frequency masks: num_freq_masks bands, each of width uniform in [0, max_freq_width].
// Time masks (adaptive, so short commands are not wiped out and long utterances still get
// enough): count = min(max_time_masks, floor(time_mask_multiplicity * T)), each of width
// uniform in [0, min(max_time_width, floor(max_time_width_ratio * T))]. So at most
// count * width_max frames are masked. Masked values are set to mask_value (0 = the mean of
// normalised features). Deterministic given the rng state; the input is not modified.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <random>

namespace omnisparse {

struct SpecAugmentConfig {
  int num_freq_masks = 2;
  int max_freq_width = 15;               // bins (of 80)
  int max_time_masks = 10;
  double time_mask_multiplicity = 0.01;  // masks per frame: 1 per second of 10 ms frames
  int max_time_width = 40;               // frames
  double max_time_width_ratio = 0.05;    // of T
  double mask_value = 0.0;

  // Upper bound on the number of time masks / their width for T frames.
  int num_time_masks(int64_t T) const;
  int time_width_limit(int64_t T) const;

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  static SpecAugmentConfig from_json(const nlohmann::json& j);  // validated
  bool operator==(const SpecAugmentConfig&) const = default;
};

// feats: [T, F] float. Returns a masked copy [T, F].
at::Tensor spec_augment(const at::Tensor& feats, const SpecAugmentConfig& cfg,
                        std::mt19937_64& rng);

}  // namespace omnisparse
