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
  text->setMaximumWidth(640);
  open_ = new QPushButton("Open run directory...", this);
  demo_ = new QPushButton("Create the built-in demo", this);
  for (QPushButton* b : {open_, demo_}) {
    b->setMinimumHeight(36);
    b->setMinimumWidth(260);
  }
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 0);
  progress_->setMaximumWidth(640);
  progress_->hide();
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setMaximumWidth(640);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumWidth(640);
  log_->setMaximumHeight(180);
  log_->setFont(QFont("DejaVu Sans Mono", 8));
  log_->hide();

  auto* v = new QVBoxLayout(this);
  v->addStretch(1);
  for (QWidget* w : std::initializer_list<QWidget*>{title, text, open_, demo_, progress_, status_, log_})
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
