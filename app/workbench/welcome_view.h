// First-launch view (no run open): open a run directory, or create the built-in demo by running
// `omnisparse demo --quick --out DIR` as a child process, showing its stderr progress and exit
// status. On success it asks the window to open the run directories the demo made.
#pragma once

#include <QWidget>

#include "widgets/child_job.h"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace omnisparse::workbench {

class WelcomeView : public QWidget {
  Q_OBJECT

 public:
  explicit WelcomeView(QWidget* parent = nullptr);

  void createDemo(const QString& out_dir);
  // Run directories (holding run.json) at `dir` or up to two levels below it.
  static QStringList findRuns(const QString& dir);

  // Recently opened runs (QSettings "runs/recent", newest first, at most 8).
  static void rememberRun(const QString& dir);
  static QStringList recentRuns();  // only those that still exist
  // Rebuilds the "Recent runs" list from QSettings.
  void refreshRecent();
  int recentCount() const;

 protected:
  void showEvent(QShowEvent* e) override;

 Q_SIGNALS:
  void openRequested();
  void openRuns(const QStringList& dirs);

 private:
  widgets::ChildJob job_;
  QString demo_dir_;
  QPushButton *open_, *demo_;
  QProgressBar* progress_;
  QLabel* status_;
  QPlainTextEdit* log_;
  QLabel* recent_title_;
  QWidget* recent_box_;
};

}  // namespace omnisparse::workbench
