// Training panel: the config form (preset, mode, target sparsity, steps or minutes, device,
// data-parallel workers, data directory, the parent to start from, and the supernet's member
// rule, distillation and freeze point), Launch / Stop / Resume of `omnisparse --json train ...`
// as a child process, and live curves read from RUN/events.jsonl (and the child's stdout) as
// they grow. Opening a finished or foreign run shows the same curves; a crashed trainer leaves
// its last stderr lines in the panel and the run resumable. With several workers the child is
// their launcher: Stop (SIGTERM) stops them all, and a lost worker's error event is the run's
// error.
#pragma once

#include <QWidget>

#include "widgets/child_job.h"
#include "widgets/facade/event_tail.h"
#include "widgets/training_history.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QCustomPlot;

namespace omnisparse::widgets {

class SupernetForm;
class TrainingCurves;

class TrainingPanel : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingPanel(QWidget* parent = nullptr);

  // Shows `run_dir`: its config (run.json) in the form and its events as curves.
  void setRunDirectory(const QString& run_dir);
  QString runDirectory() const { return run_dir_; }
  void setDataDirectory(const QString& dir);

  // The program launched as the trainer and arguments put before the generated ones. Defaults
  // to the `omnisparse` CLI (or $OMNISPARSE_TRAINER); tests point it at a fake trainer.
  void setTrainerCommand(const QString& program, const QStringList& extra_args = {});
  // The generated arguments: `--json train --data D --run R ... --workers auto|N [--resume]`.
  // `--init-from` when a parent is set (any mode); `--members --distribution --p-dense
  // --distill --freeze-at` in omni mode only.
  QStringList trainArguments(bool resume) const;

  const TrainingHistory& history() const { return history_; }
  QCustomPlot* lossPlot() const;
  QCustomPlot* werPlot() const;
  QCustomPlot* maskPlot() const;
  QString statusText() const;  // the line under the progress bar (rich text)
  // Its throughput part: "2 workers (gloo) · 142 samples/s total · all-reduce 3.1 ms/step".
  QString throughputText() const;
  int progressPercent() const;
  QString progressText() const;
  QString messages() const;  // the stderr / status box
  bool isTrainerRunning() const { return job_.running(); }
  bool canResume() const;
  bool canLaunch() const;
  bool savePlot(const QString& path) const;

 public Q_SLOTS:
  void launch();
  void resume();
  void stop();

 Q_SIGNALS:
  void statusMessage(const QString& text);
  void trainerFinished(bool ok, const QString& summary);

 private:
  QWidget* buildForm();
  void loadRunConfig();
  void pickParent(bool file);
  void adoptParentPreset();

  void onEvents(const QList<QJsonObject>& events);
  void onFinished(bool ok, const QString& summary);
  void refresh();
  void start(bool resume);

  QString run_dir_;
  QString trainer_program_;
  QStringList trainer_extra_;
  TrainingHistory history_;
  QString failure_;  // how the last child ended badly, until the next start
  EventTail tail_;
  ChildJob job_;

  QComboBox *preset_, *predictor_, *mode_, *budget_kind_, *device_;
  QDoubleSpinBox* target_;
  QSpinBox *budget_, *workers_;  // workers_: 0 = auto
  QLineEdit *data_, *init_from_;
  SupernetForm* omni_;
  QPushButton *launch_, *stop_, *resume_;
  QLabel *status_, *run_label_;
  QProgressBar* progress_;
  QPlainTextEdit* log_;
  TrainingCurves* curves_;
};

}  // namespace omnisparse::widgets
