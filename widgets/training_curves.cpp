#include "widgets/training_curves.h"

#include <QPainter>
#include <QPdfWriter>
#include <QHBoxLayout>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "widgets/qcp.h"
#include "widgets/theme.h"

namespace omnisparse::widgets {

namespace {

QCustomPlot* make_plot(const QString& title, const QString& y_label, QWidget* parent) {
  auto* plot = new QCustomPlot(parent);
  apply_plot_theme(plot);
  plot->plotLayout()->insertRow(0);
  auto* t = new QCPTextElement(plot, title, QFont("DejaVu Sans", 10, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, t);
  plot->xAxis->setLabel("step");
  plot->yAxis->setLabel(y_label);
  plot->setMinimumHeight(140);
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  return plot;
}

// A legend in a row under the title: inside the axis rect it hides curves.
void legend_under_title(QCustomPlot* plot) {
  plot->legend->setVisible(true);
  plot->axisRect()->insetLayout()->take(plot->legend);
  plot->plotLayout()->insertRow(1);
  plot->plotLayout()->addElement(1, 0, plot->legend);
  plot->plotLayout()->setRowStretchFactor(1, 0.001);
  plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  plot->legend->setBorderPen(Qt::NoPen);
  plot->legend->setMargins(QMargins(4, 0, 4, 0));
  // An empty legend's size hint is a few pixels wide, and the layout would squeeze the whole
  // column (title and axis rect) to it: give it no width limit of its own.
  plot->legend->setMaximumSize(100000, QWIDGETSIZE_MAX);
}

QString level_name(double level) { return QString("%1 %").arg(level * 100, 0, 'g', 3); }

void set_placeholder(QCustomPlot* plot, bool empty, const QString& text) {
  // An empty plot says why it is empty instead of showing bare axes.
  QCPItemText* note = nullptr;
  for (int i = 0; i < plot->itemCount() && !note; ++i)
    if (plot->item(i)->objectName() == "placeholder")
      note = qobject_cast<QCPItemText*>(plot->item(i));
  if (!note) {
    note = new QCPItemText(plot);
    note->setObjectName("placeholder");
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setColor(QColor(120, 120, 120));
    note->setFont(QFont("DejaVu Sans", 9));
  }
  note->setText(text);
  note->setVisible(empty);
}

// The colour of a sparsity level: its index among every level either plot shows, so 70 % has
// the same colour in the WER and the mask plots.
QList<double> all_levels(const TrainingHistory& h) {
  QList<double> levels = h.devWer().keys();
  for (double l : h.maskOverlap().keys())
    if (!levels.contains(l)) levels.append(l);
  std::sort(levels.begin(), levels.end());
  return levels;
}

}  // namespace

TrainingCurves::TrainingCurves(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  loss_ = make_plot("Training loss", "loss", this);
  wer_ = make_plot("Dev WER per sparsity level", "WER (%)", this);
  lr_ = make_plot("Learning rate", "lr", this);
  masks_ = make_plot("Mask overlap per refresh", "overlap (%)", this);
  masks_->setToolTip(
      "At each rank refresh of the supernet: the share of a sparsity level's kept weights that\n"
      "were also kept before the refresh (100 % = no mask churn). After the freeze point the\n"
      "masks never change, so the masks trained last are the masks that are evaluated.");
  layout->addWidget(loss_, 3);
  layout->addWidget(wer_, 3);
  auto* bottom = new QHBoxLayout();
  bottom->setSpacing(0);
  bottom->addWidget(lr_, 1);
  bottom->addWidget(masks_, 1);
  layout->addLayout(bottom, 3);

  QCPGraph* raw = loss_->addGraph();
  raw->setName("loss");
  QColor faint = series_color(0);
  faint.setAlpha(70);
  raw->setPen(QPen(faint, 1));
  QCPGraph* smooth_graph = loss_->addGraph();
  smooth_graph->setName("smoothed");
  smooth_graph->setPen(QPen(series_color(0), 2));
  loss_->legend->setVisible(true);
  loss_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);

  lr_->addGraph()->setPen(QPen(series_color(2), 1.5));
  lr_->yAxis->setNumberFormat("gb");
  legend_under_title(wer_);
  legend_under_title(masks_);
  // Where the masks froze: a dashed vertical line, labelled at the top of the axis rect.
  freeze_line_ = new QCPItemStraightLine(masks_);
  freeze_line_->setPen(QPen(QColor(90, 90, 90), 1.2, Qt::DashLine));
  freeze_label_ = new QCPItemText(masks_);
  freeze_label_->setText("masks frozen");
  freeze_label_->setFont(QFont("DejaVu Sans", 8));
  freeze_label_->setColor(QColor(70, 70, 70));
  freeze_label_->setBrush(QBrush(QColor(255, 255, 255, 210)));
  freeze_label_->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
  freeze_label_->position->setTypeX(QCPItemPosition::ptPlotCoords);
  freeze_label_->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
  freeze_label_->setPadding(QMargins(4, 2, 4, 2));
  update(TrainingHistory());
  replotNow();
}

QVector<double> TrainingCurves::smooth(const QVector<double>& y, double weight) {
  QVector<double> out(y.size());
  double acc = 0, norm = 0;
  for (qsizetype i = 0; i < y.size(); ++i) {
    // Debiased EMA: the first points are not dragged towards 0.
    acc = weight * acc + (1 - weight) * y[i];
    norm = weight * norm + (1 - weight);
    out[i] = acc / norm;
  }
  return out;
}

void TrainingCurves::update(const TrainingHistory& h) {
  loss_->graph(0)->setData(h.loss().x, h.loss().y, true);
  loss_->graph(1)->setData(h.loss().x, smooth(h.loss().y), true);
  lr_->graph(0)->setData(h.lr().x, h.lr().y, true);

  // One graph per level, in level order so colours are stable.
  const QList<double> palette = all_levels(h);
  const auto& levels = h.devWer();
  wer_->clearGraphs();
  for (auto it = levels.begin(); it != levels.end(); ++it) {
    QCPGraph* g = wer_->addGraph();
    g->setName(level_name(it.key()) + " sparse");
    g->setPen(QPen(series_color(int(palette.indexOf(it.key()))), 1.8));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    g->setData(it.value().x, it.value().y, true);
  }
  updateMasks(h, palette);

  set_placeholder(loss_, h.loss().x.isEmpty(), "no training steps yet");
  set_placeholder(wer_, levels.isEmpty(), "no dev evaluation yet");
  wer_->legend->setVisible(!levels.isEmpty());
  set_placeholder(lr_, h.lr().x.isEmpty(), "no training steps yet");
  last_step_ = double(h.step());
  if (!replot_pending_) {
    replot_pending_ = true;
    QTimer::singleShot(100, this, [this] { replotNow(); });
  }
}

void TrainingCurves::updateMasks(const TrainingHistory& h, const QList<double>& palette) {
  const auto& levels = h.maskOverlap();
  masks_->clearGraphs();
  for (auto it = levels.begin(); it != levels.end(); ++it) {
    QCPGraph* g = masks_->addGraph();
    g->setName(level_name(it.key()));
    g->setPen(QPen(series_color(int(palette.indexOf(it.key()))), 1.6));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
    QVector<double> percent(it.value().y.size());
    std::transform(it.value().y.begin(), it.value().y.end(), percent.begin(),
                   [](double v) { return v * 100.0; });
    g->setData(it.value().x, percent, true);
  }
  const double frozen = h.masksFrozenAt();
  freeze_line_->setVisible(frozen >= 0);
  freeze_label_->setVisible(frozen >= 0);
  if (frozen >= 0) {
    freeze_line_->point1->setCoords(frozen, 0);
    freeze_line_->point2->setCoords(frozen, 1);
    freeze_label_->position->setCoords(frozen, 0.0);
    freeze_label_->setText(QString("masks frozen (step %1)").arg(frozen));
  }
  masks_->legend->setVisible(!levels.isEmpty());
  bool any_point = false;
  for (const Curve& c : levels) any_point |= !c.x.isEmpty();
  const int refreshes = int(h.maskRefreshSteps().size());
  set_placeholder(masks_, !any_point,
                  refreshes == 0 ? QString("no mask refreshes (supernet runs only)")
                                 : QString("1 refresh so far: overlap starts at the second"));
}

void TrainingCurves::replotNow() {
  replot_pending_ = false;
  for (QCustomPlot* p : {loss_, wer_, lr_, masks_}) {
    p->rescaleAxes(true);
    const QCPRange x = p->xAxis->range();
    if (x.size() == 0) p->xAxis->setRange(x.lower - 1, x.upper + 1);  // a single point
    p->yAxis->scaleRange(1.1, p->yAxis->range().center());
  }
  if (masks_->graphCount() > 0) {
    // Refreshes stop at the freeze point: the axis still runs to the run's last step, so the
    // flat tail after the freeze is visible, and overlap never reads above 100 %.
    QCPRange x = masks_->xAxis->range();
    if (freeze_line_->visible()) x.lower = std::min(x.lower, freeze_line_->point1->coords().x());
    masks_->xAxis->setRange(x.lower, std::max(x.upper, last_step_));
    const QCPRange y = masks_->yAxis->range();
    masks_->yAxis->setRange(std::max(0.0, y.lower), std::min(y.upper, 100.0 + 0.05 * y.size()));
    // The label sits right of the line, where no refresh happens any more, unless the freeze
    // is so late that it would be clipped there.
    const QCPRange shown = masks_->xAxis->range();
    const bool room_right = freeze_line_->point1->coords().x() < shown.lower + 0.65 * shown.size();
    freeze_label_->setPositionAlignment((room_right ? Qt::AlignLeft : Qt::AlignRight) |
                                        Qt::AlignTop);
  }
  for (QCustomPlot* p : {loss_, wer_, lr_, masks_}) p->replot(QCustomPlot::rpQueuedReplot);
}

bool TrainingCurves::save(const QString& path) const {
  const int w = std::max(width(), 800), h = std::max(height(), 760);
  // Where each plot goes: loss and WER full width, learning rate and masks side by side.
  const int row = h / 3;
  const int half = w / 2, bottom = h - 2 * row;
  const QList<QPair<QCustomPlot*, QRect>> cells = {{loss_, QRect(0, 0, w, row)},
                                                   {wer_, QRect(0, row, w, row)},
                                                   {lr_, QRect(0, 2 * row, half, bottom)},
                                                   {masks_, QRect(half, 2 * row, w - half, bottom)}};
  if (path.endsWith(".pdf", Qt::CaseInsensitive)) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QSizeF(w, h), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setResolution(72);
    QCPPainter painter(&pdf);
    if (!painter.isActive()) return false;
    for (const auto& [p, r] : cells) {
      painter.save();
      painter.translate(r.topLeft());
      p->toPainter(&painter, r.width(), r.height());  // vector output
      painter.restore();
    }
    return true;
  }
  QPixmap out(w, h);
  out.fill(Qt::white);
  QPainter painter(&out);
  for (const auto& [p, r] : cells)
    painter.drawPixmap(r.topLeft(), p->toPixmap(r.width(), r.height()));
  painter.end();
  return out.save(path);
}

}  // namespace omnisparse::widgets
