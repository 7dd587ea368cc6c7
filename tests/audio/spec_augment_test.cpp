// SpecAugment: determinism under the rng, masks within the configured bounds, config JSON.
#include "core/audio/spec_augment.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// Features with no zeros, so a zero marks a masked cell.
at::Tensor feats(int64_t T, int64_t F = 80) { return at::rand({T, F}) + 1.0; }

TEST(SpecAugment, SameSeedSameOutputDifferentSeedDifferent) {
  at::manual_seed(1);
  const at::Tensor x = feats(500);
  const SpecAugmentConfig cfg;
  std::mt19937_64 r1(7), r2(7), r3(8);
  const at::Tensor a = spec_augment(x, cfg, r1);
  EXPECT_TRUE(at::equal(a, spec_augment(x, cfg, r2)));
  EXPECT_FALSE(at::equal(a, spec_augment(x, cfg, r3)));
  EXPECT_FALSE(at::equal(a, x));
  EXPECT_TRUE(at::equal(x, x.clone()));  // input untouched (it has no zeros)
  EXPECT_EQ(x.eq(0).sum().item<int64_t>(), 0);
}

TEST(SpecAugment, MaskedFractionStaysWithinConfiguredBounds) {
  at::manual_seed(2);
  const SpecAugmentConfig cfg;
  std::mt19937_64 rng(3);
  int64_t any_time = 0, any_freq = 0;
  for (int64_t T : {50, 120, 300, 1000, 3000}) {
    const at::Tensor x = feats(T);
    const int max_time = cfg.num_time_masks(T) * cfg.time_width_limit(T);
    const int max_freq = cfg.num_freq_masks * cfg.max_freq_width;
    for (int rep = 0; rep < 40; ++rep) {
      const at::Tensor y = spec_augment(x, cfg, rng);
      const at::Tensor zero = y.eq(0);
      const int64_t freq_masked = zero.all(0).sum().item<int64_t>();  // whole columns
      const int64_t time_masked = zero.all(1).sum().item<int64_t>();  // whole rows
      ASSERT_LE(freq_masked, max_freq) << T;
      ASSERT_LE(time_masked, max_time) << T;
      // Every zero is in a masked row or column: masks are rectangles spanning the other axis.
      const at::Tensor explained = zero.all(0).unsqueeze(0) | zero.all(1).unsqueeze(1);
      ASSERT_TRUE(at::equal(zero, zero & explained));
      // Values not masked are untouched.
      ASSERT_TRUE(at::equal(y.masked_select(~zero), x.masked_select(~zero)));
      any_time += time_masked;
      any_freq += freq_masked;
    }
  }
  EXPECT_GT(any_time, 0);
  EXPECT_GT(any_freq, 0);
  // Adaptive: 50 frames get no time mask at 1 per 100 frames; 3000 frames are capped at 10.
  EXPECT_EQ(cfg.num_time_masks(50), 0);
  EXPECT_EQ(cfg.num_time_masks(3000), 10);
  EXPECT_EQ(cfg.time_width_limit(300), 15);
  EXPECT_EQ(cfg.time_width_limit(3000), 40);
}

TEST(SpecAugment, MaskValueAndDisabledMasks) {
  at::manual_seed(3);
  const at::Tensor x = feats(400);
  SpecAugmentConfig cfg;
  cfg.num_freq_masks = 0;
  cfg.max_time_masks = 0;
  std::mt19937_64 rng(1);
  EXPECT_TRUE(at::equal(spec_augment(x, cfg, rng), x));
  cfg.num_freq_masks = 3;
  cfg.max_freq_width = 80;
  cfg.mask_value = -7.0;
  bool saw = false;
  for (int i = 0; i < 10; ++i) saw |= spec_augment(x, cfg, rng).eq(-7.0).any().item<bool>();
  EXPECT_TRUE(saw);
}

TEST(SpecAugment, ConfigJsonRoundTripAndValidation) {
  SpecAugmentConfig cfg;
  cfg.max_time_width = 25;
  cfg.time_mask_multiplicity = 0.04;
  EXPECT_EQ(SpecAugmentConfig::from_json(cfg.to_json()), cfg);
  EXPECT_THROW(SpecAugmentConfig::from_json({{"num_freq_mask", 2}}), ConfigError);
  EXPECT_THROW(SpecAugmentConfig::from_json({{"num_freq_masks", -1}}), ConfigError);
  EXPECT_THROW(SpecAugmentConfig::from_json({{"max_time_width_ratio", 1.5}}), ConfigError);
  EXPECT_THROW(SpecAugmentConfig::from_json({{"max_freq_width", 2.5}}), ConfigError);
  try {
    SpecAugmentConfig::from_json({{"time_mask_multiplicity", -0.1}});
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("time_mask_multiplicity"), std::string::npos);
  }
}

}  // namespace
}  // namespace omnisparse
