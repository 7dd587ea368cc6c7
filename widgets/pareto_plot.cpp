#include "widgets/pareto_plot.h"

#include <QFileInfo>

#include <algorithm>
#include <numeric>

#include "widgets/qcp.h"
#include "widgets/theme.h"

namespace omnisparse::widgets {

namespace {

// Axis ticks as "1.2 M" instead of "1.2e+06".
class CountTicker : public QCPAxisTicker {
 protected:
  QString getTickLabel(double tick, const QLocale&, QChar, int) override {
    return human_count(tick);
  }
};

}  // namespace

QString human_count(double n) {
  const double a = std::abs(n);
  if (a >= 1e9) return QString::number(n / 1e9, 'g', 3) + " G";
  if (a >= 1e6) return QString::number(n / 1e6, 'g', 3) + " M";
  if (a >= 1e3) return QString::number(n / 1e3, 'g', 3) + " k";
  return QString::number(n, 'g', 3);
}

QString human_bytes(double bytes) {
  const double a = std::abs(bytes);
  if (a >= 1024.0 * 1024 * 1024) return QString::number(bytes / (1024.0 * 1024 * 1024), 'f', 2) + " GiB";
  if (a >= 1024.0 * 1024) return QString::number(bytes / (1024.0 * 1024), 'f', 2) + " MiB";
  if (a >= 1024.0) return QString::number(bytes / 1024.0, 'f', 1) + " KiB";
  return QString::number(bytes, 'f', 0) + " B";
}

QVector<bool> pareto_front(const QVector<SubnetRow>& rows) {
  QVector<int> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return rows[a].nnz != rows[b].nnz ? rows[a].nnz < rows[b].nnz : rows[a].wer < rows[b].wer;
  });
  QVector<bool> front(rows.size(), false);
  double best = std::numeric_limits<double>::infinity();  // lowest WER at any smaller nnz
  for (qsizetype g = 0; g < order.size();) {
    qsizetype end = g;  // [g, end): one nnz value; its first row has the group's lowest WER
    while (end < order.size() && rows[order[end]].nnz == rows[order[g]].nnz) ++end;
    const double group_min = rows[order[g]].wer;
    if (group_min < best) {
      for (qsizetype i = g; i < end && rows[order[i]].wer == group_min; ++i) front[order[i]] = true;
      best = group_min;
    }
    g = end;
  }
  return front;
}

void draw_pareto(QCustomPlot* plot, const QVector<ParetoSeries>& series, const QString& title) {
  plot->clearGraphs();
  plot->clearItems();
  apply_plot_theme(plot);
  if (title.isEmpty() != (plot->plotLayout()->rowCount() == 1)) {
    if (title.isEmpty()) {
      plot->plotLayout()->removeAt(0);
      plot->plotLayout()->simplify();
    } else {
      plot->plotLayout()->insertRow(0);
      plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, title,
                                                               QFont("DejaVu Sans", 11, QFont::Bold)));
    }
  } else if (!title.isEmpty()) {
    if (auto* t = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))) t->setText(title);
  }
  plot->xAxis->setLabel("non-zero parameters");
  plot->yAxis->setLabel("WER (%)");
  plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new CountTicker));
  plot->legend->setVisible(!series.isEmpty());
  plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);

  for (int s = 0; s < series.size(); ++s) {
    const ParetoSeries& ser = series[s];
    const QColor color = ser.color.isValid() ? ser.color : series_color(s);
    const QVector<bool> front = pareto_front(ser.rows);
    QVector<double> fx, fy, dx, dy;
    for (int i = 0; i < ser.rows.size(); ++i) {
      (front[i] ? fx : dx).append(static_cast<double>(ser.rows[i].nnz));
      (front[i] ? fy : dy).append(ser.rows[i].wer * 100.0);
    }
    QCPGraph* f = plot->addGraph();
    f->setName(QString("%1 (front %2 of %3)").arg(ser.name).arg(fx.size()).arg(ser.rows.size()));
    f->setPen(QPen(color, 2, ser.line));
    f->setLineStyle(QCPGraph::lsStepLeft);  // best WER reachable at <= this many parameters
    f->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(color.darker(130), 1.2),
                                       QBrush(color), 8));
    f->setData(fx, fy);
    QColor faded = color;
    faded.setAlpha(80);
    QCPGraph* d = plot->addGraph();
    d->setName(ser.name + " (dominated)");
    d->setLineStyle(QCPGraph::lsNone);
    d->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(faded, 1),
                                       QBrush(QColor(color.red(), color.green(), color.blue(), 35)), 6));
    d->setData(dx, dy);
    d->removeFromLegend();
  }
  plot->rescaleAxes();
  plot->xAxis->scaleRange(1.08, plot->xAxis->range().center());
  plot->yAxis->scaleRange(1.12, plot->yAxis->range().center());
  if (plot->xAxis->range().size() == 0) plot->xAxis->setRange(0, 1);
  if (plot->yAxis->range().size() == 0) plot->yAxis->setRange(0, 100);
}

bool render_pareto(const QVector<ParetoSeries>& series, const QString& path, QSize size,
                   QString* error, const QString& title) {
  QCustomPlot plot;
  plot.resize(size);
  draw_pareto(&plot, series, title);
  const QString ext = QFileInfo(path).suffix().toLower();
  bool ok = false;
  if (ext == "pdf") {
    ok = plot.savePdf(path, size.width(), size.height());
  } else if (ext == "png") {
    ok = plot.savePng(path, size.width(), size.height(), 2.0);  // 2x: crisp in docs
  } else {
    if (error) *error = QString("%1: use a .png or .pdf name").arg(path);
    return false;
  }
  if (!ok && error) *error = QString("%1: cannot write the plot").arg(path);
  return ok;
}

}  // namespace omnisparse::widgets
