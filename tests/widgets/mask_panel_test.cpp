// The mask rule and the mask panel: survivor counts per level, the nestedness check on good and
// deliberately broken ranks, block downsampling of big layers, and the per-layer bars.
#include <gtest/gtest.h>

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tests/widgets/qt_app.h"
#include "widgets/facade/mask_rule.h"
#include "widgets/mask_panel.h"
#include "widgets/qcp.h"

using namespace omnisparse::widgets;

namespace {

LayerRanks random_layer(const QString& name, int rows, int cols, quint32 seed) {
  LayerRanks l{name, rows, cols, QVector<qint32>(rows * cols)};
  std::iota(l.ranks.begin(), l.ranks.end(), 0);
  QRandomGenerator rng(seed);
  for (int i = int(l.ranks.size()) - 1; i > 0; --i) std::swap(l.ranks[i], l.ranks[rng.bounded(i + 1)]);
  return l;
}

RunResults run_with(QVector<LayerRanks> layers) {
  RunResults r;
  r.run_dir = "/runs/omni";
  r.name = "omni";
  r.ladder = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
  for (const auto& l : layers) r.layer_names << l.name;
  r.ranks = std::move(layers);
  SubnetRow s;
  s.id = "evo-7";
  s.nnz = 1234;
  s.wer = 0.25;
  s.levels = {0.5, 0.9, 0.3};
  r.rows = {s};
  return r;
}

}  // namespace

TEST(MaskRule, KeptCountIsTheCeilingOfTheKeptFraction) {
  EXPECT_EQ(kept_count(100, 0.9), 10);  // 1 - 0.9 is 0.09999999999999998 in doubles
  EXPECT_EQ(kept_count(100, 0.95), 5);
  EXPECT_EQ(kept_count(7, 0.5), 4);
  EXPECT_EQ(kept_count(10, 0.0), 10);
  EXPECT_EQ(kept_count(3, 0.99), 1);
}

TEST(MaskPanel, SurvivorCountAtEveryLevelIsCeilOfKeptFraction) {
  omnisparse::test::qt_app();
  MaskPanel panel;
  panel.setSubnet(run_with({random_layer("enc.w_ih", 37, 29, 1), random_layer("enc.w_hh", 16, 16, 2),
                            random_layer("joiner.out", 8, 50, 3)}), -1);
  for (int layer = 0; layer < 3; ++layer) {
    panel.setLayer(layer);
    const qint64 n = layer == 0 ? 37 * 29 : layer == 1 ? 256 : 400;
    for (int i = 0; i < 11; ++i) {
      panel.setLevelIndex(i);
      const double s = panel.level();
      EXPECT_EQ(panel.survivorCount(), qint64(std::ceil((1 - s) * n - 1e-9))) << layer << " " << s;
    }
  }
  EXPECT_TRUE(panel.nestedness().ok);
  EXPECT_TRUE(panel.nestednessText().contains("nested"));
  EXPECT_FALSE(panel.nestednessText().contains("not nested"));
}

TEST(MaskRule, KeptSetAt90IsASubsetOfKeptSetAt80) {
  const LayerRanks l = random_layer("w", 20, 20, 5);
  const QVector<quint8> at80 = survivors(l, 0.8), at90 = survivors(l, 0.9);
  for (int i = 0; i < l.ranks.size(); ++i) EXPECT_LE(at90[i], at80[i]);
  EXPECT_EQ(std::count(at90.begin(), at90.end(), 1), 40);
  // The survivors are the 40 smallest ranks: the largest-magnitude weights.
  for (int i = 0; i < l.ranks.size(); ++i) EXPECT_EQ(at90[i] == 1, l.ranks[i] < 40);
}

TEST(MaskPanel, NestednessIndicatorTurnsRedOnBrokenRanksNamingTheLayer) {
  omnisparse::test::qt_app();
  LayerRanks broken = random_layer("predictor.w_hh", 10, 10, 9);
  // Two weights share rank 3 and rank 99 is gone: every level keeps one weight too many.
  *std::find(broken.ranks.begin(), broken.ranks.end(), 99) = 3;
  MaskPanel panel;
  panel.setSubnet(run_with({random_layer("enc.w_ih", 10, 10, 1), broken}), 0);
  EXPECT_FALSE(panel.nestedness().ok);
  EXPECT_EQ(panel.nestedness().layer, "predictor.w_hh");
  EXPECT_TRUE(panel.nestednessText().contains("not nested"));
  EXPECT_TRUE(panel.nestednessText().contains("predictor.w_hh"));
  EXPECT_TRUE(panel.nestedness().reason.contains("expected"));

  LayerRanks out_of_range = random_layer("joiner.out", 4, 4, 3);
  out_of_range.ranks[0] = -1;  // survives at every level, even 100 % of the others pruned
  EXPECT_FALSE(check_nestedness({out_of_range}, {0.0, 0.5, 0.9}).ok);
}

// The check runs once per set of ranks, not per selection; a reloaded run with other ranks (same
// directory) is checked again.
TEST(MaskPanel, NestednessIsRecheckedWhenTheSameRunComesBackWithOtherRanks) {
  omnisparse::test::qt_app();
  const RunResults good = run_with({random_layer("enc.w_ih", 10, 10, 1), random_layer("p.w", 8, 8, 2)});
  MaskPanel panel;
  panel.setSubnet(good, 0);
  ASSERT_TRUE(panel.nestedness().ok);
  panel.setSubnet(good, 0);  // another click on the same run
  EXPECT_TRUE(panel.nestedness().ok);
  RunResults reloaded = good;  // shares the ranks until modified
  *std::find(reloaded.ranks[1].ranks.begin(), reloaded.ranks[1].ranks.end(), 40) = 2;
  panel.setSubnet(reloaded, 0);
  EXPECT_FALSE(panel.nestedness().ok);
  EXPECT_EQ(panel.nestedness().layer, "p.w");
  panel.setSubnet(good, 0);
  EXPECT_TRUE(panel.nestedness().ok);
}

TEST(MaskPanel, BigLayerIsDownsampledByBlockDensityWithTheFactorInTheTitle) {
  omnisparse::test::qt_app();
  MaskPanel panel;
  panel.setSubnet(run_with({random_layer("enc.w_ih", 1024, 320, 4)}), -1);
  panel.setLevelIndex(8);  // 80 %
  const int f = panel.downsampleFactor();
  EXPECT_EQ(f, 6);  // ceil(1024 / 192)
  QCPColorMapData* d = panel.heatmap()->data();
  EXPECT_EQ(d->keySize(), (320 + f - 1) / f);
  EXPECT_EQ(d->valueSize(), (1024 + f - 1) / f);
  double sum = 0;  // full blocks average to the kept fraction overall
  int full = 0;
  for (int y = 0; y < 1024 / f; ++y)
    for (int x = 0; x < 320 / f; ++x, ++full) {
      const double v = d->cell(x, y);
      ASSERT_GE(v, 0.0);
      ASSERT_LE(v, 1.0);
      sum += v;
    }
  EXPECT_NEAR(sum / full, 0.2, 0.01);
  auto* title = qobject_cast<QCPTextElement*>(panel.heatmapPlot()->plotLayout()->element(0, 0));
  ASSERT_NE(title, nullptr);
  EXPECT_TRUE(title->text().contains("6x6 blocks")) << title->text().toStdString();
  EXPECT_TRUE(title->text().contains("65536 of 327680 kept")) << title->text().toStdString();
}

TEST(MaskPanel, BarsShowTheSubnetsPerLayerLevelsAndTheSliderFollowsTheLayer) {
  omnisparse::test::qt_app();
  MaskPanel panel;
  panel.setSubnet(run_with({random_layer("a", 8, 8, 1), random_layer("b", 8, 8, 2),
                            random_layer("c", 8, 8, 3)}), 0);
  ASSERT_EQ(panel.bars()->dataCount(), 3);
  EXPECT_DOUBLE_EQ(panel.bars()->data()->at(0)->value, 50.0);
  EXPECT_DOUBLE_EQ(panel.bars()->data()->at(1)->value, 90.0);
  EXPECT_DOUBLE_EQ(panel.bars()->data()->at(2)->value, 30.0);
  panel.setLayer(1);
  EXPECT_DOUBLE_EQ(panel.level(), 0.9);  // this layer's level in the sub-network
  EXPECT_EQ(panel.survivorCount(), 7);   // ceil(0.1 * 64)
}
