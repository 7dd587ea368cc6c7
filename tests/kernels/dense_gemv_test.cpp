#include "core/kernels/dense_gemv.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/kernels/kernel_test_util.h"

namespace omnisparse::kernels {
namespace {

TEST(DenseMatrix, MultiplyEqualsDoubleReferenceForRandomShapesAndBatches) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {1, 19}, {19, 1}, {3, 7}, {5, 8},
                                                {29, 192}, {67, 45}, {256, 160}};
  std::vector<Isa> isas{Isa::kPortable};
  if (isa_supported(Isa::kAvx2)) isas.push_back(Isa::kAvx2);
  uint32_t seed = 500;
  for (const auto& [rows, cols] : shapes) {
    const auto w = testing::random_sparse(rows, cols, 1.0, seed++);
    const DenseMatrix a(w.data(), rows, cols);
    for (const int64_t n : {1, 2, 4, 6, 8, 16, 17}) {
      const auto x = testing::random_vector(cols * n, seed++);
      const auto ref = testing::reference(w, rows, cols, x, n);
      for (const Isa isa : isas) {
        SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " n=" +
                     std::to_string(n) + " " + isa_name(isa));
        std::vector<float> y(static_cast<size_t>(rows * n), 3.0f);
        a.multiply(x.data(), n, y.data(), Accumulate::kNo, isa);
        testing::expect_close(y, ref);
        const auto init = testing::random_vector(rows * n, seed++);
        std::vector<float> y2 = init;
        a.multiply(x.data(), n, y2.data(), Accumulate::kYes, isa);
        testing::expect_close(y2, ref, init);
      }
    }
  }
}

TEST(KernelTypes, PortableIsAlwaysSupportedAndBestIsSupported) {
  EXPECT_TRUE(isa_supported(Isa::kPortable));
  EXPECT_TRUE(isa_supported(best_isa()));
  EXPECT_STREQ(isa_name(Isa::kAvx2), "avx2");
}

}  // namespace
}  // namespace omnisparse::kernels
