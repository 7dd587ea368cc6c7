// A long CLI job run as a child process (trainer, pareto sweep, demo): the GUI never runs heavy
// work itself. Splits stdout/stderr into lines, keeps the last stderr lines for error display,
// stops gracefully (SIGTERM, then SIGKILL after a timeout) and describes how the child ended
// (exit code or signal) in one line.
//
//   ChildJob job;
//   connect(&job, &ChildJob::finished, ...);
//   job.start(cli_program(), {"--json", "train", ...});
#pragma once

#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

namespace omnisparse::widgets {

// The `omnisparse` CLI next to this program (OMNISPARSE_CLI overrides it).
QString cli_program();

class ChildJob : public QObject {
  Q_OBJECT

 public:
  explicit ChildJob(QObject* parent = nullptr);
  ~ChildJob() override;

  void start(const QString& program, const QStringList& args, const QString& work_dir = {});
  // SIGTERM now; SIGKILL when the child has not exited after `grace_ms`.
  void stop(int grace_ms = 5000);
  bool running() const { return process_.state() != QProcess::NotRunning; }
  qint64 processId() const { return process_.processId(); }

  QStringList lastStderr(int n = 12) const;
  QString commandLine() const;
  // After finished(): whether it exited 0 on its own.
  bool succeeded() const { return succeeded_; }
  bool stopRequested() const { return stop_requested_; }

 Q_SIGNALS:
  void started();
  void stdoutLine(const QString& line);
  void stderrLine(const QString& line);
  // `ok`: exit code 0 and not killed; `summary`: "exited with code 3", "killed by signal 9", ...
  void finished(bool ok, const QString& summary);

 private:
  void drain(QProcess::ProcessChannel channel);
  void onFinished(int code, QProcess::ExitStatus status);

  QProcess process_;
  QTimer kill_timer_;
  QByteArray out_buf_, err_buf_;
  QStringList stderr_tail_;
  QString program_;
  QStringList args_;
  bool succeeded_ = false;
  bool stop_requested_ = false;
};

}  // namespace omnisparse::widgets
