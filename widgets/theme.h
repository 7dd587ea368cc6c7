// Colours and fonts shared by every plot in the workbench and by CLI-rendered figures, so a
// PNG from `omnisparse pareto --plot` looks like the panel it came from.
#pragma once

#include <QColor>
#include <QFont>

class QCustomPlot;

namespace omnisparse::widgets {

// A qualitative palette (colour-blind safe, Okabe-Ito); runs and sparsity levels cycle through it.
QColor series_color(int index);

// Axis fonts, grid pens and margins applied to a plot.
void apply_plot_theme(QCustomPlot* plot);

}  // namespace omnisparse::widgets
