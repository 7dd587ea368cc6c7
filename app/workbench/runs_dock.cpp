#include "app/workbench/runs_dock.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include "widgets/theme.h"

namespace omnisparse::workbench {

RunsDock::RunsDock(QWidget* parent) : QDockWidget("Runs", parent) {
  setObjectName("runs_dock");  // QSettings restores dock state by name
  setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
              QDockWidget::DockWidgetClosable);
  auto* body = new QWidget(this);
  list_ = new QListWidget(body);
  list_->setToolTip("Open runs: the current one is trained and swept; all are overlaid in Pareto");
  auto* open = new QPushButton("Open...", body);
  auto* create = new QPushButton("New...", body);
  auto* remove = new QPushButton("Remove", body);
  open->setToolTip("Open an existing run directory (Ctrl+O)");
  create->setToolTip("Create a new run directory to train into (Ctrl+N)");
  remove->setToolTip("Close the selected run (its files stay on disk)");
  auto* buttons = new QHBoxLayout();
  buttons->addWidget(open);
  buttons->addWidget(create);
  buttons->addWidget(remove);
  auto* v = new QVBoxLayout(body);
  v->setContentsMargins(4, 4, 4, 4);
  v->addWidget(list_, 1);
  v->addLayout(buttons);
  setWidget(body);

  connect(open, &QPushButton::clicked, this, &RunsDock::openRequested);
  connect(create, &QPushButton::clicked, this, &RunsDock::newRequested);
  connect(remove, &QPushButton::clicked, this, [this] {
    if (!currentRun().isEmpty()) Q_EMIT removeRequested(currentRun());
  });
  connect(list_, &QListWidget::currentItemChanged, this,
          [this] { Q_EMIT currentRunChanged(currentRun()); });
}

bool RunsDock::addRun(const QString& dir) {
  for (int i = 0; i < list_->count(); ++i) {
    if (list_->item(i)->data(Qt::UserRole).toString() == dir) {
      list_->setCurrentRow(i);
      return false;
    }
  }
  auto* item = new QListWidgetItem(QFileInfo(dir).fileName(), list_);
  item->setData(Qt::UserRole, dir);
  item->setToolTip(dir);
  // Same colour as the run's series in the Pareto plot.
  QPixmap swatch(12, 12);
  swatch.fill(widgets::series_color(list_->count() - 1));
  item->setIcon(QIcon(swatch));
  list_->setCurrentItem(item);
  return true;
}

void RunsDock::removeRun(const QString& dir) {
  for (int i = 0; i < list_->count(); ++i) {
    if (list_->item(i)->data(Qt::UserRole).toString() != dir) continue;
    delete list_->takeItem(i);
    break;
  }
  for (int i = 0; i < list_->count(); ++i) {  // colours follow the Pareto series order
    QPixmap swatch(12, 12);
    swatch.fill(widgets::series_color(i));
    list_->item(i)->setIcon(QIcon(swatch));
  }
}

QString RunsDock::currentRun() const {
  const QListWidgetItem* item = list_->currentItem();
  return item ? item->data(Qt::UserRole).toString() : QString();
}

QStringList RunsDock::runs() const {
  QStringList out;
  for (int i = 0; i < list_->count(); ++i) out << list_->item(i)->data(Qt::UserRole).toString();
  return out;
}

}  // namespace omnisparse::workbench
