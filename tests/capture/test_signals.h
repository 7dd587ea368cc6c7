// Sounds that are not speech, for the voice-activity and live-capture tests: steady room noise
// and a melody of tones. Deterministic from the seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace omnisparse::test {

// Brown-ish room noise (leaky-integrated white noise plus some hiss, high-passed) at an RMS level.
inline std::vector<float> room_noise(double seconds, double rms, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, 1);
  std::vector<float> x(static_cast<size_t>(seconds * 16000));
  double b = 0, prev = 0, acc = 0;
  for (auto& v : x) {
    const double w = n(rng);
    b = 0.98 * b + w;
    const double pink = 0.5 * b + w, hp = pink - prev * 0.999;
    prev = pink;
    v = static_cast<float>(hp);
    acc += hp * hp;
  }
  const double g = rms / std::sqrt(acc / static_cast<double>(x.size()));
  for (auto& v : x) v = static_cast<float>(v * g);
  return x;
}

// A melody: notes of 0.25-0.5 s, fundamental 330-880 Hz plus two weaker partials, 20 ms attack,
// exponential decay: music-like, loud, and changing like syllables do.
inline std::vector<float> melody(double seconds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> f0(330, 880), len(0.25, 0.5);
  std::vector<float> x;
  while (static_cast<double>(x.size()) < seconds * 16000) {
    const double f = f0(rng), l = len(rng);
    for (size_t i = 0; i < static_cast<size_t>(l * 16000); ++i) {
      const double t = static_cast<double>(i) / 16000;
      const double env = std::min(1.0, t / 0.02) * std::exp(-3 * t);
      const double v = std::sin(2 * M_PI * f * t) + 0.4 * std::sin(4 * M_PI * f * t) + 0.2 * std::sin(6 * M_PI * f * t);
      x.push_back(static_cast<float>(0.25 * env * v));
    }
  }
  x.resize(static_cast<size_t>(seconds * 16000));
  return x;
}

}  // namespace omnisparse::test
