// Internal to core/kernels: splits a batch of n columns into chunks of compile-time width
// (16, 8, 4, 2, 1) so every inner loop over frames has a fixed trip count the compiler
// unrolls and vectorises. Not part of the public API.
//
//   for_each_width(n, [&]<int W>(int64_t j0) { kernel<W>(..., j0); });
#pragma once

#include <cstdint>

namespace omnisparse::kernels::detail {

template <typename F>
[[gnu::always_inline]] inline void for_each_width(int64_t n, F&& f) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) f.template operator()<16>(j);
  if (j + 8 <= n) { f.template operator()<8>(j); j += 8; }
  if (j + 4 <= n) { f.template operator()<4>(j); j += 4; }
  if (j + 2 <= n) { f.template operator()<2>(j); j += 2; }
  if (j < n) f.template operator()<1>(j);
}

// y[0..W) = s or y += s.
template <int W>
[[gnu::always_inline]] inline void store_row(float* y, const float* s, bool accumulate) {
  if (accumulate) {
    for (int j = 0; j < W; ++j) y[j] += s[j];
  } else {
    for (int j = 0; j < W; ++j) y[j] = s[j];
  }
}

}  // namespace omnisparse::kernels::detail
