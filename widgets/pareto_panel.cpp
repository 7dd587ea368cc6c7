#include "widgets/pareto_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

#include "widgets/pareto_plot.h"
#include "widgets/qcp.h"
#include "widgets/results_table_model.h"
#include "widgets/facade/run_parent.h"
#include "widgets/theme.h"

namespace omnisparse::widgets {

namespace {

// Rows of a parent run that show what pruning it one-shot gives: the uniform ladder it was
// swept at (`pareto --oneshot` on a dense run: "oneshot"; a supernet's sweep: "sweep").
bool is_one_shot_row(const SubnetRow& r) { return r.source == "oneshot" || r.source == "sweep"; }

QString corpus_of(const QString& run_dir) {
  return run_config(read_run_json(run_dir)).value("data").toString();
}

}  // namespace

ParetoPanel::ParetoPanel(QWidget* parent) : QWidget(parent) {
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(420, 320);
  plot_->setMouseTracking(true);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  connect(plot_, &QCustomPlot::mouseMove, this, &ParetoPanel::onMouseMove);
  connect(plot_, &QCustomPlot::mousePress, this, &ParetoPanel::onMousePress);

  model_ = new ResultsTableModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(ResultsTableModel::SortRole);
  proxy_->setFilterKeyColumn(-1);  // any column
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(ResultsTableModel::Nnz, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(22);
  table_->setAlternatingRowColors(true);
  filter_ = new QLineEdit(this);
  filter_->setPlaceholderText("Filter rows (id, source, run...)");
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    proxy_->setFilterRegularExpression(
        QRegularExpression(QRegularExpression::escape(text), QRegularExpression::CaseInsensitiveOption));
  });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            if (syncing_ || !current.isValid()) return;
            select(current.data(ResultsTableModel::RunIndexRole).toInt(),
                   current.data(ResultsTableModel::RowIndexRole).toInt());
          });

  sweep_ = new QPushButton("Sweep", this);
  sweep_->setToolTip("Evaluate the uniform sparsity ladder (omnisparse pareto)");
  search_ = new QPushButton("Search", this);
  search_->setToolTip("Evolutionary search over per-layer configs (omnisparse pareto --search evo)");
  save_ = new QPushButton("Save plot...", this);
  export_ = new QPushButton("Export...", this);
  export_->setToolTip("Write the selected sub-network as a model file (Ctrl+E)");
  export_->setEnabled(false);
  connect(export_, &QPushButton::clicked, this, &ParetoPanel::exportRequested);
  show_parent_ = new QCheckBox("Parent's one-shot pruning", this);
  show_parent_->setObjectName("show_parent");
  show_parent_->setChecked(true);
  show_parent_->hide();
  connect(show_parent_, &QCheckBox::toggled, this, [this] { rebuild(); });
  set_ = new QComboBox(this);
  set_->setObjectName("evaluation_set");
  set_->setToolTip("Evaluation set the plot and table show (sets scored by omnisparse pareto --also)");
  set_->hide();
  connect(set_, &QComboBox::currentIndexChanged, this, [this] {
    sel_run_ = sel_row_ = -1;  // row indices differ between sets
    rebuild();
  });
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 100);
  progress_->setMaximumWidth(220);
  progress_->hide();
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  connect(sweep_, &QPushButton::clicked, this, &ParetoPanel::sweep);
  connect(search_, &QPushButton::clicked, this, &ParetoPanel::search);
  connect(save_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, "Save plot", "pareto.png",
                                                      "PNG image (*.png);;PDF (*.pdf)");
    if (!path.isEmpty()) savePlot(path);
  });

  auto* side = new QWidget(this);
  auto* sv = new QVBoxLayout(side);
  sv->setContentsMargins(0, 0, 0, 0);
  sv->addWidget(filter_);
  sv->addWidget(table_, 1);
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(plot_);
  split->addWidget(side);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  split->setSizes({700, 460});
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setDefaultSectionSize(78);
  table_->horizontalHeader()->setStretchLastSection(true);
  {  // sub-network ids (10 hex digits) and their header shown whole, not elided
    const int id_width = QFontMetrics(table_->font()).horizontalAdvance("0123456789ab");
    QFont bold = table_->horizontalHeader()->font();
    bold.setBold(true);
    const int head_width = QFontMetrics(bold).horizontalAdvance("Sub-network") + 24;  // + sort arrow
    table_->horizontalHeader()->resizeSection(ResultsTableModel::Id, std::max(id_width, head_width));
  }
  auto* bar = new QHBoxLayout();
  for (QWidget* w :
       std::initializer_list<QWidget*>{sweep_, search_, save_, export_, set_, show_parent_, progress_})
    bar->addWidget(w);
  bar->addWidget(status_, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(bar);
  layout->addWidget(split, 1);

  connect(&job_, &ChildJob::stderrLine, this, [this](const QString& line) {
    // Progress bars print "... 12/40" or "... 30%": show the fraction, else the text.
    static const QRegularExpression frac(R"((\d+)\s*/\s*(\d+))"), pct(R"((\d+(?:\.\d+)?)\s*%)");
    auto m = pct.match(line);
    if (m.hasMatch()) {
      progress_->setValue(int(m.captured(1).toDouble()));
    } else if ((m = frac.match(line)).hasMatch() && m.captured(2).toInt() > 0) {
      progress_->setValue(100 * m.captured(1).toInt() / m.captured(2).toInt());
    }
    status_->setText(line.left(160));
  });
  connect(&job_, &ChildJob::finished, this, [this](bool ok, const QString& summary) {
    progress_->hide();
    sweep_->setEnabled(true);
    search_->setEnabled(true);
    if (!current_run_.isEmpty()) reloadRun(current_run_);
    status_->setText(ok ? QString("Evaluation finished.")
                        : QString("<b style='color:#b00'>omnisparse pareto %1:</b> %2")
                              .arg(summary, job_.lastStderr(3).join(" / ").toHtmlEscaped()));
    Q_EMIT statusMessage(QString("pareto %1").arg(summary));
  });
  reload_debounce_.setSingleShot(true);
  reload_debounce_.setInterval(400);  // HDF5 writes come in bursts
  connect(&reload_debounce_, &QTimer::timeout, this, [this] {
    const QStringList dirs = pending_reload_;
    pending_reload_.clear();
    for (const QString& d : dirs) reloadRun(d);
  });
  connect(&watcher_, &QFileSystemWatcher::fileChanged, this, [this](const QString& file) {
    pending_reload_.append(QFileInfo(file).absolutePath());
    reload_debounce_.start();
  });
  connect(&watcher_, &QFileSystemWatcher::directoryChanged, this, [this](const QString& dir) {
    // results.h5 appeared (or was atomically replaced)
    if (QFileInfo::exists(QDir(dir).filePath("results.h5"))) {
      pending_reload_.append(dir);
      reload_debounce_.start();
    }
  });
  setCurrentRun({});
  rebuild();
}

void ParetoPanel::addRun(const QString& run_dir) {
  const QString abs = QDir(run_dir).absolutePath();
  for (const RunResults& r : runs_)
    if (r.run_dir == abs) return;
  QString err;
  RunResults r = load_run_results(abs, &err);
  runs_.append(r);
  if (!err.isEmpty()) status_->setText(err);
  refreshParents();
  rebuild();
  updateWatches();
}

void ParetoPanel::removeRun(const QString& run_dir) {
  const QString abs = QDir(run_dir).absolutePath();
  for (int i = 0; i < runs_.size(); ++i) {
    if (runs_[i].run_dir != abs) continue;
    runs_.removeAt(i);
    sel_run_ = sel_row_ = -1;
    refreshParents();
    rebuild();
    updateWatches();
    return;
  }
}

void ParetoPanel::reloadRun(const QString& run_dir) {
  const QString abs = QDir(run_dir).absolutePath();
  for (int i = 0; i < runs_.size(); ++i) {
    RunResults& r = runs_[i];
    if (r.run_dir != abs) continue;
    QString err;
    RunResults fresh = load_run_results(abs, &err);
    if (!err.isEmpty() && !r.rows.isEmpty()) {  // mid-write: keep what we have
      status_->setText(err);
      return;
    }
    // Opened runs come first in shown_: index i there is run i here.
    const QString keep_id = sel_run_ == i ? shown_[i].rows[sel_row_].id : QString();
    r = fresh;
    refreshParents();  // its run.json may name a parent by now
    rebuild();
    for (int k = 0; !keep_id.isEmpty() && k < r.rows.size(); ++k)
      if (r.rows[k].id == keep_id) select(i, k);
    status_->setText(err.isEmpty() ? QString("%1: %2 sub-networks").arg(r.name).arg(r.rows.size()) : err);
    updateWatches();  // an atomic rename replaced the watched file
    return;
  }
  if (parent_dirs_.contains(abs)) {  // a parent's results appeared or changed
    if (sel_run_ >= runs_.size()) sel_run_ = sel_row_ = -1;  // a parent row: its rows change
    refreshParents();
    rebuild();
    updateWatches();
  }
}

void ParetoPanel::refreshParents() {
  parents_.clear();
  parent_dirs_.clear();
  QStringList missing, not_runs;  // parents without results; parents that are no run directory
  for (const RunResults& r : runs_) {
    const RunParent p = run_parent(r.run_dir);
    if (p.path.isEmpty()) continue;
    if (p.run_dir.isEmpty()) {
      not_runs << QString("%1 (%2)").arg(p.name(), p.kind);
      continue;
    }
    if (parent_dirs_.contains(p.run_dir)) continue;
    parent_dirs_ << p.run_dir;
    if (std::any_of(runs_.begin(), runs_.end(),
                    [&](const RunResults& o) { return o.run_dir == p.run_dir; }))
      continue;  // opened itself: all its rows are shown already
    QString err;
    RunResults parent = load_run_results(p.run_dir, &err);
    parent.rows.erase(std::remove_if(parent.rows.begin(), parent.rows.end(),
                                     [](const SubnetRow& row) { return !is_one_shot_row(row); }),
                      parent.rows.end());
    if (parent.rows.isEmpty()) {
      const QString data = corpus_of(p.run_dir);
      missing << QString("%1 has no one-shot results yet; make them with\n"
                         "  omnisparse pareto --run %2 --data %3 --oneshot --levels 0 0.5 0.7 0.8 0.9")
                     .arg(parent.name, p.run_dir, data.isEmpty() ? QString("DATA") : data);
      continue;
    }
    parent.name = QString("%1 (parent, one-shot)").arg(parent.name);
    parents_.append(parent);
  }
  show_parent_->setVisible(!parent_dirs_.isEmpty() || !not_runs.isEmpty());
  show_parent_->setEnabled(!parents_.isEmpty());
  QStringList tip;
  if (!parents_.isEmpty()) {
    QStringList names;
    for (const RunResults& p : parents_) names << p.name;
    tip << "Show the uniform one-shot pruning of the run this one started from (train --init-from):"
        << "the floor a supernet trained from it has to beat." << "Shown: " + names.join(", ");
  }
  tip << missing;
  if (!not_runs.isEmpty())
    tip << QString("Not a run directory, no results to show: %1").arg(not_runs.join(", "));
  show_parent_->setToolTip(tip.join('\n'));
}

void ParetoPanel::setCurrentRun(const QString& run_dir) {
  current_run_ = run_dir.isEmpty() ? QString() : QDir(run_dir).absolutePath();
  sweep_->setEnabled(!current_run_.isEmpty() && !job_.running());
  search_->setEnabled(!current_run_.isEmpty() && !job_.running());
}

void ParetoPanel::setRuns(const QVector<RunResults>& runs) {
  runs_ = runs;
  sel_run_ = sel_row_ = -1;
  refreshParents();
  rebuild();
}

const RunResults* ParetoPanel::run(const QString& run_dir) const {
  for (const RunResults& r : shown_)
    if (r.run_dir == run_dir) return &r;
  return nullptr;
}

void ParetoPanel::updateWatches() {
  if (!watcher_.files().isEmpty()) watcher_.removePaths(watcher_.files());
  if (!watcher_.directories().isEmpty()) watcher_.removePaths(watcher_.directories());
  QStringList dirs = parent_dirs_;  // a parent's results.h5 may appear while its child is open
  for (const RunResults& r : runs_) dirs << r.run_dir;
  dirs.removeDuplicates();
  for (const QString& dir : dirs) {
    const QString h5 = QDir(dir).filePath("results.h5");
    if (QFileInfo::exists(h5)) watcher_.addPath(h5);
    if (QFileInfo::exists(dir)) watcher_.addPath(dir);
  }
}

void ParetoPanel::refreshSets() {
  QStringList sets;
  for (const RunResults& r : runs_)
    for (const QString& s : r.sets)
      if (!sets.contains(s)) sets << s;
  const QString chosen = evaluationSet();
  const QSignalBlocker block(set_);
  set_->clear();
  // Item 0: each run's main set; then every other set by name.
  set_->addItem("WER on " + (sets.isEmpty() ? QString("dev") : sets.front()), QString());
  for (int i = 1; i < sets.size(); ++i) set_->addItem("WER on " + sets[i], sets[i]);
  const int at = set_->findData(chosen);
  set_->setCurrentIndex(at >= 0 ? at : 0);
  set_->setVisible(sets.size() > 1);
}

QString ParetoPanel::evaluationSet() const { return set_->currentData().toString(); }

void ParetoPanel::setEvaluationSet(const QString& set) {
  const int at = set.isEmpty() ? 0 : set_->findData(set);
  if (at >= 0) set_->setCurrentIndex(at);
}

void ParetoPanel::rebuild() {
  refreshSets();
  const QString set = evaluationSet();
  shown_ = runs_;
  if (show_parent_->isChecked()) shown_ += parents_;
  for (RunResults& r : shown_) r = with_set(r, set);
  // Two runs named alike ("a/run", "b/run") are told apart by their parent directory.
  QStringList names;
  for (const RunResults& r : shown_) names << r.name;
  for (RunResults& r : shown_)
    if (names.count(r.name) > 1)
      r.name = QDir(QFileInfo(r.run_dir).absolutePath()).dirName() + "/" + r.name;
  if (sel_run_ >= shown_.size() || (sel_run_ >= 0 && sel_row_ >= shown_[sel_run_].rows.size()))
    sel_run_ = sel_row_ = -1;
  front_.clear();
  QVector<ParetoSeries> series;
  for (int i = 0; i < shown_.size(); ++i) {
    front_.append(pareto_front(shown_[i].rows));
    series.append({shown_[i].name, shown_[i].rows, series_color(i),
                   i >= runs_.size() ? Qt::DashLine : Qt::SolidLine});
  }
  draw_pareto(plot_, series);
  if (!set.isEmpty()) plot_->yAxis->setLabel(QString("WER on %1 (%)").arg(set));
  highlight_ = plot_->addGraph();
  highlight_->setLineStyle(QCPGraph::lsNone);
  highlight_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(Qt::black, 2.5),
                                              Qt::NoBrush, 16));
  highlight_->removeFromLegend();
  if (shown_.isEmpty() || plottedPointCount() == 0) {
    auto* note = new QCPItemText(plot_);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setColor(QColor(110, 110, 110));
    note->setFont(QFont("DejaVu Sans", 10));
    note->setText(runs_.isEmpty() ? "No run open" : "No evaluated sub-networks yet:\nSweep evaluates the sparsity ladder");
  }
  syncing_ = true;
  model_->setRuns(shown_, front_);
  syncing_ = false;
  {  // run names ("dense (parent, one-shot)", "k2/run") shown whole, within reason
    int width = 78;
    for (const RunResults& r : shown_)
      width = std::max(width, table_->fontMetrics().horizontalAdvance(r.name) + 16);
    table_->horizontalHeader()->resizeSection(ResultsTableModel::Run, std::min(width, 240));
  }
  updateHighlight();
  plot_->replot();
}

int ParetoPanel::plottedPointCount() const {
  int n = 0;
  for (int g = 0; g < 2 * shown_.size() && g < plot_->graphCount(); ++g)
    n += plot_->graph(g)->dataCount();
  return n;
}

QString ParetoPanel::describe(int run, int row) const {
  if (run < 0 || run >= shown_.size() || row < 0 || row >= shown_[run].rows.size()) return {};
  const SubnetRow& s = shown_[run].rows[row];
  return QString("<b>%1</b> (%2, %3)<br>non-zero: %4 of %5<br>size: %6 sparse, %7 dense<br>"
                 "WER %8 %, CER %9 %<br>streaming RTF %10, %11 ms per 320 ms chunk%12")
      .arg(s.id.toHtmlEscaped(), shown_[run].name.toHtmlEscaped(), s.source.toHtmlEscaped())
      .arg(s.nnz).arg(s.total_params)
      .arg(human_bytes(double(s.bytes_sparse)), human_bytes(double(s.bytes_dense)))
      .arg(s.wer * 100, 0, 'f', 2).arg(s.cer * 100, 0, 'f', 2)
      .arg(std::isfinite(s.rtf) ? QString::number(s.rtf, 'f', 3) : QString("not measured"))
      .arg(std::isfinite(s.latency_ms) ? QString::number(s.latency_ms, 'f', 1) : QString("?"))
      .arg(front_[run][row] ? "<br><i>on the Pareto front</i>" : "");
}

QPair<int, int> ParetoPanel::pointAt(const QPointF& pos) const {
  QPair<int, int> best{-1, -1};
  double best_d2 = 10.0 * 10.0;
  for (int r = 0; r < shown_.size(); ++r) {
    for (int i = 0; i < shown_[r].rows.size(); ++i) {
      const double px = plot_->xAxis->coordToPixel(double(shown_[r].rows[i].nnz));
      const double py = plot_->yAxis->coordToPixel(shown_[r].rows[i].wer * 100);
      const double d2 = (px - pos.x()) * (px - pos.x()) + (py - pos.y()) * (py - pos.y());
      if (d2 <= best_d2) {
        best_d2 = d2;
        best = {r, i};
      }
    }
  }
  return best;
}

void ParetoPanel::onMouseMove(QMouseEvent* e) {
  const auto [r, i] = pointAt(e->position());
  if (r >= 0) {
    QToolTip::showText(plot_->mapToGlobal(e->position().toPoint()), describe(r, i), plot_);
  } else {
    QToolTip::hideText();
  }
}

void ParetoPanel::onMousePress(QMouseEvent* e) {
  const auto [r, i] = pointAt(e->position());
  if (r >= 0) select(r, i);
}

void ParetoPanel::select(int run, int row) {
  if (run < 0 || run >= shown_.size() || row < 0 || row >= shown_[run].rows.size()) run = row = -1;
  const bool changed = run != sel_run_ || row != sel_row_;
  sel_run_ = run;
  sel_row_ = row;
  export_->setEnabled(run >= 0);
  updateHighlight();
  syncTable();
  plot_->replot(QCustomPlot::rpQueuedReplot);
  if (changed && run >= 0) Q_EMIT subnetSelected(shown_[run].run_dir, shown_[run].rows[row].id);
}

void ParetoPanel::updateHighlight() {
  if (!highlight_) return;
  if (sel_run_ < 0) {
    highlight_->data()->clear();
    return;
  }
  const SubnetRow& s = shown_[sel_run_].rows[sel_row_];
  highlight_->setData({double(s.nnz)}, {s.wer * 100});
}

void ParetoPanel::syncTable() {
  syncing_ = true;
  const int mrow = sel_run_ < 0 ? -1 : model_->modelRow(sel_run_, sel_row_);
  const QModelIndex pidx = mrow < 0 ? QModelIndex() : proxy_->mapFromSource(model_->index(mrow, 0));
  if (pidx.isValid()) {
    table_->selectionModel()->setCurrentIndex(
        pidx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    table_->scrollTo(pidx);
  } else {
    table_->selectionModel()->clearSelection();
  }
  syncing_ = false;
}

bool ParetoPanel::savePlot(const QString& path) const {
  QVector<ParetoSeries> series;
  for (int i = 0; i < shown_.size(); ++i)
    series.append({shown_[i].name, shown_[i].rows, series_color(i),
                   i >= runs_.size() ? Qt::DashLine : Qt::SolidLine});
  QString err;
  const bool ok = render_pareto(series, path, plot_->size().expandedTo({900, 600}), &err,
                                "WER vs non-zero parameters");
  if (!ok) status_->setText(err);
  return ok;
}

void ParetoPanel::sweep() { runPareto({}, "sweep"); }
void ParetoPanel::search() { runPareto({"--search", "evo"}, "search"); }

void ParetoPanel::runPareto(const QStringList& extra, const QString& what) {
  if (current_run_.isEmpty() || job_.running()) return;
  // The corpus is in the training config (run.json "config"; older files: top level).
  const QString data = corpus_of(current_run_);
  if (data.isEmpty()) {
    status_->setText("This run has no run.json naming its corpus (train it first).");
    return;
  }
  sweep_->setEnabled(false);
  search_->setEnabled(false);
  progress_->setValue(0);
  progress_->show();
  status_->setText(QString("Running the %1...").arg(what));
  job_.start(cli_program(), QStringList{"pareto", "--run", current_run_, "--data", data} + extra);
}

}  // namespace omnisparse::widgets
