// The Pareto panel's results table: one row per evaluated sub-network of every open run, with
// numeric sort keys (Qt::UserRole) so a QSortFilterProxyModel sorts 9.5 M after 850 k.
#pragma once

#include <QAbstractTableModel>
#include <QVector>

#include "widgets/facade/run_facade.h"

namespace omnisparse::widgets {

class ResultsTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Run, Id, Source, Nnz, Sparsity, Bytes, Wer, Cer, Rtf, Latency, Front, ColumnCount };
  static constexpr int SortRole = Qt::UserRole;
  static constexpr int RunIndexRole = Qt::UserRole + 1;  // index into the runs
  static constexpr int RowIndexRole = Qt::UserRole + 2;  // index into that run's rows

  using QAbstractTableModel::QAbstractTableModel;

  // `front[r][i]`: whether row i of run r is on its run's Pareto front.
  void setRuns(const QVector<RunResults>& runs, const QVector<QVector<bool>>& front);
  // The model row showing (run, row), or -1.
  int modelRow(int run, int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  struct Entry {
    int run, row;
  };
  QVector<RunResults> runs_;
  QVector<QVector<bool>> front_;
  QVector<Entry> entries_;
};

}  // namespace omnisparse::widgets
