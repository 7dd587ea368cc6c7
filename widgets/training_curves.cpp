#include "widgets/training_curves.h"

#include <QPainter>
#include <QPdfWriter>
#include <QTimer>
#include <QVBoxLayout>

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

void set_placeholder(QCustomPlot* plot, bool empty, const QString& text) {
  // An empty plot says why it is empty instead of showing bare axes.
  QCPItemText* note = nullptr;
  for (int i = 0; i < plot->itemCount(); ++i)
    if ((note = qobject_cast<QCPItemText*>(plot->item(i)))) break;
  if (!note) {
    note = new QCPItemText(plot);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setColor(QColor(120, 120, 120));
    note->setFont(QFont("DejaVu Sans", 9));
  }
  note->setText(text);
  note->setVisible(empty);
}

}  // namespace

TrainingCurves::TrainingCurves(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  loss_ = make_plot("Training loss", "loss", this);
  wer_ = make_plot("Dev WER per sparsity level", "WER (%)", this);
  lr_ = make_plot("Learning rate", "lr", this);
  layout->addWidget(loss_, 3);
  layout->addWidget(wer_, 3);
  layout->addWidget(lr_, 2);

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
  // The WER legend sits in a row under the title: inside the axis rect it hides curves.
  wer_->legend->setVisible(true);
  wer_->axisRect()->insetLayout()->take(wer_->legend);
  wer_->plotLayout()->insertRow(1);
  wer_->plotLayout()->addElement(1, 0, wer_->legend);
  wer_->plotLayout()->setRowStretchFactor(1, 0.001);
  wer_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  wer_->legend->setBorderPen(Qt::NoPen);
  wer_->legend->setMargins(QMargins(4, 0, 4, 0));
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

  // One graph per level, created on first sight, in level order so colours are stable.
  const auto& levels = h.devWer();
  if (wer_->graphCount() != levels.size()) {
    wer_->clearGraphs();
    int i = 0;
    for (auto it = levels.begin(); it != levels.end(); ++it, ++i) {
      QCPGraph* g = wer_->addGraph();
      g->setName(QString("%1 % sparse").arg(it.key() * 100, 0, 'g', 3));
      g->setPen(QPen(series_color(i), 1.8));
      g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    }
  }
  int i = 0;
  for (auto it = levels.begin(); it != levels.end(); ++it, ++i)
    wer_->graph(i)->setData(it.value().x, it.value().y, true);

  set_placeholder(loss_, h.loss().x.isEmpty(), "no training steps yet");
  set_placeholder(wer_, levels.isEmpty(), "no dev evaluation yet");
  set_placeholder(lr_, h.lr().x.isEmpty(), "no training steps yet");
  if (!replot_pending_) {
    replot_pending_ = true;
    QTimer::singleShot(100, this, [this] { replotNow(); });
  }
}

void TrainingCurves::replotNow() {
  replot_pending_ = false;
  for (QCustomPlot* p : {loss_, wer_, lr_}) {
    p->rescaleAxes(true);
    const QCPRange x = p->xAxis->range();
    if (x.size() == 0) p->xAxis->setRange(x.lower - 1, x.upper + 1);  // a single point
    p->yAxis->scaleRange(1.1, p->yAxis->range().center());
    p->replot(QCustomPlot::rpQueuedReplot);
  }
}

bool TrainingCurves::save(const QString& path) const {
  const int w = std::max(width(), 800), h = std::max(height(), 700);
  const QList<QCustomPlot*> plots = {loss_, wer_, lr_};
  auto height_of = [&](QCustomPlot* p) { return h * (p == lr_ ? 2 : 3) / 8; };
  if (path.endsWith(".pdf", Qt::CaseInsensitive)) {
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QSizeF(w, h), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setResolution(72);
    QCPPainter painter(&pdf);
    if (!painter.isActive()) return false;
    for (QCustomPlot* p : plots) {
      p->toPainter(&painter, w, height_of(p));  // vector output
      painter.translate(0, height_of(p));
    }
    return true;
  }
  QPixmap out(w, h);
  out.fill(Qt::white);
  QPainter painter(&out);
  int y = 0;
  for (QCustomPlot* p : plots) {
    painter.drawPixmap(0, y, p->toPixmap(w, height_of(p)));
    y += height_of(p);
  }
  painter.end();
  return out.save(path);
}

}  // namespace omnisparse::widgets
