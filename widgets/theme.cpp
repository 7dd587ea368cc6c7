#include "widgets/theme.h"

#include <array>

#include "widgets/qcp.h"

namespace omnisparse::widgets {

QColor series_color(int index) {
  static const std::array<QColor, 8> palette = {
      QColor(0, 114, 178),   QColor(213, 94, 0),   QColor(0, 158, 115), QColor(204, 121, 167),
      QColor(230, 159, 0),   QColor(86, 180, 233), QColor(0, 0, 0),     QColor(240, 228, 66)};
  if (index < 0) index = -index;
  return palette[static_cast<size_t>(index) % palette.size()];
}

void apply_plot_theme(QCustomPlot* plot) {
  QFont tick("DejaVu Sans", 9), label("DejaVu Sans", 10);
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
    axis->setTickLabelFont(tick);
    axis->setLabelFont(label);
    axis->grid()->setPen(QPen(QColor(220, 220, 220), 1, Qt::DotLine));
    axis->grid()->setSubGridVisible(false);
  }
  plot->legend->setFont(tick);
  plot->legend->setBrush(QBrush(QColor(255, 255, 255, 220)));
  plot->setBackground(Qt::white);
}

}  // namespace omnisparse::widgets
