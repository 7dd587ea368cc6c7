#include "core/sparsity/rank_set.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "sparsity_test_util.h"

namespace omnisparse {
namespace {

TEST(RankSet, ApplyWritesMasksAndClearRemovesThem) {
  const auto layers = test::make_layers();
  RankSet ranks(Granularity::Unstructured());
  ranks.refresh(layers);
  ASSERT_EQ(ranks.size(), layers.size());
  auto config = SubnetConfig::Explicit(names_of(specs_of(layers)), {0.5, 0.0, 0.9, 0.3});
  ranks.apply(layers, config);
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& slot = *layers[i].mask;
    if (config.levels[i] == 0.0) {
      EXPECT_FALSE(slot.defined()) << layers[i].name;  // dense costs nothing
      continue;
    }
    ASSERT_TRUE(slot.defined()) << layers[i].name;
    EXPECT_EQ(slot.scalar_type(), layers[i].weight.scalar_type());
    EXPECT_EQ(slot.sizes(), layers[i].weight.sizes());
    EXPECT_TRUE(slot.to(at::kBool).equal(mask_at(ranks.at(i), config.levels[i])));
    EXPECT_EQ(slot.sum().item<int64_t>(), kept_units(layers[i].numel(), config.levels[i]));
  }
  RankSet::clear(layers);
  for (const auto& l : layers) EXPECT_FALSE(l.mask->defined()) << l.name;
}

TEST(RankSet, MasksOnTrainableWeightsAreConstantsThatZeroTheGradient) {
  auto layers = test::make_layers();
  for (auto& l : layers) l.weight.requires_grad_(true);
  RankSet ranks(Granularity::Block(1, 4));
  ranks.refresh(layers);
  ranks.apply(layers, SubnetConfig::Uniform(specs_of(layers), 0.7));
  const auto& l = layers[0];
  EXPECT_FALSE(l.mask->requires_grad());
  (l.weight * *l.mask).sum().backward();  // what a masked layer's forward does
  EXPECT_TRUE(l.weight.grad().equal(*l.mask));  // d/dw sum(w * m) = m: pruned weights get 0
}

TEST(RankSet, RefreshFollowsTheWeightsUntilFrozen) {
  const auto layers = test::make_layers();
  RankSet ranks(Granularity::NestedNM(4));
  ranks.refresh(layers);
  const auto before = ranks.at("joiner.out").ranks.clone();
  layers[3].weight.neg_().add_(at::arange(99, at::kFloat).view({11, 9}));  // change the order
  ranks.refresh(layers);
  EXPECT_FALSE(ranks.at("joiner.out").ranks.equal(before));
  ranks.freeze();
  EXPECT_TRUE(ranks.frozen());
  EXPECT_THROW(ranks.refresh(layers), InvalidArgument);
}

TEST(RankSet, ApplyRejectsAConfigForOtherLayers) {
  const auto layers = test::make_layers();
  RankSet ranks;
  ranks.refresh(layers);
  auto names = names_of(specs_of(layers));
  names[2] = "predictor.lstm9.w_ih";
  const auto wrong = SubnetConfig::Explicit(names, {0.5, 0.5, 0.5, 0.5});
  try {
    ranks.apply(layers, wrong);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("predictor.lstm9.w_ih"), std::string::npos) << e.what();
  }
  const auto short_config = SubnetConfig::Explicit({"encoder.lstm0.w_ih"}, {0.5});
  EXPECT_THROW(ranks.apply(layers, short_config), InvalidArgument);
  auto other = test::make_layers();
  other[1] = test::make_layer("encoder.lstm0.w_hh", "encoder", 32, 9, 5);  // other shape
  EXPECT_THROW(ranks.apply(other, SubnetConfig::Uniform(specs_of(other), 0.5)), InvalidArgument);
}

TEST(RankSet, SavedTensorsAndMetaRestoreTheSameMasks) {
  for (const char* g : {"unstructured", "block4x4", "nm4"}) {
    const auto layers = test::make_layers();
    RankSet ranks(Granularity::Parse(g));
    ranks.refresh(layers);
    ranks.freeze();
    const auto meta = nlohmann::json::parse(ranks.meta().dump());  // through text
    const auto restored = RankSet::Restore(meta, ranks.tensors());
    EXPECT_EQ(restored.granularity(), ranks.granularity());
    EXPECT_TRUE(restored.frozen());
    ASSERT_EQ(restored.size(), ranks.size());
    for (size_t i = 0; i < ranks.size(); ++i) {
      EXPECT_EQ(restored.specs()[i].name, ranks.specs()[i].name);
      EXPECT_EQ(restored.specs()[i].group, ranks.specs()[i].group);
      EXPECT_TRUE(mask_at(restored.at(i), 0.8).equal(mask_at(ranks.at(i), 0.8))) << g;
    }
  }
}

TEST(RankSet, RestoreRejectsMissingExtraOrMisshapenTensors) {
  const auto layers = test::make_layers();
  RankSet ranks(Granularity::Block(4, 4));
  ranks.refresh(layers);
  auto tensors = ranks.tensors();
  auto missing = tensors;
  missing.pop_back();
  EXPECT_THROW(RankSet::Restore(ranks.meta(), missing), InvalidArgument);
  auto extra = tensors;
  extra.emplace_back("joiner.bias", at::zeros({1, 1}, at::kInt));
  EXPECT_THROW(RankSet::Restore(ranks.meta(), extra), InvalidArgument);
  auto misshapen = tensors;
  misshapen[0].second = at::zeros({32, 20}, at::kInt);  // unstructured shape, block meta
  EXPECT_THROW(RankSet::Restore(ranks.meta(), misshapen), InvalidArgument);
  EXPECT_THROW(RankSet::Restore(nlohmann::json{{"granularity", "nm4"}}, tensors), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
