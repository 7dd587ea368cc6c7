#include "core/sparsity/granularity.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace omnisparse {

TEST(Granularity, ParsesAndPrintsEveryForm) {
  for (const char* text : {"unstructured", "block1x4", "block4x4", "block8x2", "nm4", "nm8"}) {
    EXPECT_EQ(Granularity::Parse(text).ToString(), text);
  }
  const auto b = Granularity::Parse("block8x2");
  EXPECT_EQ(b.kind, Granularity::Kind::kBlock);
  EXPECT_EQ(b.block_rows, 8);
  EXPECT_EQ(b.block_cols, 2);
  EXPECT_EQ(Granularity::Parse("nm4"), Granularity::NestedNM(4));
}

TEST(Granularity, JsonRoundTripIsTheTextForm) {
  nlohmann::json j = Granularity::Block(1, 4);
  EXPECT_EQ(j, "block1x4");
  EXPECT_EQ(j.get<Granularity>(), Granularity::Block(1, 4));
}

TEST(Granularity, RejectsUnknownAndZeroSizes) {
  for (const char* text : {"", "block", "block4", "block0x4", "nm0", "nm", "2:4", "Unstructured"}) {
    EXPECT_THROW(Granularity::Parse(text), ConfigError) << text;
  }
  EXPECT_THROW(nlohmann::json(4).get<Granularity>(), ConfigError);
}

TEST(KeptUnits, IsCeilOfKeptFractionWithoutFloatNoise) {
  EXPECT_EQ(kept_units(10, 0.0), 10);
  EXPECT_EQ(kept_units(10, 0.7), 3);   // (1-0.7)*10 = 3.0000000000000004 in doubles
  EXPECT_EQ(kept_units(10, 0.9), 1);
  EXPECT_EQ(kept_units(10, 0.95), 1);  // ceil(0.5)
  EXPECT_EQ(kept_units(10, 0.85), 2);  // ceil(1.5)
  EXPECT_EQ(kept_units(37 * 53, 0.8), 393);  // ceil(392.2)
  EXPECT_EQ(kept_units(4, 0.5), 2);
  EXPECT_EQ(kept_units(4, 0.6), 2);    // ceil(1.6)
  EXPECT_EQ(kept_units(4, 0.75), 1);
  EXPECT_EQ(kept_units(4, 0.8), 1);
  EXPECT_EQ(kept_units(0, 0.5), 0);
  EXPECT_THROW(kept_units(10, 1.0), ConfigError);
  EXPECT_THROW(kept_units(10, -0.1), ConfigError);
}

}  // namespace omnisparse
