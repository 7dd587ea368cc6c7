#include "app/workbench/welcome_view.h"

#include <QDir>
#include <QDirIterator>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QVBoxLayout>

namespace omnisparse::workbench {

WelcomeView::WelcomeView(QWidget* parent) : QWidget(parent) {
  auto* title = new QLabel("<h1>omnisparse workbench</h1>", this);
  auto* text = new QLabel(
      "Train one omni-sparsity supernet for streaming speech recognition, then explore every "
      "sub-network it contains: the WER / size Pareto front, which weights survive in each layer, "
      "and how a chosen model sounds.<br><br>"
      "Open a run directory (made here, by <tt>omnisparse train</tt>, or on a GPU box), or let the "
      "demo synthesise a small corpus and train a tiny supernet on this machine (a few minutes).",
      this);
  text->setWordWrap(true);
  // A fixed width and the height its wrapped text needs there: a word-wrapped label centred in
  // a layout (AlignHCenter) otherwise gets its unwrapped size hint's height and is cut off.
  text->setFixedWidth(600);
  text->setMinimumHeight(text->heightForWidth(600));
  recent_title_ = new QLabel("<b>Recent runs</b>", this);
  recent_title_->setFixedWidth(600);
  recent_box_ = new QWidget(this);
  recent_box_->setFixedWidth(600);
  auto* recent_layout = new QVBoxLayout(recent_box_);
  recent_layout->setContentsMargins(0, 0, 0, 0);
  recent_layout->setSpacing(2);
  open_ = new QPushButton("Open run directory...", this);
  demo_ = new QPushButton("Create the built-in demo", this);
  for (QPushButton* b : {open_, demo_}) {
    b->setMinimumHeight(36);
    b->setMinimumWidth(260);
  }
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 0);
  progress_->setFixedWidth(600);
  progress_->hide();
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setFixedWidth(600);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setFixedWidth(600);
  log_->setMaximumHeight(180);
  log_->setFont(QFont("DejaVu Sans Mono", 8));
  log_->hide();

  auto* v = new QVBoxLayout(this);
  v->addStretch(1);
  for (QWidget* w : std::initializer_list<QWidget*>{title, text, open_, demo_, progress_, status_,
                                                    log_, recent_title_, recent_box_})
    v->addWidget(w, 0, Qt::AlignHCenter);
  v->addStretch(2);

  connect(open_, &QPushButton::clicked, this, &WelcomeView::openRequested);
  connect(demo_, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(
        this, "Where should the demo go? (a new folder is made inside)", QDir::homePath());
    if (!dir.isEmpty()) createDemo(QDir(dir).filePath("omnisparse-demo"));
  });
  connect(&job_, &widgets::ChildJob::stderrLine, this, [this](const QString& line) {
    log_->appendPlainText(line);
    static const QRegularExpression pct(R"((\d+(?:\.\d+)?)\s*%)");
    const auto m = pct.match(line);
    if (m.hasMatch()) {
      progress_->setRange(0, 100);
      progress_->setValue(int(m.captured(1).toDouble()));
    }
    status_->setText(line.left(120));
  });
  connect(&job_, &widgets::ChildJob::finished, this, [this](bool ok, const QString& summary) {
    progress_->hide();
    demo_->setEnabled(true);
    if (!ok) {
      status_->setText(QString("<b style='color:#b00'>The demo %1.</b> Its last messages are "
                               "above.").arg(summary));
      return;
    }
    const QStringList runs = findRuns(demo_dir_);
    status_->setText(runs.isEmpty() ? QString("The demo finished but made no run directory in %1")
                                          .arg(demo_dir_)
                                    : QString("Demo ready: %1 run(s).").arg(runs.size()));
    if (!runs.isEmpty()) Q_EMIT openRuns(runs);
  });
}

void WelcomeView::createDemo(const QString& out_dir) {
  if (job_.running()) return;
  demo_dir_ = QDir(out_dir).absolutePath();
  demo_->setEnabled(false);
  log_->clear();
  log_->show();
  progress_->setRange(0, 0);  // busy until the demo prints a percentage
  progress_->show();
  status_->setText(QString("Creating the demo in %1 ...").arg(demo_dir_));
  job_.start(widgets::cli_program(), {"demo", "--quick", "--out", demo_dir_});
}

void WelcomeView::rememberRun(const QString& dir) {
  QSettings settings;
  QStringList runs = settings.value("runs/recent").toStringList();
  runs.removeAll(dir);
  runs.prepend(dir);
  while (runs.size() > 8) runs.removeLast();
  settings.setValue("runs/recent", runs);
}

QStringList WelcomeView::recentRuns() {
  QStringList out;
  for (const QString& d : QSettings().value("runs/recent").toStringList())
    if (QFileInfo::exists(QDir(d).filePath("run.json"))) out << d;
  return out;
}

int WelcomeView::recentCount() const { return recent_box_->findChildren<QPushButton*>().size(); }

void WelcomeView::refreshRecent() {
  for (QPushButton* b : recent_box_->findChildren<QPushButton*>()) delete b;
  const QStringList runs = recentRuns();
  for (const QString& d : runs) {
    auto* b = new QPushButton(QString("%1   —   %2").arg(QFileInfo(d).fileName(), d), recent_box_);
    b->setFlat(true);
    b->setStyleSheet("text-align: left; color: #1f5fa8; padding: 2px 4px;");
    b->setCursor(Qt::PointingHandCursor);
    b->setToolTip("Open " + d);
    connect(b, &QPushButton::clicked, this, [this, d] { Q_EMIT openRuns({d}); });
    recent_box_->layout()->addWidget(b);
  }
  recent_title_->setVisible(!runs.isEmpty());
  recent_box_->setVisible(!runs.isEmpty());
}

void WelcomeView::showEvent(QShowEvent* e) {
  refreshRecent();
  QWidget::showEvent(e);
}

QStringList WelcomeView::findRuns(const QString& dir) {
  QStringList runs;
  if (QFileInfo::exists(QDir(dir).filePath("run.json"))) runs << QDir(dir).absolutePath();
  QDirIterator it(dir, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString sub = it.next();
    if (QDir(dir).relativeFilePath(sub).count('/') > 1) continue;
    if (QFileInfo::exists(QDir(sub).filePath("run.json"))) runs << QDir(sub).absolutePath();
  }
  runs.sort();
  return runs;
}

}  // namespace omnisparse::workbench
