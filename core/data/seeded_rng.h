// A small deterministic random generator (splitmix64) for data work: the same seed gives the
// same stream on every platform and standard library, unlike std::uniform_*_distribution,
// whose output is implementation-defined. Corpora and batch orders must be reproducible.
//
//   SeededRng rng(seed);  double u = rng.uniform(0.8, 1.3);  size_t i = rng.index(n);
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace omnisparse {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : state_(seed) {}
  // Independent stream for a (seed, key) pair, e.g. one per utterance.
  SeededRng(uint64_t seed, uint64_t key) : state_(seed ^ (key * 0xD1B54A32D192ED03ull)) { next(); }

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  size_t index(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[index(v.size())]; }
  template <class T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[index(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace omnisparse
