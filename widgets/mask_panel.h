// Mask panel: for the selected sub-network, which weights of each prunable layer survive.
// A heatmap of one layer (QCPColorMap; big matrices shown as block densities, factor in the
// title), a layer picker, per-layer sparsity bars of the whole sub-network (QCPBars), a slider
// over the sparsity ladder that redraws the survivors at any level, and a nestedness indicator
// that checks from the saved ranks that every level's kept set contains the next one's.
#pragma once

#include <QWidget>

#include "widgets/facade/mask_rule.h"
#include "widgets/facade/run_facade.h"

class QComboBox;
class QLabel;
class QSlider;
class QCustomPlot;
class QCPColorMap;
class QCPBars;

namespace omnisparse::widgets {

class MaskPanel : public QWidget {
  Q_OBJECT

 public:
  explicit MaskPanel(QWidget* parent = nullptr);

  // Shows `run`'s ranks; `row` picks the sub-network whose per-layer levels are shown
  // (-1: none, the slider alone decides).
  void setSubnet(const RunResults& run, int row);
  void clear();

  void setLayer(int index);
  void setLevelIndex(int ladder_index);  // moves the slider
  int layer() const { return layer_; }
  double level() const;

  // What the panel shows now: survivors of the current layer at the current level, the
  // heatmap's block factor, and the nestedness verdict.
  qint64 survivorCount() const { return survivors_; }
  int downsampleFactor() const { return factor_; }
  const NestednessReport& nestedness() const { return nested_; }
  QString nestednessText() const;
  QCPColorMap* heatmap() const { return map_; }
  QCPBars* bars() const { return bars_; }
  QCustomPlot* heatmapPlot() const { return heat_plot_; }

  // The largest heatmap side in cells; bigger layers are averaged over factor x factor blocks.
  static constexpr int kMaxCells = 192;

 private:
  void redraw();
  void drawBars();

  RunResults run_;
  int row_ = -1;
  int layer_ = 0;
  qint64 survivors_ = 0;
  int factor_ = 1;
  NestednessReport nested_;
  // What nested_ was computed from: selecting another sub-network of the same run (the common
  // case, every click on the Pareto plot) must not re-check every layer at every level.
  // A shared copy of the ranks it was computed from: holding it keeps their buffer alive, so no
  // other run's ranks can reuse the address and be mistaken for these.
  QVector<LayerRanks> nested_ranks_;
  QVector<double> nested_ladder_;

  QComboBox* layer_box_;
  QSlider* slider_;
  QLabel *level_label_, *nested_label_, *info_;
  QCustomPlot *heat_plot_, *bar_plot_;
  QCPColorMap* map_;
  QCPBars* bars_;
  QCPBars* bars_current_;
};

}  // namespace omnisparse::widgets
