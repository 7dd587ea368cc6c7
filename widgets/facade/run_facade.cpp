#include "widgets/facade/run_facade.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/io/results_store.h"
#include "core/sparsity/ladder.h"
#include "core/tensor/device.h"

namespace omnisparse::widgets {

bool cuda_available(QString* why) {
  std::string reason;
  const bool ok = omnisparse::cuda_available(&reason);
  if (!ok && why) *why = QString::fromStdString(reason);
  return ok;
}

QString version() { return QStringLiteral(OMNISPARSE_VERSION); }

QVector<double> default_ladder() {
  const Ladder ladder;
  return QVector<double>(ladder.levels.begin(), ladder.levels.end());
}

namespace {

SubnetRow to_row(const SubnetResult& r) {
  SubnetRow row;
  row.id = QString::fromStdString(r.id);
  row.source = QString::fromStdString(r.source);
  row.label = QString::fromStdString(r.label);
  // The plot's x is every non-zero parameter (what a deployed model holds), not only the
  // prunable ones; older rows without it fall back to the prunable count.
  row.nnz = r.nonzero_params > 0 ? r.nonzero_params : r.nnz;
  row.total_params = r.total_params;
  row.bytes_dense = r.bytes_dense;
  row.bytes_sparse = r.bytes_sparse;
  auto it = r.evals.find("dev");
  if (it == r.evals.end()) it = r.evals.begin();
  row.wer = it != r.evals.end() ? it->second.wer : NAN;
  row.cer = it != r.evals.end() ? it->second.cer : NAN;
  for (const auto& [set, m] : r.evals) row.sets.insert(QString::fromStdString(set), {m.wer, m.cer});
  row.rtf = r.rtf;
  row.latency_ms = r.latency_ms;
  row.pareto = r.pareto;
  for (float s : r.sparsity) row.levels.append(s);
  return row;
}

LayerRanks to_ranks(const QString& name, const at::Tensor& t) {
  LayerRanks l;
  l.name = name;
  const at::Tensor r = t.to(at::kInt).contiguous();  // [rows, cols]
  l.rows = r.dim() >= 1 ? int(r.size(0)) : 1;
  l.cols = l.rows > 0 ? int(r.numel() / l.rows) : 0;
  l.ranks.resize(r.numel());
  std::copy(r.data_ptr<int32_t>(), r.data_ptr<int32_t>() + r.numel(), l.ranks.begin());
  return l;
}

}  // namespace

RunResults load_run_results(const QString& run_dir, QString* error) {
  RunResults r;
  r.run_dir = QDir(run_dir).absolutePath();
  r.name = QFileInfo(r.run_dir).fileName();
  r.ladder = default_ladder();
  const QString path = QDir(run_dir).filePath("results.h5");
  if (!QFileInfo::exists(path)) {
    if (error) *error = QString("%1 has no results.h5 yet: Sweep evaluates its sub-networks").arg(r.name);
    return r;
  }
  try {
    const ResultsStore store = ResultsStore::open_read_only(path.toStdString());
    for (const std::string& n : store.layer_names()) r.layer_names << QString::fromStdString(n);
    for (const SubnetResult& s : store.all()) {
      SubnetRow row = to_row(s);
      if (std::isfinite(row.wer)) r.rows.append(row);  // not evaluated on any set: not plottable
      for (double lv : row.levels) {  // levels outside the default ladder join the slider
        const double rounded = std::round(lv * 1000.0) / 1000.0;
        if (std::none_of(r.ladder.begin(), r.ladder.end(),
                         [&](double x) { return std::abs(x - rounded) < 1e-6; }))
          r.ladder.append(rounded);
      }
    }
    std::sort(r.ladder.begin(), r.ladder.end());
    static const QRegularExpression fitness_subset(R"(-first\d+$)");
    for (const SubnetRow& row : r.rows)
      for (const QString& set : row.sets.keys())
        if (!r.sets.contains(set) && !fitness_subset.match(set).hasMatch()) r.sets << set;
    std::sort(r.sets.begin(), r.sets.end(), [](const QString& a, const QString& b) {
      return (a == "dev") != (b == "dev") ? a == "dev" : a < b;
    });
    for (const auto& [name, tensor] : store.load_ranks())
      r.ranks.append(to_ranks(QString::fromStdString(name), tensor));
    // Model order, as the layer names list them.
    std::stable_sort(r.ranks.begin(), r.ranks.end(), [&](const LayerRanks& a, const LayerRanks& b) {
      return r.layer_names.indexOf(a.name) < r.layer_names.indexOf(b.name);
    });
  } catch (const std::exception& e) {
    if (error) *error = QString("%1: %2").arg(r.name, QString::fromUtf8(e.what()));
    r.rows.clear();
    r.ranks.clear();
  }
  return r;
}

RunResults with_set(const RunResults& run, const QString& set, bool keep_if_absent) {
  if (set.isEmpty() || (keep_if_absent && !run.sets.contains(set))) return run;
  RunResults r = run;
  r.rows.clear();
  for (SubnetRow row : run.rows) {
    const auto it = row.sets.constFind(set);
    if (it == row.sets.constEnd()) continue;
    row.wer = it->wer;
    row.cer = it->cer;
    r.rows.append(row);
  }
  return r;
}

}  // namespace omnisparse::widgets
