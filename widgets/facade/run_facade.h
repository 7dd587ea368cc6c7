// The workbench's narrow window onto core: plain Qt/std structs describing a run directory's
// evaluated sub-networks and per-layer magnitude ranks, plus the few core queries the panels
// need (CUDA availability, loading results.h5). Widgets include only this header (and
// mask_rule.h), never torch or ATen; the .cpp is the one place that touches core.
//
//   QString err;
//   RunResults r = load_run_results("/runs/omni", &err);   // empty rows + err when absent
//   for (const SubnetRow& s : r.rows) ...
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace omnisparse::widgets {

// WER and CER (fractions) of a sub-network on one evaluation set.
struct SetScore {
  double wer = 0.0;
  double cer = 0.0;
};

// One evaluated sub-network (a row of results.h5). WER/CER are fractions (0.12 = 12 %) on the
// dev set (else the first evaluated set); `sets` has them on every set the row was evaluated on
// (the Pareto panel switches between them); RTF and latency are NaN when not measured.
struct SubnetRow {
  QString id;      // unique within its run, e.g. "uniform-0.80" or "evo-0042"
  QString source;  // "uniform", "evo", "gmp", ...
  QString label;   // short human label for legends and tooltips
  qint64 nnz = 0;  // non-zero parameters of the whole model at this config (plot x)
  qint64 total_params = 0;
  qint64 bytes_dense = 0;
  qint64 bytes_sparse = 0;
  double wer = 0.0;
  double cer = 0.0;
  QMap<QString, SetScore> sets;  // set name -> scores (search fitness subsets "dev-first100" too)
  double rtf = 0.0;
  double latency_ms = 0.0;
  bool pareto = false;     // as stored; the panels recompute the front themselves
  QVector<double> levels;  // per prunable layer sparsity, aligned with RunResults::layer_names
};

// Magnitude ranks of one prunable layer: rank 0 is the largest weight. Row-major [rows, cols].
struct LayerRanks {
  QString name;
  int rows = 0;
  int cols = 0;
  QVector<qint32> ranks;  // rows * cols entries, a permutation of [0, n) when well formed
};

// Everything the Pareto and mask panels show for one run directory.
struct RunResults {
  QString run_dir;
  QString name;             // directory name, used in legends
  QStringList layer_names;  // prunable layers, in model order
  QVector<SubnetRow> rows;
  QVector<LayerRanks> ranks;  // may be empty when the run stored no ranks
  QVector<double> ladder;     // the discrete sparsity levels of the run, ascending
  // The whole evaluation sets its rows were scored on, the main one ("dev") first; a search's
  // fitness subsets ("dev-first100") are left out.
  QStringList sets;
};

// `run` showing set `set`: the rows evaluated on it, their wer/cer taken from it. An empty set,
// or one the run does not have, leaves the run as loaded (main set) when `keep_if_absent`, else
// gives no rows.
RunResults with_set(const RunResults& run, const QString& set, bool keep_if_absent = false);

// Whether the trainer can be asked for --device cuda here; `why` gets the reason when not.
bool cuda_available(QString* why);
// The program's version (core's OMNISPARSE_VERSION), for the window's About and --version.
QString version();

// Reads RUN/results.h5. Returns the run with empty rows and sets *error (when given) if the file
// is missing or unreadable; never throws.
RunResults load_run_results(const QString& run_dir, QString* error);

// The default sparsity ladder {0, 0.1, ..., 0.9, 0.95} (DESIGN.md section 2).
QVector<double> default_ladder();

}  // namespace omnisparse::widgets
