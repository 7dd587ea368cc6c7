#include "widgets/mask_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/pareto_plot.h"
#include "widgets/qcp.h"
#include "widgets/theme.h"

namespace omnisparse::widgets {

namespace {
QString pct(double s) { return QString::number(s * 100, 'g', 3) + " %"; }

QCPTextElement* add_title(QCustomPlot* plot) {
  plot->plotLayout()->insertRow(0);
  auto* t = new QCPTextElement(plot, "", QFont("DejaVu Sans", 10, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, t);
  return t;
}
}  // namespace

MaskPanel::MaskPanel(QWidget* parent) : QWidget(parent) {
  layer_box_ = new QComboBox(this);
  layer_box_->setMinimumContentsLength(22);
  layer_box_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  slider_ = new QSlider(Qt::Horizontal, this);
  slider_->setTickPosition(QSlider::TicksBelow);
  slider_->setPageStep(1);
  slider_->setMinimumWidth(220);
  level_label_ = new QLabel(this);
  level_label_->setMinimumWidth(150);
  nested_label_ = new QLabel(this);
  nested_label_->setTextFormat(Qt::RichText);
  info_ = new QLabel(this);
  info_->setWordWrap(true);

  heat_plot_ = new QCustomPlot(this);
  apply_plot_theme(heat_plot_);
  add_title(heat_plot_);
  heat_plot_->xAxis->setLabel("input column");
  heat_plot_->yAxis->setLabel("output row");
  heat_plot_->yAxis->setRangeReversed(true);  // row 0 at the top, like the matrix
  map_ = new QCPColorMap(heat_plot_->xAxis, heat_plot_->yAxis);
  QCPColorGradient gradient;
  gradient.setColorStopAt(0.0, QColor(245, 245, 245));
  gradient.setColorStopAt(0.5, QColor(120, 170, 215));
  gradient.setColorStopAt(1.0, QColor(0, 70, 140));
  map_->setGradient(gradient);
  map_->setDataRange(QCPRange(0, 1));
  map_->setInterpolate(false);
  auto* scale = new QCPColorScale(heat_plot_);
  heat_plot_->plotLayout()->addElement(1, 1, scale);
  scale->setDataRange(QCPRange(0, 1));
  scale->setGradient(gradient);
  scale->axis()->setLabel("fraction kept");
  map_->setColorScale(scale);
  auto* group = new QCPMarginGroup(heat_plot_);
  heat_plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  heat_plot_->setMinimumSize(380, 300);

  bar_plot_ = new QCustomPlot(this);
  apply_plot_theme(bar_plot_);
  add_title(bar_plot_)->setText("Per-layer sparsity of the sub-network");
  // Horizontal bars: layer names stay readable however many layers there are.
  bar_plot_->xAxis->setLabel("sparsity (%)");
  bar_plot_->xAxis->setRange(0, 100);
  bar_plot_->yAxis->setRangeReversed(true);  // first layer on top
  bars_ = new QCPBars(bar_plot_->yAxis, bar_plot_->xAxis);
  bars_->setWidth(0.7);
  bars_->setPen(Qt::NoPen);
  bars_->setBrush(series_color(0));
  bars_current_ = new QCPBars(bar_plot_->yAxis, bar_plot_->xAxis);
  bars_current_->setWidth(0.7);
  bars_current_->setPen(QPen(Qt::black, 1));
  bars_current_->setBrush(series_color(1));
  bar_plot_->setMinimumSize(300, 240);

  auto* controls = new QHBoxLayout();
  controls->addWidget(new QLabel("Layer", this));
  controls->addWidget(layer_box_);
  controls->addSpacing(12);
  controls->addWidget(new QLabel("Level", this));
  controls->addWidget(slider_, 1);
  controls->addWidget(level_label_);
  controls->addSpacing(12);
  controls->addWidget(nested_label_);
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(heat_plot_);
  split->addWidget(bar_plot_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(controls);
  layout->addWidget(info_);
  layout->addWidget(split, 1);

  connect(layer_box_, &QComboBox::currentIndexChanged, this, [this](int i) { setLayer(i); });
  connect(slider_, &QSlider::valueChanged, this, [this] {
    drawBars();
    redraw();
  });
  clear();
}

void MaskPanel::clear() { setSubnet(RunResults(), -1); }

void MaskPanel::setSubnet(const RunResults& run, int row) {
  run_ = run;
  if (run_.ladder.isEmpty()) run_.ladder = default_ladder();
  row_ = row >= 0 && row < run_.rows.size() ? row : -1;
  // QVector is implicitly shared: the same run's ranks keep their data pointer across copies.
  if (run_.ranks.isEmpty() || run_.ranks.constData() != nested_ranks_.constData() ||
      run_.ladder != nested_ladder_) {
    nested_ = check_nestedness(run_.ranks, run_.ladder);
    nested_ranks_ = run_.ranks;
    nested_ladder_ = run_.ladder;
  }
  const QSignalBlocker block_box(layer_box_), block_slider(slider_);
  layer_box_->clear();
  for (const LayerRanks& l : run_.ranks)
    layer_box_->addItem(QString("%1  [%2 x %3]").arg(l.name).arg(l.rows).arg(l.cols));
  slider_->setRange(0, int(run_.ladder.size()) - 1);
  layer_ = std::clamp(layer_, 0, std::max(0, int(run_.ranks.size()) - 1));
  layer_box_->setCurrentIndex(layer_);
  drawBars();
  setLayer(layer_);
}

void MaskPanel::setLayer(int index) {
  if (index < 0 || index >= run_.ranks.size()) index = 0;
  layer_ = index;
  {
    const QSignalBlocker b(layer_box_);
    layer_box_->setCurrentIndex(index);
  }
  // Jump the slider to this layer's level in the selected sub-network.
  if (row_ >= 0 && index < run_.rows[row_].levels.size()) {
    const double lv = run_.rows[row_].levels[index];
    int best = 0;
    for (int i = 0; i < run_.ladder.size(); ++i)
      if (std::abs(run_.ladder[i] - lv) < std::abs(run_.ladder[best] - lv)) best = i;
    const QSignalBlocker b(slider_);
    slider_->setValue(best);
  }
  drawBars();
  redraw();
}

void MaskPanel::setLevelIndex(int ladder_index) { slider_->setValue(ladder_index); }

double MaskPanel::level() const {
  const int i = slider_->value();
  return i >= 0 && i < run_.ladder.size() ? run_.ladder[i] : 0.0;
}

QString MaskPanel::nestednessText() const {
  if (run_.ranks.isEmpty()) return "nestedness: no ranks";
  return nested_.ok ? QString("<span style='color:#080'>&#10004; nested</span>")
                    : QString("<span style='color:#c00'>&#10008; not nested: %1</span>")
                          .arg(nested_.layer.toHtmlEscaped());
}

void MaskPanel::redraw() {
  const double s = level();
  level_label_->setText(QString("%1 sparse").arg(pct(s)));
  nested_label_->setText(nestednessText());
  nested_label_->setToolTip(nested_.reason);
  auto* title = qobject_cast<QCPTextElement*>(heat_plot_->plotLayout()->element(0, 0));
  if (run_.ranks.isEmpty()) {
    survivors_ = 0;
    factor_ = 1;
    map_->data()->clear();
    map_->setVisible(false);
    title->setText("No ranks: select a sub-network of a run with results.h5");
    info_->setText(run_.run_dir.isEmpty() ? "Select a sub-network in the Pareto panel."
                                          : QString("%1 stored no per-layer ranks.").arg(run_.name));
    heat_plot_->replot();
    return;
  }
  map_->setVisible(true);
  const LayerRanks& l = run_.ranks[layer_];
  const QVector<quint8> keep = survivors(l, s);
  survivors_ = std::count(keep.begin(), keep.end(), quint8{1});
  factor_ = std::max(1, int(std::ceil(double(std::max(l.rows, l.cols)) / kMaxCells)));
  const int ny = (l.rows + factor_ - 1) / factor_, nx = (l.cols + factor_ - 1) / factor_;
  // Block density: fraction of each factor x factor block that survives. [ny, nx]
  QVector<double> sum(qsizetype(nx) * ny, 0.0), cnt(qsizetype(nx) * ny, 0.0);
  for (int r = 0; r < l.rows; ++r)
    for (int c = 0; c < l.cols; ++c) {
      const qsizetype cell = qsizetype(r / factor_) * nx + c / factor_;
      sum[cell] += keep[qsizetype(r) * l.cols + c];
      cnt[cell] += 1;
    }
  map_->data()->setSize(nx, ny);
  map_->data()->setRange(QCPRange(0, l.cols - 1), QCPRange(0, l.rows - 1));
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x)
      map_->data()->setCell(x, y, sum[qsizetype(y) * nx + x] / cnt[qsizetype(y) * nx + x]);
  title->setText(QString("%1 [%2 x %3] at %4: %5 of %6 kept%7")
                     .arg(l.name).arg(l.rows).arg(l.cols).arg(pct(s))
                     .arg(survivors_).arg(l.ranks.size())
                     .arg(factor_ > 1 ? QString(" (%1x%1 blocks)").arg(factor_) : QString()));
  heat_plot_->xAxis->setRange(-0.5, l.cols - 0.5);
  heat_plot_->yAxis->setRange(-0.5, l.rows - 0.5);
  const SubnetRow* sub = row_ >= 0 ? &run_.rows[row_] : nullptr;
  info_->setText(sub ? QString("Sub-network <b>%1</b> of %2: %3 non-zero, WER %4 %. The slider "
                               "shows any level of the ladder; masks are nested by construction.")
                           .arg(sub->id.toHtmlEscaped(), run_.name.toHtmlEscaped(),
                                human_count(double(sub->nnz)))
                           .arg(sub->wer * 100, 0, 'f', 2)
                     : QString("%1: ranks of %2 layers").arg(run_.name).arg(run_.ranks.size()));
  heat_plot_->replot();
}

void MaskPanel::drawBars() {
  QVector<double> x, y;
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  const QStringList names = !run_.layer_names.isEmpty() ? run_.layer_names : [&] {
    QStringList n;
    for (const LayerRanks& l : run_.ranks) n << l.name;
    return n;
  }();
  for (int i = 0; i < names.size(); ++i) {
    double s = 0;
    if (row_ >= 0 && i < run_.rows[row_].levels.size()) {
      s = run_.rows[row_].levels[i];
    } else if (i < run_.ranks.size()) {
      s = level();  // no sub-network: the slider's uniform level
    }
    x << i;
    y << s * 100;
    ticker->addTick(i, names[i]);
  }
  bars_->setData(x, y);
  if (layer_ < x.size()) {
    bars_current_->setData({x[layer_]}, {y[layer_]});
  } else {
    bars_current_->data()->clear();
  }
  bar_plot_->yAxis->setTicker(ticker);
  bar_plot_->yAxis->setRange(-0.6, std::max<double>(names.size(), 1) - 0.4);
  bar_plot_->replot();
}

}  // namespace omnisparse::widgets
