#include "widgets/facade/mask_rule.h"

#include <algorithm>
#include <cmath>

namespace omnisparse::widgets {

qint64 kept_count(qint64 n, double sparsity) {
  const double keep = std::clamp(1.0 - sparsity, 0.0, 1.0) * static_cast<double>(n);
  // 1e-9 absorbs representation error (1 - 0.9) * 100 = 10.000000000000002.
  return std::min<qint64>(n, static_cast<qint64>(std::ceil(keep - 1e-9)));
}

QVector<quint8> survivors(const LayerRanks& layer, double sparsity) {
  const qint64 k = kept_count(layer.ranks.size(), sparsity);
  QVector<quint8> mask(layer.ranks.size());
  for (qsizetype i = 0; i < layer.ranks.size(); ++i) mask[i] = layer.ranks[i] < k ? 1 : 0;
  return mask;
}

qint64 survivor_count(const LayerRanks& layer, double sparsity) {
  const QVector<quint8> m = survivors(layer, sparsity);
  return std::count(m.begin(), m.end(), quint8{1});
}

NestednessReport check_nestedness(const QVector<LayerRanks>& layers, QVector<double> ladder) {
  std::sort(ladder.begin(), ladder.end());
  NestednessReport report;
  for (const LayerRanks& layer : layers) {
    const qint64 n = layer.ranks.size();
    QVector<quint8> prev;
    double prev_level = 0;
    for (double level : ladder) {
      QVector<quint8> cur = survivors(layer, level);
      const qint64 count = std::count(cur.begin(), cur.end(), quint8{1});
      if (count != kept_count(n, level)) {
        return {false, layer.name, prev_level, level,
                QString("%1 keeps %2 weights at %3 % sparsity, expected %4 (ranks are not a "
                        "permutation)")
                    .arg(layer.name).arg(count).arg(level * 100, 0, 'g', 3)
                    .arg(kept_count(n, level))};
      }
      if (!prev.isEmpty()) {
        for (qint64 i = 0; i < n; ++i) {
          if (cur[i] && !prev[i]) {
            return {false, layer.name, prev_level, level,
                    QString("%1: weight %2 survives at %3 % but not at %4 %")
                        .arg(layer.name).arg(i).arg(level * 100, 0, 'g', 3)
                        .arg(prev_level * 100, 0, 'g', 3)};
          }
        }
      }
      prev = std::move(cur);
      prev_level = level;
    }
  }
  report.reason = QString("%1 layers nested over %2 levels").arg(layers.size()).arg(ladder.size());
  return report;
}

}  // namespace omnisparse::widgets
