#include "app/workbench/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>

#include "app/workbench/runs_dock.h"
#include "app/workbench/welcome_view.h"
#include "widgets/export_dialog.h"
#include "widgets/live_panel.h"
#include "widgets/mask_panel.h"
#include "widgets/pareto_panel.h"
#include "widgets/qcp.h"
#include "widgets/training_panel.h"

namespace omnisparse::workbench {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("omnisparse workbench");
  stack_ = new QStackedWidget(this);
  welcome_ = new WelcomeView(stack_);
  tabs_ = new QTabWidget(stack_);
  tabs_->setDocumentMode(true);
  stack_->addWidget(welcome_);
  stack_->addWidget(tabs_);
  setCentralWidget(stack_);

  runs_ = new RunsDock(this);
  addDockWidget(Qt::LeftDockWidgetArea, runs_);
  resizeDocks({runs_}, {210}, Qt::Horizontal);
  runs_count_ = new QLabel(this);
  statusBar()->addPermanentWidget(runs_count_);

  buildPanels();
  buildMenus();

  connect(welcome_, &WelcomeView::openRequested, this, &MainWindow::openRunDialog);
  connect(welcome_, &WelcomeView::openRuns, this, [this](const QStringList& dirs) {
    for (const QString& d : dirs) openRun(d);
    showPanel("pareto");
  });
  connect(runs_, &RunsDock::openRequested, this, &MainWindow::openRunDialog);
  connect(runs_, &RunsDock::newRequested, this, &MainWindow::newRunDialog);
  connect(runs_, &RunsDock::removeRequested, this, &MainWindow::closeRun);
  connect(runs_, &RunsDock::currentRunChanged, this, [this](const QString& dir) {
    training_->setRunDirectory(dir);
    pareto_->setCurrentRun(dir);
    live_->setRun(dir);
  });

  QSettings settings;
  resize(1280, 800);
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  updateView();
}

// The panel list. Live (microphone) and Export panels are appended here when they land; the
// Ctrl+N shortcuts and --panel names follow from this list.
void MainWindow::buildPanels() {
  training_ = new widgets::TrainingPanel(tabs_);
  pareto_ = new widgets::ParetoPanel(tabs_);
  masks_ = new widgets::MaskPanel(tabs_);
  live_ = new widgets::LivePanel(tabs_);
  panels_ = {{"training", "Training", training_},
             {"pareto", "Pareto", pareto_},
             {"masks", "Masks", masks_},
             {"live", "Live", live_}};
  for (const Panel& p : panels_) tabs_->addTab(p.widget, p.title);

  auto show = [this](const QString& text) { statusBar()->showMessage(text, 8000); };
  connect(training_, &widgets::TrainingPanel::statusMessage, this, show);
  connect(pareto_, &widgets::ParetoPanel::statusMessage, this, show);
  connect(live_, &widgets::LivePanel::statusMessage, this, show);
  connect(pareto_, &widgets::ParetoPanel::subnetSelected, this, &MainWindow::onSubnetSelected);
  connect(pareto_, &widgets::ParetoPanel::exportRequested, this, &MainWindow::exportDialog);
  connect(training_, &widgets::TrainingPanel::trainerFinished, this, [this] {
    pareto_->reloadRun(training_->runDirectory());
  });
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open run directory...", QKeySequence::Open, this, &MainWindow::openRunDialog);
  file->addAction("&New run...", QKeySequence::New, this, &MainWindow::newRunDialog);
  file->addAction("&Save plot...", QKeySequence::Save, this, &MainWindow::saveCurrentPlotDialog);
  file->addAction("&Export model...", QKeySequence(Qt::CTRL | Qt::Key_E), this, &MainWindow::exportDialog);
  file->addAction("&Close run", this, [this] {
    if (!runs_->currentRun().isEmpty()) closeRun(runs_->currentRun());
  });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu("&View");
  for (int i = 0; i < panels_.size(); ++i) {
    const QString key = panels_[i].key;
    view->addAction(panels_[i].title, QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), this,
                    [this, key] { showPanel(key); });
  }
  view->addSeparator();
  view->addAction(runs_->toggleViewAction());
}

bool MainWindow::openRun(const QString& dir, QString* error) {
  const QFileInfo info(dir);
  if (!info.isDir()) {
    const QString msg = QString("%1 is not a directory").arg(dir);
    if (error) *error = msg;
    statusBar()->showMessage(msg, 8000);
    return false;
  }
  const QString abs = info.absoluteFilePath();
  pareto_->addRun(abs);
  runs_->addRun(abs);
  QSettings().setValue("runs/last_dir", QFileInfo(abs).absolutePath());
  if (QFileInfo::exists(QDir(abs).filePath("run.json"))) WelcomeView::rememberRun(abs);
  statusBar()->showMessage(QString("Opened %1").arg(abs), 5000);
  updateView();
  return true;
}

void MainWindow::closeRun(const QString& dir) {
  if (training_->runDirectory() == dir && training_->isTrainerRunning()) {
    statusBar()->showMessage("Stop the trainer before closing its run", 8000);
    return;
  }
  pareto_->removeRun(dir);
  runs_->removeRun(dir);
  if (runs_->runs().isEmpty()) {
    training_->setRunDirectory({});
    masks_->clear();
  }
  updateView();
}

void MainWindow::openRunDialog() {
  const QString dir = QFileDialog::getExistingDirectory(
      this, "Open run directory", QSettings().value("runs/last_dir", QDir::homePath()).toString());
  if (!dir.isEmpty()) openRun(dir);
}

void MainWindow::newRunDialog() {
  const QString dir = QFileDialog::getSaveFileName(
      this, "New run directory", QSettings().value("runs/last_dir", QDir::homePath()).toString(),
      QString(), nullptr, QFileDialog::ShowDirsOnly);
  if (dir.isEmpty()) return;
  if (!QDir().mkpath(dir)) {
    QMessageBox::warning(this, "New run", QString("Cannot create %1").arg(dir));
    return;
  }
  openRun(dir);
  showPanel("training");
}

bool MainWindow::showPanel(const QString& name) {
  for (const Panel& p : panels_) {
    if (p.key.compare(name, Qt::CaseInsensitive) != 0) continue;
    if (!runs_->runs().isEmpty()) tabs_->setCurrentWidget(p.widget);
    return true;
  }
  return false;
}

QWidget* MainWindow::panel(const QString& name) const {
  for (const Panel& p : panels_)
    if (p.key.compare(name, Qt::CaseInsensitive) == 0) return p.widget;
  return nullptr;
}

void MainWindow::selectFirstFrontSubnet() {
  const auto& runs = pareto_->runs();
  for (int r = 0; r < runs.size(); ++r) {
    // The front point in the middle of the size range: the most interesting mask to show.
    QList<int> front;
    for (int i = 0; i < runs[r].rows.size(); ++i)
      if (pareto_->front()[r][i]) front << i;
    std::sort(front.begin(), front.end(),
              [&](int a, int b) { return runs[r].rows[a].nnz < runs[r].rows[b].nnz; });
    if (!front.isEmpty()) {
      pareto_->select(r, front[front.size() / 2]);
      return;
    }
  }
}

void MainWindow::onSubnetSelected(const QString& run_dir, const QString& id) {
  const widgets::RunResults* run = pareto_->run(run_dir);
  if (!run) return;
  for (int i = 0; i < run->rows.size(); ++i) {
    if (run->rows[i].id != id) continue;
    masks_->setSubnet(*run, i);
    live_->setSubnet(run_dir, id, run->rows[i].label);
    selected_run_ = run_dir;
    selected_id_ = id;
    selected_label_ = run->rows[i].label;
    statusBar()->showMessage(QString("Selected %1 (%2)").arg(id, run->name), 5000);
    return;
  }
}

bool MainWindow::saveCurrentPlot(const QString& path) {
  QWidget* current = tabs_->currentWidget();
  if (current == training_) return training_->savePlot(path);
  if (current == pareto_) return pareto_->savePlot(path);
  if (current == masks_) {
    QCustomPlot* p = masks_->heatmapPlot();
    return path.endsWith(".pdf", Qt::CaseInsensitive) ? p->savePdf(path) : p->savePng(path, 0, 0, 2.0);
  }
  return false;
}

void MainWindow::saveCurrentPlotDialog() {
  if (runs_->runs().isEmpty()) return;
  const QString path = QFileDialog::getSaveFileName(this, "Save plot", "plot.png",
                                                    "PNG image (*.png);;PDF (*.pdf)");
  if (path.isEmpty()) return;
  statusBar()->showMessage(saveCurrentPlot(path) ? QString("Saved %1").arg(path)
                                                 : QString("Could not save %1").arg(path), 8000);
}

void MainWindow::exportDialog() {
  const bool selected = !selected_run_.isEmpty() && pareto_->run(selected_run_);
  const QString run_dir = selected ? selected_run_ : runs_->currentRun();
  if (run_dir.isEmpty()) {
    statusBar()->showMessage("Open a run to export one of its sub-networks", 8000);
    return;
  }
  const widgets::RunResults* run = pareto_->run(run_dir);
  auto* dlg = new widgets::ExportDialog(run_dir, run && !run->ladder.isEmpty() ? run->ladder
                                                                               : widgets::default_ladder(),
                                        this);
  dlg->setAttribute(Qt::WA_DeleteOnClose);
  if (selected) dlg->setSubnet(selected_id_, selected_label_);
  connect(dlg, &widgets::ExportDialog::exported, this,
          [this](const QString& path) { statusBar()->showMessage(QString("Exported %1").arg(path), 8000); });
  dlg->show();
}

void MainWindow::updateView() {
  const int n = int(runs_->runs().size());
  stack_->setCurrentWidget(n == 0 ? static_cast<QWidget*>(welcome_) : tabs_);
  runs_count_->setText(n == 0 ? QString("no run open") : QString("%1 run%2 open").arg(n).arg(n == 1 ? "" : "s"));
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (training_->isTrainerRunning() &&
      QMessageBox::question(this, "Quit", "A trainer is running. Stop it and quit? (it stays "
                                          "resumable from its newest checkpoint)") !=
          QMessageBox::Yes) {
    e->ignore();
    return;
  }
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  e->accept();
}

}  // namespace omnisparse::workbench
