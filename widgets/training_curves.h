// The training panel's live plots: loss (raw and smoothed), dev WER per evaluated sparsity level
// (one colour per level from the theme palette) and learning rate, redrawn from a
// TrainingHistory. Replots are coalesced so a fast trainer cannot flood the GUI thread.
#pragma once

#include <QWidget>

#include "widgets/training_history.h"

class QCustomPlot;

namespace omnisparse::widgets {

class TrainingCurves : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingCurves(QWidget* parent = nullptr);

  // Copies the curves from `history` and schedules one replot.
  void update(const TrainingHistory& history);
  void replotNow();

  QCustomPlot* lossPlot() const { return loss_; }
  QCustomPlot* werPlot() const { return wer_; }
  QCustomPlot* lrPlot() const { return lr_; }

  // Exponential moving average that the smoothed loss line shows (TensorBoard-style, 0.9).
  static QVector<double> smooth(const QVector<double>& y, double weight = 0.9);

  // Saves the three plots stacked into one PNG or PDF (by extension).
  bool save(const QString& path) const;

 private:
  QCustomPlot *loss_, *wer_, *lr_;
  bool replot_pending_ = false;
};

}  // namespace omnisparse::widgets
