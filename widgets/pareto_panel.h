// Pareto panel: every evaluated sub-network of the open runs as WER vs non-zero parameters
// (draw_pareto), hover details, click to select, a sortable and filterable results table linked
// both ways with the plot, Sweep / Search buttons that run `omnisparse pareto` as a child process
// (the plot reloads whenever a run's results.h5 changes), and PNG/PDF export. A run started from
// a parent run (`train --init-from`) can show that parent's one-shot pruning beside it ("Parent's
// one-shot pruning"): the floor a supernet trained from it has to beat.
#pragma once

#include <QFileSystemWatcher>
#include <QTimer>
#include <QWidget>

#include "widgets/child_job.h"
#include "widgets/facade/run_facade.h"

class QCustomPlot;
class QCPGraph;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QMouseEvent;

namespace omnisparse::widgets {

class ResultsTableModel;

class ParetoPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParetoPanel(QWidget* parent = nullptr);

  // Runs loaded from disk through the facade and watched for changes.
  void addRun(const QString& run_dir);
  void removeRun(const QString& run_dir);
  void reloadRun(const QString& run_dir);
  // The run that Sweep / Search work on.
  void setCurrentRun(const QString& run_dir);
  // Shows these runs as given (tests, or data that is not on disk).
  void setRuns(const QVector<RunResults>& runs);

  // What the plot and the table show, in series order: the opened runs, then (when "Parent's
  // one-shot pruning" is on) each opened run's parent run, named "<name> (parent, one-shot)",
  // with only its uniform sweep / one-shot rows. Indices of select(), front(), describe() and
  // the graphs refer to this list.
  const QVector<RunResults>& runs() const { return shown_; }
  const RunResults* run(const QString& run_dir) const;
  const QVector<QVector<bool>>& front() const { return front_; }
  // The "Parent's one-shot pruning" check box (hidden when no open run has a parent run).
  QCheckBox* parentToggle() const { return show_parent_; }
  // Which evaluation set the plot and table show (hidden while the runs have only one): each
  // run's main set ("dev") by default; another (a real-voice set scored by `pareto --also`)
  // shows only the rows evaluated on it, with its front.
  QComboBox* setChooser() const { return set_; }
  void setEvaluationSet(const QString& set);  // "" = each run's main set
  QString evaluationSet() const;

  // Selects row `row` of run `run` (-1, -1 clears) in the plot and the table.
  void select(int run, int row);
  int selectedRun() const { return sel_run_; }
  int selectedRow() const { return sel_row_; }
  // The tooltip text shown when hovering that point.
  QString describe(int run, int row) const;
  // The point under widget position `pos` of the plot (within 10 px), or {-1, -1}.
  QPair<int, int> pointAt(const QPointF& pos) const;

  QCustomPlot* plot() const { return plot_; }
  QTableView* table() const { return table_; }
  QSortFilterProxyModel* proxy() const { return proxy_; }
  QLineEdit* filter() const { return filter_; }
  int plottedPointCount() const;
  bool savePlot(const QString& path) const;

 public Q_SLOTS:
  void sweep();
  void search();

 Q_SIGNALS:
  void subnetSelected(const QString& run_dir, const QString& subnet_id);
  // "Export..." clicked (the selected sub-network is the last subnetSelected()).
  void exportRequested();
  void statusMessage(const QString& text);

 private:
  void rebuild();
  void refreshSets();
  void refreshParents();
  void updateHighlight();
  void syncTable();
  void runPareto(const QStringList& extra, const QString& what);
  void onMouseMove(QMouseEvent* e);
  void onMousePress(QMouseEvent* e);
  void updateWatches();

  QVector<RunResults> runs_;     // opened
  QVector<RunResults> parents_;  // the opened runs' parent runs with results, rows filtered
  QStringList parent_dirs_;      // every parent run directory of an opened run (watched)
  QVector<RunResults> shown_;    // runs_ + parents_ when shown, legend names made distinct
  QVector<QVector<bool>> front_;
  int sel_run_ = -1, sel_row_ = -1;
  bool syncing_ = false;  // a selection set from code must not echo back
  QString current_run_;

  QCustomPlot* plot_;
  QCPGraph* highlight_ = nullptr;
  QTableView* table_;
  ResultsTableModel* model_;
  QSortFilterProxyModel* proxy_;
  QLineEdit* filter_;
  QPushButton *sweep_, *search_, *save_, *export_;
  QCheckBox* show_parent_;
  QComboBox* set_;
  QProgressBar* progress_;
  QLabel* status_;
  ChildJob job_;
  QFileSystemWatcher watcher_;
  QTimer reload_debounce_;
  QStringList pending_reload_;
};

}  // namespace omnisparse::widgets
