#include "core/sparsity/subnet_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "core/common/error.h"
#include "core/sparsity/ladder.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace subnet_config_test {  // named: the unity build compiles this file with its siblings

const LayerSpecs kSpecs = specs_of(test::make_layers());

TEST(SubnetConfig, UniformPerGroupAndExplicitBuildOneLevelPerLayer) {
  const auto u = SubnetConfig::Uniform(kSpecs, 0.8);
  EXPECT_EQ(u.names, names_of(kSpecs));
  EXPECT_EQ(u.levels, std::vector<double>(4, 0.8));
  EXPECT_EQ(u.label(), "uniform 0.80");
  const auto g = SubnetConfig::PerGroup(kSpecs, {{"encoder", 0.9}, {"predictor", 0.5}, {"joiner", 0.7}});
  EXPECT_EQ(g.levels, (std::vector<double>{0.9, 0.9, 0.5, 0.7}));
  EXPECT_EQ(g.label(), "mixed mean 0.75");
  EXPECT_THROW(SubnetConfig::PerGroup(kSpecs, {{"encoder", 0.9}, {"joiner", 0.7}}), ConfigError);
  EXPECT_THROW(SubnetConfig::PerGroup(kSpecs, {{"encoder", 0.9}, {"predictor", 0.5}, {"joiner", 0.7},
                                               {"decoder", 0.1}}),
               InvalidArgument);
  EXPECT_NEAR(g.weighted_level(kSpecs), (0.9 * (640 + 256) + 0.5 * 208 + 0.7 * 99) / 1203.0, 1e-12);
}

TEST(SubnetConfig, LevelOutsideZeroToOneIsAConfigError) {
  for (double bad : {-0.1, 1.0, 1.5}) {
    try {
      SubnetConfig::Explicit(names_of(kSpecs), {0.1, bad, 0.2, 0.3});
      FAIL() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("encoder.lstm0.w_hh"), std::string::npos);
    }
  }
  EXPECT_THROW(SubnetConfig::Uniform(kSpecs, 1.0), ConfigError);
  EXPECT_THROW(SubnetConfig::Explicit({"a", "a"}, {0.1, 0.2}), ConfigError);
  EXPECT_THROW(SubnetConfig::Explicit({"a", "b"}, {0.1}), ConfigError);
}

TEST(SubnetConfig, JsonRoundTripKeepsModelOrder) {
  const auto c = SubnetConfig::Explicit(names_of(kSpecs), {0.1, 0.95, 0.0, 0.5});
  const auto j = nlohmann::json::parse(c.to_json().dump());
  EXPECT_EQ(j["encoder.lstm0.w_hh"], 0.95);
  const auto back = SubnetConfig::FromJson(j, names_of(kSpecs));
  EXPECT_EQ(back, c);
  EXPECT_EQ(back.id(), c.id());
}

TEST(SubnetConfig, JsonNamingAnUnknownLayerIsAnInvalidArgumentNamingIt) {
  auto j = SubnetConfig::Uniform(kSpecs, 0.5).to_json();
  j["encoder.lstm7.w_ih"] = 0.5;
  try {
    SubnetConfig::FromJson(j, names_of(kSpecs));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.lstm7.w_ih"), std::string::npos) << e.what();
  }
  auto missing = SubnetConfig::Uniform(kSpecs, 0.5).to_json();
  missing.erase("joiner.out");
  try {
    SubnetConfig::FromJson(missing, names_of(kSpecs));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("joiner.out"), std::string::npos) << e.what();
  }
  auto out_of_range = SubnetConfig::Uniform(kSpecs, 0.5).to_json();
  out_of_range["joiner.out"] = 1.2;
  EXPECT_THROW(SubnetConfig::FromJson(out_of_range, names_of(kSpecs)), ConfigError);
  out_of_range["joiner.out"] = "high";
  EXPECT_THROW(SubnetConfig::FromJson(out_of_range, names_of(kSpecs)), ConfigError);
  EXPECT_THROW(SubnetConfig::FromJson(nlohmann::json::array(), names_of(kSpecs)), ConfigError);
}

TEST(SubnetConfig, IdIsStableAndDistinguishesConfigs) {
  // Two objects built differently, levels equal to 1e-4: the same id.
  const auto a = SubnetConfig::Uniform(kSpecs, 0.8);
  const auto b = SubnetConfig::Explicit(names_of(kSpecs), {0.8, 0.80000001, 0.8, 0.79999999});
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.id().size(), 10u);
  // Any different level, order or name: a different id.
  EXPECT_NE(a.id(), SubnetConfig::Explicit(names_of(kSpecs), {0.8, 0.8, 0.8, 0.9}).id());
  EXPECT_NE(SubnetConfig::Explicit({"x", "y"}, {0.1, 0.2}).id(),
            SubnetConfig::Explicit({"y", "x"}, {0.1, 0.2}).id());
  EXPECT_NE(SubnetConfig::Explicit({"x"}, {0.1}).id(), SubnetConfig::Explicit({"z"}, {0.1}).id());
  // Every uniform config of the ladder has its own id.
  std::set<std::string> ids;
  for (double s : Ladder().levels) ids.insert(SubnetConfig::Uniform(kSpecs, s).id());
  EXPECT_EQ(ids.size(), Ladder().levels.size());
  // The id is the documented hash (so another process or language can recompute it):
  // FNV-1a 64 of "x=0.5000;y=0.2500;", first 10 hex digits.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : std::string("x=0.5000;y=0.2500;")) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  EXPECT_EQ(SubnetConfig::Explicit({"x", "y"}, {0.5, 0.25}).id(), std::string(hex, 10));
}

TEST(Ladder, DefaultLevelsAndLookups) {
  const Ladder l;
  EXPECT_NO_THROW(l.Validate());
  EXPECT_EQ(l.levels.size(), 11u);
  EXPECT_DOUBLE_EQ(l.largest_at_most(0.85), 0.8);
  EXPECT_DOUBLE_EQ(l.largest_at_most(0.9), 0.9);   // exact level allowed
  EXPECT_DOUBLE_EQ(l.largest_at_most(0.05), 0.0);
  EXPECT_DOUBLE_EQ(l.largest_at_most(0.99), 0.95);
  EXPECT_EQ(l.at_most(0.3).size(), 4u);
  EXPECT_EQ(l.index_of(0.95), 10);
  EXPECT_EQ(l.index_of(0.97), -1);
  EXPECT_THROW((Ladder{{0.0, 0.5, 0.5}}).Validate(), ConfigError);
  EXPECT_THROW((Ladder{{0.1, 0.5}}).Validate(), ConfigError);
  EXPECT_THROW((Ladder{{0.0, 1.0}}).Validate(), ConfigError);
  EXPECT_EQ(nlohmann::json(l).get<Ladder>().levels, l.levels);
}

}  // namespace subnet_config_test
}  // namespace omnisparse
