#include "widgets/child_job.h"

#include <QCoreApplication>
#include <QDir>

namespace omnisparse::widgets {

namespace {
constexpr int kStderrKept = 200;
}

QString cli_program() {
  const QByteArray env = qgetenv("OMNISPARSE_CLI");
  if (!env.isEmpty()) return QString::fromLocal8Bit(env);
  return QDir(QCoreApplication::applicationDirPath()).filePath("omnisparse");
}

ChildJob::ChildJob(QObject* parent) : QObject(parent) {
  kill_timer_.setSingleShot(true);
  connect(&kill_timer_, &QTimer::timeout, this, [this] {
    if (running()) process_.kill();
  });
  connect(&process_, &QProcess::readyReadStandardOutput, this,
          [this] { drain(QProcess::StandardOutput); });
  connect(&process_, &QProcess::readyReadStandardError, this,
          [this] { drain(QProcess::StandardError); });
  connect(&process_, &QProcess::started, this, &ChildJob::started);
  connect(&process_, &QProcess::finished, this, &ChildJob::onFinished);
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) {
      stderr_tail_.append(QString("cannot start %1: %2").arg(program_, process_.errorString()));
      Q_EMIT finished(false, QString("could not start %1").arg(QDir(program_).dirName()));
    }
  });
}

ChildJob::~ChildJob() {
  // Nothing may reach the owner from here on: waitForFinished below delivers QProcess's signals
  // synchronously, and the owner (a panel or dialog being destroyed) has already lost members
  // its handlers use.
  QObject::disconnect(&process_, nullptr, this, nullptr);
  blockSignals(true);
  // Closing the window: give the child the same graceful stop (it saves a checkpoint).
  if (running()) {
    process_.terminate();
    if (!process_.waitForFinished(5000)) {
      process_.kill();
      process_.waitForFinished(2000);
    }
  }
}

void ChildJob::start(const QString& program, const QStringList& args, const QString& work_dir) {
  if (running()) return;
  program_ = program;
  args_ = args;
  out_buf_.clear();
  err_buf_.clear();
  stderr_tail_.clear();
  succeeded_ = false;
  stop_requested_ = false;
  if (!work_dir.isEmpty()) process_.setWorkingDirectory(work_dir);
  process_.start(program, args);
}

void ChildJob::stop(int grace_ms) {
  if (!running()) return;
  stop_requested_ = true;
  process_.terminate();
  kill_timer_.start(grace_ms);
}

QStringList ChildJob::lastStderr(int n) const {
  return stderr_tail_.mid(std::max<qsizetype>(0, stderr_tail_.size() - n));
}

QString ChildJob::commandLine() const { return (QStringList{program_} + args_).join(' '); }

void ChildJob::drain(QProcess::ProcessChannel channel) {
  process_.setReadChannel(channel);
  QByteArray& buf = channel == QProcess::StandardOutput ? out_buf_ : err_buf_;
  buf += process_.readAll();
  qsizetype nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    // Progress bars redraw with '\r'; keep the last state of such a line.
    QByteArray raw = buf.left(nl);
    buf.remove(0, nl + 1);
    const qsizetype cr = raw.lastIndexOf('\r', raw.size() - 2);
    if (cr >= 0) raw = raw.mid(cr + 1);
    const QString line = QString::fromUtf8(raw).trimmed();
    if (line.isEmpty()) continue;
    if (channel == QProcess::StandardOutput) {
      Q_EMIT stdoutLine(line);
    } else {
      stderr_tail_.append(line);
      if (stderr_tail_.size() > kStderrKept) stderr_tail_.removeFirst();
      Q_EMIT stderrLine(line);
    }
  }
  // A '\r'-redrawn progress bar without newline yet: report its latest state too.
  if (channel == QProcess::StandardError && buf.contains('\r')) {
    const qsizetype cr = buf.lastIndexOf('\r');
    const QString partial = QString::fromUtf8(buf.left(cr)).section('\r', -1).trimmed();
    buf.remove(0, cr + 1);
    if (!partial.isEmpty()) Q_EMIT stderrLine(partial);
  }
}

void ChildJob::onFinished(int code, QProcess::ExitStatus status) {
  kill_timer_.stop();
  drain(QProcess::StandardOutput);
  drain(QProcess::StandardError);
  for (QByteArray* buf : {&out_buf_, &err_buf_}) {  // a last line without newline
    const QString rest = QString::fromUtf8(*buf).trimmed();
    if (!rest.isEmpty()) {
      if (buf == &err_buf_) {
        stderr_tail_.append(rest);
        Q_EMIT stderrLine(rest);
      } else {
        Q_EMIT stdoutLine(rest);
      }
    }
    buf->clear();
  }
  QString summary;
  if (status == QProcess::CrashExit) {
    summary = stop_requested_ ? QString("stopped") : QString("killed by a signal");
  } else if (code != 0) {
    summary = QString("exited with code %1").arg(code);
  } else {
    summary = "finished";
  }
  succeeded_ = status == QProcess::NormalExit && code == 0;
  Q_EMIT finished(succeeded_, summary);
}

}  // namespace omnisparse::widgets
