// Random draws for the augmentations, written out so that a seed gives the same result on any
// standard library (std::*_distribution algorithms are implementation-defined).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace omnisparse {

// Uniform in [0, 1), 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

inline double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * uniform01(rng);
}

// Uniform integer in [lo, hi] (inclusive); hi < lo gives lo.
inline int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

inline bool bernoulli(std::mt19937_64& rng, double p) { return p > 0 && uniform01(rng) < p; }

// Standard normal (Box-Muller, one value per call).
inline double gaussian(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace omnisparse
