// The workbench window: a runs list dock, the welcome view while no run is open, and the panels
// (Training, Pareto, Masks; Live and Export plug into the same panel list) as tabs. Shortcuts:
// Ctrl+O open, Ctrl+N new run, Ctrl+S save the current plot, Ctrl+E export a model, Ctrl+1..
// panels, Ctrl+Q quit.
// Geometry and dock state persist through QSettings.
#pragma once

#include <QMainWindow>

class QLabel;
class QStackedWidget;
class QTabWidget;

namespace omnisparse::widgets {
class LivePanel;
class MaskPanel;
class ParetoPanel;
class TrainingPanel;
}  // namespace omnisparse::widgets

namespace omnisparse::workbench {

class RunsDock;
class WelcomeView;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // Opens a run directory (creating nothing). False + *error if it is not a directory.
  bool openRun(const QString& dir, QString* error = nullptr);
  void closeRun(const QString& dir);
  // Shows the panel named "training", "pareto" or "masks" (case-insensitive). False if unknown.
  bool showPanel(const QString& name);
  QWidget* panel(const QString& name) const;
  // Selects the first Pareto-front sub-network of the first run (for the mask panel).
  void selectFirstFrontSubnet();
  bool saveCurrentPlot(const QString& path);

  widgets::TrainingPanel* trainingPanel() const { return training_; }
  widgets::ParetoPanel* paretoPanel() const { return pareto_; }
  widgets::MaskPanel* maskPanel() const { return masks_; }
  widgets::LivePanel* livePanel() const { return live_; }

 public Q_SLOTS:
  void openRunDialog();
  void newRunDialog();
  void saveCurrentPlotDialog();
  // The Export dialog for the selected sub-network (or the current run's ladder).
  void exportDialog();

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  struct Panel {
    QString key;    // "training", used by --panel and showPanel
    QString title;  // tab text
    QWidget* widget;
  };
  void buildPanels();
  void buildMenus();
  void updateView();
  void onSubnetSelected(const QString& run_dir, const QString& id);

  QStackedWidget* stack_;
  WelcomeView* welcome_;
  QTabWidget* tabs_;
  RunsDock* runs_;
  QLabel* runs_count_;
  QString selected_run_, selected_id_, selected_label_;  // the Pareto panel's selection
  QList<Panel> panels_;
  widgets::TrainingPanel* training_;
  widgets::ParetoPanel* pareto_;
  widgets::MaskPanel* masks_;
  widgets::LivePanel* live_;
};

}  // namespace omnisparse::workbench
