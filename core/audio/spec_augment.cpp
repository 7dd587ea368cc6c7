#include "core/audio/spec_augment.h"

#include <algorithm>
#include <cmath>

#include "core/common/config_json.h"
#include "core/audio/rng_util.h"
#include "core/common/error.h"

namespace omnisparse {

int SpecAugmentConfig::num_time_masks(int64_t T) const {
  return static_cast<int>(
      std::min<int64_t>(max_time_masks, static_cast<int64_t>(std::floor(time_mask_multiplicity * T))));
}

int SpecAugmentConfig::time_width_limit(int64_t T) const {
  return static_cast<int>(
      std::min<int64_t>(max_time_width, static_cast<int64_t>(std::floor(max_time_width_ratio * T))));
}

void SpecAugmentConfig::Validate() const {
  auto bad = [](const std::string& key, const std::string& why) {
    throw ConfigError("spec_augment." + key + ": " + why);
  };
  if (num_freq_masks < 0) bad("num_freq_masks", "must be >= 0");
  if (max_freq_width < 0) bad("max_freq_width", "must be >= 0");
  if (max_time_masks < 0) bad("max_time_masks", "must be >= 0");
  if (!(time_mask_multiplicity >= 0 && time_mask_multiplicity <= 1))
    bad("time_mask_multiplicity", "must be in [0, 1]");
  if (max_time_width < 0) bad("max_time_width", "must be >= 0");
  if (!(max_time_width_ratio >= 0 && max_time_width_ratio <= 1))
    bad("max_time_width_ratio", "must be in [0, 1]");
  if (!std::isfinite(mask_value)) bad("mask_value", "must be finite");
}

nlohmann::json SpecAugmentConfig::to_json() const {
  return {{"num_freq_masks", num_freq_masks},
          {"max_freq_width", max_freq_width},
          {"max_time_masks", max_time_masks},
          {"time_mask_multiplicity", time_mask_multiplicity},
          {"max_time_width", max_time_width},
          {"max_time_width_ratio", max_time_width_ratio},
          {"mask_value", mask_value}};
}

SpecAugmentConfig SpecAugmentConfig::from_json(const nlohmann::json& j) {
  SpecAugmentConfig c;
  JsonFields f(j, "spec_augment");
  f.get("num_freq_masks", c.num_freq_masks);
  f.get("max_freq_width", c.max_freq_width);
  f.get("max_time_masks", c.max_time_masks);
  f.get("time_mask_multiplicity", c.time_mask_multiplicity);
  f.get("max_time_width", c.max_time_width);
  f.get("max_time_width_ratio", c.max_time_width_ratio);
  f.get("mask_value", c.mask_value);
  f.finish();
  c.Validate();
  return c;
}

at::Tensor spec_augment(const at::Tensor& feats, const SpecAugmentConfig& cfg,
                        std::mt19937_64& rng) {
  if (feats.dim() != 2) throw InvalidArgument("spec_augment: expected [T, F] features");
  at::Tensor out = feats.clone();  // [T, F]
  const int64_t T = feats.size(0), F = feats.size(1);
  if (T == 0 || F == 0) return out;
  // Draw every mask first (fixed order: frequency then time), then apply: the draws depend
  // only on the rng and the shape.
  for (int i = 0; i < cfg.num_freq_masks; ++i) {
    const int64_t width = uniform_int(rng, 0, std::min<int64_t>(cfg.max_freq_width, F));
    const int64_t start = uniform_int(rng, 0, F - width);
    if (width > 0) out.narrow(1, start, width).fill_(cfg.mask_value);
  }
  const int n_time = cfg.num_time_masks(T);
  const int64_t max_w = std::min<int64_t>(cfg.time_width_limit(T), T);
  for (int i = 0; i < n_time; ++i) {
    const int64_t width = uniform_int(rng, 0, max_w);
    const int64_t start = uniform_int(rng, 0, T - width);
    if (width > 0) out.narrow(0, start, width).fill_(cfg.mask_value);
  }
  return out;
}

}  // namespace omnisparse
