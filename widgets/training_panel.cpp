#include "widgets/training_panel.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/facade/run_facade.h"
#include "widgets/facade/run_parent.h"
#include "widgets/supernet_form.h"
#include "widgets/training_curves.h"

namespace omnisparse::widgets {

namespace {
QString clock(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--:--";
  const qint64 s = static_cast<qint64>(std::llround(seconds));
  return s >= 3600 ? QString("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar('0'))
                               .arg(s % 60, 2, 10, QChar('0'))
                   : QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

// Stop: SIGTERM, then SIGKILL after this long. Several workers stop together after their
// current step and rank 0 saves; killing their launcher early would not kill them (they only
// get SIGTERM, which they already have), it would hide workers still writing the run.
constexpr int kStopGraceMs = 10000;
constexpr int kStopGraceWorkersMs = 30000;

QString rate(double samples_per_s) {
  return QString::number(samples_per_s, 'f', samples_per_s >= 100 ? 0 : 1);
}

void pick(QComboBox* box, const QString& value) {
  int i = box->findData(value);
  if (i < 0) i = box->findText(value);
  if (i >= 0) box->setCurrentIndex(i);
}
}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent) {
  const QByteArray env = qgetenv("OMNISPARSE_TRAINER");
  trainer_program_ = env.isEmpty() ? cli_program() : QString::fromLocal8Bit(env);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(buildForm());
  curves_ = new TrainingCurves(split);
  split->addWidget(curves_);
  split->setStretchFactor(1, 1);
  split->setSizes({330, 900});
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(split);

  connect(&tail_, &EventTail::eventsRead, this, &TrainingPanel::onEvents);
  connect(&tail_, &EventTail::reset, this, [this] { history_.clear(); });
  connect(&job_, &ChildJob::stdoutLine, this, [this](const QString& line) {
    QJsonObject e;  // the child's JSON-lines stdout: same events, possibly sooner than the file
    if (EventTail::parseLine(line.toUtf8(), &e)) onEvents({e});
  });
  connect(&job_, &ChildJob::stderrLine, this,
          [this](const QString& line) { log_->appendPlainText(line); });
  connect(&job_, &ChildJob::finished, this, &TrainingPanel::onFinished);
  refresh();
}

QWidget* TrainingPanel::buildForm() {
  auto* box = new QWidget(this);
  auto* v = new QVBoxLayout(box);
  run_label_ = new QLabel("No run selected", box);
  run_label_->setWordWrap(true);
  run_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  v->addWidget(run_label_);

  auto* form = new QFormLayout();
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  preset_ = new QComboBox(box);
  preset_->addItems({"tiny", "small"});
  preset_->setToolTip("Model size preset: tiny trains in minutes on 2 CPU cores");
  predictor_ = new QComboBox(box);
  predictor_->setObjectName("predictor");
  predictor_->addItem("LSTM (default)", "lstm");
  predictor_->addItem("stateless (sherpa-onnx can run it)", "stateless");
  predictor_->setToolTip("The transducer's predictor. Stateless: the last two tokens only, what "
                         "sherpa-onnx's decoder is; needed for the sherpa-onnx export");
  mode_ = new QComboBox(box);
  mode_->addItem("omni (supernet)", "omni");
  mode_->addItem("dense", "dense");
  mode_->addItem("gmp (baseline)", "gmp");
  target_ = new QDoubleSpinBox(box);
  target_->setRange(0.0, 0.99);
  target_->setSingleStep(0.05);
  target_->setValue(0.8);
  target_->setToolTip("Final sparsity of a gmp baseline (gmp mode only)");
  budget_kind_ = new QComboBox(box);
  budget_kind_->addItems({"steps", "minutes"});
  budget_ = new QSpinBox(box);
  budget_->setRange(1, 10000000);
  budget_->setValue(2000);
  auto* budget_row = new QHBoxLayout();
  budget_row->addWidget(budget_, 1);
  budget_row->addWidget(budget_kind_);
  device_ = new QComboBox(box);
  device_->addItem("CPU", "cpu");
  device_->addItem("CUDA", "cuda");
  QString why;
  if (!cuda_available(&why)) {
    auto* model = qobject_cast<QStandardItemModel*>(device_->model());
    QStandardItem* cuda = model->item(1);
    cuda->setEnabled(false);
    cuda->setText("CUDA (unavailable)");
    cuda->setToolTip(why);
    device_->setToolTip("CUDA: " + why);
  }
  workers_ = new QSpinBox(box);
  workers_->setRange(0, 64);
  workers_->setSpecialValueText("auto");  // 0
  workers_->setValue(0);
  workers_->setToolTip(
      "Data-parallel worker processes (train --workers): each trains its share of every batch\n"
      "and their gradients are summed after each step (Gloo on CPU, NCCL on CUDA).\n"
      "auto: one per CPU core on CPU (at most 8), one per GPU on CUDA;\n"
      "$OMNISPARSE_WORKERS overrides auto. Stop stops them all; a resume may use another count.");
  data_ = new QLineEdit(box);
  // Names for tests and for QSettings-free scripting of the form.
  preset_->setObjectName("preset");
  mode_->setObjectName("mode");
  target_->setObjectName("target_sparsity");
  budget_->setObjectName("budget");
  budget_kind_->setObjectName("budget_kind");
  device_->setObjectName("device");
  workers_->setObjectName("workers");
  data_->setObjectName("data");
  data_->setPlaceholderText("corpus directory (LibriSpeech layout)");
  auto* pick = new QToolButton(box);
  pick->setText("...");
  pick->setToolTip("Choose the corpus directory");
  auto* data_row = new QHBoxLayout();
  data_row->addWidget(data_, 1);
  data_row->addWidget(pick);
  form->addRow("Preset", preset_);
  form->addRow("Predictor", predictor_);
  form->addRow("Mode", mode_);
  form->addRow("Target sparsity", target_);
  form->addRow("Budget", budget_row);
  form->addRow("Device", device_);
  form->addRow("Workers", workers_);
  form->labelForField(workers_)->setToolTip(workers_->toolTip());
  form->addRow("Data", data_row);

  init_from_ = new QLineEdit(box);
  init_from_->setObjectName("init_from");
  init_from_->setPlaceholderText("scratch (random weights)");
  init_from_->setClearButtonEnabled(true);
  const QString parent_tip =
      "Start from a trained model instead of random weights: a run directory (its newest\n"
      "checkpoint), a checkpoint or an exported model. Weights only: the optimiser, schedule\n"
      "and masks start fresh. The parent's passes and wall time are counted in this run's cost.";
  init_from_->setToolTip(parent_tip);
  auto* parent_pick = new QToolButton(box);
  parent_pick->setObjectName("init_from_pick");
  parent_pick->setText("...");
  parent_pick->setToolTip("Choose the parent run directory (the arrow: a checkpoint or a model)");
  parent_pick->setPopupMode(QToolButton::MenuButtonPopup);
  auto* parent_menu = new QMenu(parent_pick);
  parent_menu->addAction("Run directory...", this, [this] { pickParent(false); });
  parent_menu->addAction("Checkpoint or model file...", this, [this] { pickParent(true); });
  parent_pick->setMenu(parent_menu);
  auto* parent_row = new QHBoxLayout();
  parent_row->addWidget(init_from_, 1);
  parent_row->addWidget(parent_pick);
  form->addRow("Start from", parent_row);
  form->labelForField(parent_row)->setToolTip(parent_tip);
  v->addLayout(form);
  omni_ = new SupernetForm(box);
  v->addWidget(omni_);

  auto* buttons = new QHBoxLayout();
  launch_ = new QPushButton("Launch", box);
  stop_ = new QPushButton("Stop", box);
  resume_ = new QPushButton("Resume", box);
  launch_->setObjectName("launch");
  stop_->setObjectName("stop");
  resume_->setObjectName("resume");
  launch_->setToolTip("Start `omnisparse train` for this run as a child process");
  stop_->setToolTip(
      "Ask the trainer to stop (SIGTERM): every worker stops after its current step and a\n"
      "checkpoint is saved. Killed after 10 s (30 s with several workers)");
  resume_->setToolTip("Continue from the newest checkpoint");
  for (QPushButton* b : {launch_, stop_, resume_}) buttons->addWidget(b);
  v->addLayout(buttons);

  progress_ = new QProgressBar(box);
  progress_->setRange(0, 100);
  progress_->setTextVisible(true);
  v->addWidget(progress_);
  status_ = new QLabel(box);
  status_->setObjectName("status");
  status_->setWordWrap(true);
  v->addWidget(status_);
  log_ = new QPlainTextEdit(box);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(500);
  log_->setPlaceholderText("trainer messages (stderr) appear here");
  log_->setFont(QFont("DejaVu Sans Mono", 8));
  v->addWidget(log_, 1);

  connect(mode_, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
  connect(data_, &QLineEdit::textChanged, this, [this] { refresh(); });
  connect(parent_pick, &QToolButton::clicked, this, [this] { pickParent(false); });
  connect(init_from_, &QLineEdit::editingFinished, this, &TrainingPanel::adoptParentPreset);
  connect(pick, &QToolButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Corpus directory", data_->text());
    if (!dir.isEmpty()) data_->setText(dir);
  });
  connect(launch_, &QPushButton::clicked, this, &TrainingPanel::launch);
  connect(stop_, &QPushButton::clicked, this, &TrainingPanel::stop);
  connect(resume_, &QPushButton::clicked, this, &TrainingPanel::resume);
  return box;
}

void TrainingPanel::pickParent(bool file) {
  const QString start = init_from_->text().isEmpty() ? QFileInfo(run_dir_).absolutePath()
                                                     : init_from_->text();
  const QString path =
      file ? QFileDialog::getOpenFileName(
                 this, "Start from a checkpoint or model", start,
                 "Checkpoints and models (*.safetensors *.h5);;All files (*)")
           : QFileDialog::getExistingDirectory(this, "Start from a trained run", start);
  if (path.isEmpty()) return;
  init_from_->setText(path);
  adoptParentPreset();
}

void TrainingPanel::adoptParentPreset() {
  // The child trains the parent's model: follow the parent's preset so --preset agrees with it.
  const QJsonObject root = read_run_json(parent_run_directory(init_from_->text()));
  const QString preset = root.value("preset").toString(run_config(root).value("preset").toString());
  if (!preset.isEmpty()) pick(preset_, preset);
  pick(predictor_, run_config(root).value("model").toObject().value("predictor").toString("lstm"));
}

void TrainingPanel::setTrainerCommand(const QString& program, const QStringList& extra_args) {
  trainer_program_ = program;
  trainer_extra_ = extra_args;
}

void TrainingPanel::setDataDirectory(const QString& dir) { data_->setText(dir); }

void TrainingPanel::setRunDirectory(const QString& run_dir) {
  if (job_.running()) return;  // the running trainer owns the view until it ends
  run_dir_ = run_dir.isEmpty() ? QString() : QDir(run_dir).absolutePath();
  history_.clear();
  log_->clear();
  failure_.clear();
  loadRunConfig();
  if (run_dir_.isEmpty()) {
    tail_.stop();
  } else {
    tail_.setPath(QDir(run_dir_).filePath("events.jsonl"));
  }
  refresh();
  curves_->replotNow();
}

void TrainingPanel::loadRunConfig() {
  const QJsonObject root = read_run_json(run_dir_);
  if (root.isEmpty()) return;
  // run.json holds the training config under "config" (DESIGN.md section 5).
  const QJsonObject c = run_config(root);
  if (c.contains("preset")) pick(preset_, c.value("preset").toString());
  pick(predictor_, c.value("model").toObject().value("predictor").toString("lstm"));
  if (c.contains("mode")) pick(mode_, c.value("mode").toString());
  const QJsonValue target = c.value("gmp").toObject().value("target_sparsity");
  if (target.isDouble()) target_->setValue(target.toDouble());
  if (c.value("minutes").toDouble() > 0) {
    budget_kind_->setCurrentIndex(1);
    budget_->setValue(static_cast<int>(c.value("minutes").toDouble()));
  } else if (c.value("steps").isDouble()) {
    budget_kind_->setCurrentIndex(0);
    budget_->setValue(c.value("steps").toInt());
  }
  if (c.value("device").toString().startsWith("cuda") && device_->model()->flags(
          device_->model()->index(1, 0)) & Qt::ItemIsEnabled)
    device_->setCurrentIndex(1);
  if (c.value("data").isString()) data_->setText(c.value("data").toString());
  // The workers the run was created with (run.json "workers"); older runs: auto.
  workers_->setValue(root.value("workers").isDouble()
                         ? std::clamp(root.value("workers").toInt(), 1, workers_->maximum())
                         : 0);

  // The parent and the supernet settings are what this run used: a key the config does not
  // name shows the core's default, not the previous run's value. The parent's path as the
  // trainer resolved it (absolute), else as it was asked for.
  init_from_->setText(root.value("parent").toObject().value("path").toString(
      c.value("init_from").toString()));
  omni_->loadConfig(c.value("omni").toObject());
}

QStringList TrainingPanel::trainArguments(bool resume) const {
  QStringList a = trainer_extra_;
  a << "--json" << "train" << "--data" << data_->text() << "--run" << run_dir_
    << "--preset" << preset_->currentText() << "--predictor" << predictor_->currentData().toString()
    << "--mode" << mode_->currentData().toString();
  if (mode_->currentData().toString() == "gmp")
    a << "--target-sparsity" << QString::number(target_->value());
  a << (budget_kind_->currentIndex() == 0 ? "--steps" : "--minutes")
    << QString::number(budget_->value());
  a << "--device" << device_->currentData().toString();
  a << "--workers" << (workers_->value() == 0 ? QString("auto") : QString::number(workers_->value()));
  // Absolute: the trainer runs in the run directory, where a relative path means another file.
  const QString parent = init_from_->text().trimmed();
  if (!parent.isEmpty()) a << "--init-from" << QDir::cleanPath(QDir().absoluteFilePath(parent));
  if (mode_->currentData().toString() == "omni") a << omni_->trainArguments();
  if (resume) a << "--resume";
  return a;
}

bool TrainingPanel::canLaunch() const {
  return !run_dir_.isEmpty() && !job_.running() && !data_->text().isEmpty();
}

bool TrainingPanel::canResume() const {
  // Resumable: a run the trainer has started (run.json written) that has not finished.
  return !run_dir_.isEmpty() && !job_.running() && !data_->text().isEmpty() &&
         QFileInfo::exists(QDir(run_dir_).filePath("run.json")) &&
         history_.state() != TrainingHistory::State::Done;
}

void TrainingPanel::launch() { start(false); }
void TrainingPanel::resume() { start(true); }

void TrainingPanel::start(bool resume) {
  if (!(resume ? canResume() : canLaunch())) return;
  QDir().mkpath(run_dir_);
  log_->clear();
  failure_.clear();
  if (!resume) {
    history_.clear();  // a fresh launch rewrites the run's events
    curves_->update(history_);
  }
  job_.start(trainer_program_, trainArguments(resume), run_dir_);
  status_->setText(resume ? "Resuming..." : "Starting the trainer...");
  Q_EMIT statusMessage(QString("Trainer started for %1").arg(QFileInfo(run_dir_).fileName()));
  refresh();
}

void TrainingPanel::stop() {
  const bool one_worker = history_.workers() == 1 ||
                          (history_.workers() == 0 && workers_->value() == 1);
  job_.stop(one_worker ? kStopGraceMs : kStopGraceWorkersMs);
  status_->setText("Stopping (waiting for the trainer to save a checkpoint)...");
  refresh();
}

void TrainingPanel::onEvents(const QList<QJsonObject>& events) {
  history_.addEvents(events);
  curves_->update(history_);
  refresh();
}

void TrainingPanel::onFinished(bool ok, const QString& summary) {
  tail_.poll();  // the last events may have landed after the last watcher tick
  if (!ok) {
    QStringList tail = job_.lastStderr(12);
    log_->setPlainText(tail.isEmpty() ? QString("(the trainer wrote nothing on stderr)")
                                      : tail.join('\n'));
    const QString hint = job_.stopRequested()
                             ? QString("Resume continues from the newest checkpoint.")
                             : QString("Its last messages are below; Resume continues from the "
                                       "newest checkpoint.");
    failure_ = QString("<b style='color:#b00'>Trainer %1.</b> %2").arg(summary, hint);
  }
  // A lost worker: the launcher's error event says which, and is the run's error.
  Q_EMIT statusMessage(history_.state() == TrainingHistory::State::Failed
                           ? QString("Trainer %1: %2").arg(summary, history_.errorMessage())
                           : QString("Trainer %1").arg(summary));
  Q_EMIT trainerFinished(ok, summary);
  refresh();
}

void TrainingPanel::refresh() {
  const bool running = job_.running();
  target_->setEnabled(mode_->currentData().toString() == "gmp");
  for (QWidget* w : std::initializer_list<QWidget*>{preset_, predictor_, mode_, budget_, budget_kind_,
                                                    device_, workers_, data_, init_from_})
    w->setEnabled(!running && !run_dir_.isEmpty());
  omni_->setEnabled(!running && !run_dir_.isEmpty() && mode_->currentData().toString() == "omni");
  if (running) target_->setEnabled(false);
  launch_->setEnabled(canLaunch());
  resume_->setEnabled(canResume());
  stop_->setEnabled(running);
  run_label_->setText(run_dir_.isEmpty() ? "No run selected: open or create one (Ctrl+O / Ctrl+N)"
                                         : QString("<b>Run</b> %1").arg(run_dir_));

  const TrainingHistory& h = history_;
  progress_->setValue(static_cast<int>(std::lround(h.progress() * 100)));
  progress_->setFormat(progressText());
  // How the child ended badly, unless the run's events say why (an error event: the trainer's
  // own, or the launcher's naming a lost worker), which then comes first.
  if (!failure_.isEmpty() && !running && h.state() != TrainingHistory::State::Failed) {
    status_->setText(failure_);
    return;
  }
  QString s;
  switch (h.state()) {
    case TrainingHistory::State::Empty:
      s = running ? "Waiting for the first event..." : "No events yet.";
      break;
    case TrainingHistory::State::Running:
      s = QString("%1 on %2, step %3%4 · %5 passes")
              .arg(h.mode().isEmpty() ? "training" : h.mode(),
                   h.device().isEmpty() ? "?" : h.device())
              .arg(h.step())
              .arg(h.totalSteps() > 0 ? QString(" / %1").arg(h.totalSteps()) : QString())
              .arg(h.passes());
      if (h.hasParent())
        s += h.totalPasses() >= 0 ? QString(" (%1 with the parent)").arg(h.totalPasses())
                                  : QString(" (the parent's cost is unknown)");
      if (!running) s += " (not running: resumable)";
      if (const QString t = throughputText(); !t.isEmpty()) s += "<br>" + t;
      break;
    case TrainingHistory::State::Done:
      s = QString("Done: %1 steps, %2 passes, %3 wall")
              .arg(h.step())
              .arg(h.passes())
              .arg(clock(h.wallSeconds()));
      if (h.hasParent() && h.totalPasses() >= 0) {
        s += h.totalWallSeconds() >= 0 ? QString(" (%1 passes, %2 with the parent)")
                                             .arg(h.totalPasses())
                                             .arg(clock(h.totalWallSeconds()))
                                       : QString(" (%1 passes with the parent)")
                                             .arg(h.totalPasses());
      } else if (h.hasParent()) {
        s += " (the parent's cost is unknown)";
      }
      if (h.workers() > 1) s += QString(" · %1 workers").arg(h.workers());
      break;
    case TrainingHistory::State::Failed:
      s = QString("<b style='color:#b00'>Error:</b> %1").arg(h.errorMessage().toHtmlEscaped());
      if (!running && !failure_.isEmpty()) s += "<br>" + failure_;
      break;
  }
  if (h.hasParent()) {
    const QJsonObject p = h.parent();
    const QString path = p.value("path").toString();
    s += QString("<br>Started from <b>%1</b> (%2%3)")
             .arg(QFileInfo(QDir::cleanPath(path)).fileName().toHtmlEscaped(),
                  p.value("kind").toString("parent"),
                  p.value("step").isDouble() ? QString(", step %1").arg(p.value("step").toInteger())
                                             : QString());
  }
  status_->setText(s);
}

QString TrainingPanel::progressText() const {
  const TrainingHistory& h = history_;
  QString t = QString("%1 %").arg(std::lround(h.progress() * 100));
  if (h.state() == TrainingHistory::State::Running)
    t += QString(" · ETA %1").arg(clock(h.etaSeconds()));  // samples/s: the status line
  return t;
}

QString TrainingPanel::throughputText() const {
  const TrainingHistory& h = history_;
  QStringList parts;
  const int n = h.workers();
  if (n > 0) {
    QString w = n == 1 ? QString("1 worker") : QString("%1 workers").arg(n);
    if (n > 1 && !h.backend().isEmpty() && h.backend() != "none") w += QString(" (%1)").arg(h.backend());
    parts << w;
  }
  if (h.step() > 0 && h.samplesPerSecond() > 0)
    parts << QString("%1 samples/s%2").arg(rate(h.samplesPerSecond()), n > 1 ? " total" : "");
  if (n > 1 && h.syncMs() >= 0) {
    QString sync = QString("all-reduce %1 ms/step").arg(h.syncMs(), 0, 'f', 1);
    if (h.straggleMs() >= 0)
      sync += QString(" (%1 waiting for the slowest worker)").arg(h.straggleMs(), 0, 'f', 1);
    parts << sync;
  }
  return parts.join(" · ");
}

int TrainingPanel::progressPercent() const { return progress_->value(); }
QString TrainingPanel::messages() const { return log_->toPlainText(); }
QCustomPlot* TrainingPanel::lossPlot() const { return curves_->lossPlot(); }
QCustomPlot* TrainingPanel::werPlot() const { return curves_->werPlot(); }
QCustomPlot* TrainingPanel::maskPlot() const { return curves_->maskPlot(); }
QString TrainingPanel::statusText() const { return status_->text(); }
bool TrainingPanel::savePlot(const QString& path) const { return curves_->save(path); }

}  // namespace omnisparse::widgets
