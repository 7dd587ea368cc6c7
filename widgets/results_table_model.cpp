#include "widgets/results_table_model.h"

#include <QColor>
#include <QFont>

#include <cmath>

#include "widgets/pareto_plot.h"

namespace omnisparse::widgets {

void ResultsTableModel::setRuns(const QVector<RunResults>& runs,
                                const QVector<QVector<bool>>& front) {
  beginResetModel();
  runs_ = runs;
  front_ = front;
  entries_.clear();
  for (int r = 0; r < runs_.size(); ++r)
    for (int i = 0; i < runs_[r].rows.size(); ++i) entries_.append({r, i});
  endResetModel();
}

int ResultsTableModel::modelRow(int run, int row) const {
  for (int i = 0; i < entries_.size(); ++i)
    if (entries_[i].run == run && entries_[i].row == row) return i;
  return -1;
}

int ResultsTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

int ResultsTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResultsTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= entries_.size()) return {};
  const Entry e = entries_[index.row()];
  const SubnetRow& s = runs_[e.run].rows[e.row];
  const bool on_front = e.run < front_.size() && e.row < front_[e.run].size() && front_[e.run][e.row];
  const double sparsity = s.total_params > 0 ? 1.0 - double(s.nnz) / double(s.total_params) : 0.0;
  if (role == RunIndexRole) return e.run;
  if (role == RowIndexRole) return e.row;
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Run: return runs_[e.run].name;
      case Id: return s.id;
      case Source: return s.source;
      case Nnz: return human_count(double(s.nnz));
      case Sparsity: return QString::number(sparsity * 100, 'f', 1);
      case Bytes: return human_bytes(double(s.bytes_sparse));
      case Wer: return QString::number(s.wer * 100, 'f', 2);
      case Cer: return QString::number(s.cer * 100, 'f', 2);
      case Rtf: return std::isfinite(s.rtf) ? QString::number(s.rtf, 'f', 3) : QString("-");
      case Latency:
        return std::isfinite(s.latency_ms) ? QString::number(s.latency_ms, 'f', 1) : QString("-");
      case Front: return on_front ? QString("yes") : QString();
    }
  }
  if (role == SortRole) {
    switch (index.column()) {
      case Nnz: return double(s.nnz);
      case Sparsity: return sparsity;
      case Bytes: return double(s.bytes_sparse);
      case Wer: return s.wer;
      case Cer: return s.cer;
      case Rtf: return s.rtf;
      case Latency: return s.latency_ms;
      case Front: return on_front ? 1 : 0;
      default: return data(index, Qt::DisplayRole);
    }
  }
  if (role == Qt::TextAlignmentRole && index.column() >= Nnz)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ForegroundRole && !on_front) return QColor(110, 110, 110);
  if (role == Qt::FontRole && on_front) {
    QFont f;
    f.setBold(index.column() == Wer);
    return f;
  }
  return {};
}

QVariant ResultsTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"Run",  "Sub-network", "Source", "Non-zero", "Sparsity %", "Size",
                                "WER %", "CER %",      "RTF",    "Chunk ms", "Front"};
  return section < ColumnCount ? QString(names[section]) : QVariant();
}

}  // namespace omnisparse::widgets
