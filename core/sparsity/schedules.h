// The Zhu & Gupta (2017) cubic sparsity schedule, used for the supernet's largest sampled
// sparsity and for the gmp baseline's target:
//
//   s(t) = 0                                                  t <  t0        (dense warm-up)
//   s(t) = s_f + (s_i - s_f) * (1 - (t' - t0) / (n dt))^3     t0 <= t < t0 + n dt
//   s(t) = s_f                                                t >= t0 + n dt
// where t' = t0 + floor((t - t0) / dt) * dt (the level changes every dt steps) and n dt is
// ramp_steps. Non-decreasing in t when s_i <= s_f.
//
//   CubicSchedule ramp{.initial = 0.0, .final = 0.9, .warmup_steps = 1000, .ramp_steps = 4000};
//   double max_s = ramp.at(step);
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace omnisparse {

struct CubicSchedule {
  double initial = 0.0;       // s_i, reached at t0
  double final = 0.9;         // s_f
  int64_t warmup_steps = 0;   // t0
  int64_t ramp_steps = 1000;  // n dt
  int64_t update_every = 1;   // dt

  // Throws ConfigError naming the key: levels outside [0, 1), initial > final, negative
  // warm-up, ramp_steps < 1, update_every < 1 or > ramp_steps.
  void Validate() const;
  double at(int64_t step) const;
  int64_t end_step() const { return warmup_steps + ramp_steps; }
};

// Keys: initial, final, warmup_steps, ramp_steps, update_every; unknown key -> ConfigError.
void to_json(nlohmann::json& j, const CubicSchedule& s);
void from_json(const nlohmann::json& j, CubicSchedule& s);

}  // namespace omnisparse
