// The training panel's live plots: loss (raw and smoothed), dev WER per evaluated sparsity level
// (one colour per level from the theme palette), learning rate and, for a supernet, the mask
// overlap at each rank refresh (per level, with a marker where the masks froze), redrawn from a
// TrainingHistory. A level has the same colour in the WER and mask plots. Replots are coalesced
// so a fast trainer cannot flood the GUI thread.
#pragma once

#include <QWidget>

#include "widgets/training_history.h"

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;

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
  // Graph i: the overlap (%) of the i-th level in ascending order; x = step of the refresh.
  QCustomPlot* maskPlot() const { return masks_; }
  // The vertical "masks frozen" marker (hidden while the masks may still change).
  QCPItemStraightLine* freezeMarker() const { return freeze_line_; }

  // Exponential moving average that the smoothed loss line shows (TensorBoard-style, 0.9).
  static QVector<double> smooth(const QVector<double>& y, double weight = 0.9);

  // Saves the plots into one PNG or PDF (by extension), laid out as on screen: loss, WER, then
  // learning rate and mask overlap side by side.
  bool save(const QString& path) const;

 private:
  void updateMasks(const TrainingHistory& h, const QList<double>& levels);

  QCustomPlot *loss_, *wer_, *lr_, *masks_;
  QCPItemStraightLine* freeze_line_;
  QCPItemText* freeze_label_;
  double last_step_ = 0;  // the mask plot's x axis runs to the run's last step
  bool replot_pending_ = false;
};

}  // namespace omnisparse::widgets
