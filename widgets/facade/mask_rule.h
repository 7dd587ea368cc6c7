// The nested-mask rule on saved ranks, as the mask panel shows it (DESIGN.md section 2):
// at sparsity s a layer of n weights keeps the top ceil((1-s) n), i.e. weight i survives iff
// ranks[i] < kept_count(n, s). Plus a nestedness check that verifies, from the ranks, that each
// level's kept set contains the next (sparser) level's kept set and has the promised size.
#pragma once

#include <QString>
#include <QVector>

#include "widgets/facade/run_facade.h"

namespace omnisparse::widgets {

// ceil((1-s) n), robust to float noise in s (0.9 must keep exactly 10 % of 100).
qint64 kept_count(qint64 n, double sparsity);

// 1 where the weight survives at `sparsity`, row-major like the ranks.
QVector<quint8> survivors(const LayerRanks& layer, double sparsity);

// Number of surviving weights (counts the mask, so broken ranks show up as a wrong count).
qint64 survivor_count(const LayerRanks& layer, double sparsity);

struct NestednessReport {
  bool ok = true;
  QString layer;     // first offending layer
  double from = 0;   // the pair of levels where it broke
  double to = 0;
  QString reason;    // one line for the indicator's tooltip
};

// For each layer and each consecutive pair of `ladder` levels (ascending): kept(to) must be a
// subset of kept(from), and each kept set must hold exactly kept_count weights (duplicate or
// out-of-range ranks break that).
NestednessReport check_nestedness(const QVector<LayerRanks>& layers, QVector<double> ladder);

}  // namespace omnisparse::widgets
