// The Pareto figure, shared by the Pareto panel and `omnisparse pareto --plot out.png`: WER (%)
// against non-zero parameters for every sub-network of one or more runs, each run's front as a
// step line with solid markers, dominated points faded, a legend with one entry per run.
//
//   QVector<ParetoSeries> s = {{"omni", rows}};
//   draw_pareto(plot, s);                           // into a widget
//   render_pareto(s, "front.png", {1000, 650}, &err);  // offscreen (needs a QApplication)
#pragma once

#include <QColor>
#include <QSize>
#include <QString>
#include <QVector>

#include "widgets/facade/run_facade.h"

class QCustomPlot;

namespace omnisparse::widgets {

struct ParetoSeries {
  QString name;            // legend entry, e.g. the run directory's name
  QVector<SubnetRow> rows;
  QColor color;            // invalid: the palette colour of the series index
  Qt::PenStyle line = Qt::SolidLine;  // the front's step line (dashed: a reference, e.g. a parent)
};

// Non-dominated set when minimising both nnz and WER: true where no other row has nnz <= and
// WER <= with one of them strictly smaller. Equal points are all on the front. O(n log n).
QVector<bool> pareto_front(const QVector<SubnetRow>& rows);

// Clears `plot` and draws the series. Graph layout (for callers that hit-test or restyle):
// per series i, graph 2i is its front (step line + markers, in the legend) and graph 2i+1 its
// dominated points (faded, not in the legend).
void draw_pareto(QCustomPlot* plot, const QVector<ParetoSeries>& series,
                 const QString& title = QString());

// Draws into an offscreen plot and saves PNG or PDF (by extension). False + *error on failure.
bool render_pareto(const QVector<ParetoSeries>& series, const QString& path, QSize size,
                   QString* error, const QString& title = QString());

// "1.2 M", "850 k", "312": parameter and byte counts for axes and tooltips.
QString human_count(double n);
QString human_bytes(double bytes);

}  // namespace omnisparse::widgets
