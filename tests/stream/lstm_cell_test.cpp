#include "core/stream/lstm_cell.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace omnisparse {
namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

// Against a double-precision reference, over pre-activations from -100 to 100 (saturation
// included) and a hidden size with a tail that is not a multiple of 8.
TEST(LstmCell, BothIsasMatchDoublePrecisionReference) {
  const int64_t H = 37;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> wide(-12.0f, 12.0f);
  std::vector<float> g(4 * H), c0(H);
  for (auto& v : g) v = wide(rng);
  g[0] = 100.0f, g[1] = -100.0f, g[2 * H] = 90.0f, g[3 * H + 1] = -95.0f, g[5] = 0.0f;
  for (auto& v : c0) v = wide(rng) / 4;
  for (auto isa : {kernels::Isa::kPortable, kernels::Isa::kAvx2}) {
    if (!kernels::isa_supported(isa)) continue;
    std::vector<float> h(H), c = c0;
    lstm_cell(g.data(), H, h.data(), c.data(), isa);
    for (int64_t j = 0; j < H; ++j) {
      const double cr = sig(g[H + j]) * c0[j] + sig(g[j]) * std::tanh(double(g[2 * H + j]));
      const double hr = sig(g[3 * H + j]) * std::tanh(cr);
      EXPECT_NEAR(c[j], cr, 1e-6 * (1 + std::abs(cr))) << kernels::isa_name(isa) << " " << j;
      EXPECT_NEAR(h[j], hr, 1e-6) << kernels::isa_name(isa) << " " << j;
    }
    std::vector<float> z = {-100, -9, -1, -1e-3f, 0, 1e-3f, 0.5f, 3, 20, 100, 0.25f};
    auto want = z;
    tanh_inplace(z.data(), static_cast<int64_t>(z.size()), isa);
    for (size_t j = 0; j < z.size(); ++j) EXPECT_NEAR(z[j], std::tanh(double(want[j])), 3e-7);
  }
}

}  // namespace omnisparse
