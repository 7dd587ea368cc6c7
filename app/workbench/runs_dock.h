// The runs list: the run directories open in this window (several at once, overlaid in the
// Pareto panel). Open / New / Remove buttons; the current item is the run the Training panel
// shows and that Sweep / Search work on.
#pragma once

#include <QDockWidget>

class QListWidget;

namespace omnisparse::workbench {

class RunsDock : public QDockWidget {
  Q_OBJECT

 public:
  explicit RunsDock(QWidget* parent = nullptr);

  // Adds `dir` (absolute) unless present, and makes it current. Returns false if it was present.
  bool addRun(const QString& dir);
  void removeRun(const QString& dir);
  QString currentRun() const;
  QStringList runs() const;

 Q_SIGNALS:
  void currentRunChanged(const QString& dir);
  void openRequested();
  void newRequested();
  void removeRequested(const QString& dir);

 private:
  QListWidget* list_;
};

}  // namespace omnisparse::workbench
