// Tails a run's events.jsonl while a trainer appends to it, through core's reader
// (core/io/event_log.h: complete lines only, the contract's checks, a trailing partial line
// waits for its newline), and picks up appended lines through QFileSystemWatcher plus a timer
// fallback (watchers miss writes on some filesystems, e.g. NFS from a GPU box). Unknown event
// types pass through.
//
//   EventTail tail;
//   connect(&tail, &EventTail::eventsRead, history, &TrainingHistory::addEvents);
//   tail.setPath(run + "/events.jsonl");   // reads what is there now, then follows
#pragma once

#include <QFileSystemWatcher>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QTimer>

namespace omnisparse::widgets {

class EventTail : public QObject {
  Q_OBJECT

 public:
  explicit EventTail(QObject* parent = nullptr);

  // Starts following `path` from its beginning (the file may not exist yet).
  void setPath(const QString& path);
  QString path() const { return path_; }
  void stop();

  // Reads what was appended since the last call; emits eventsRead when there is something.
  // Returns the number of events parsed. Called by the watcher and the timer; public for tests.
  int poll();

  qint64 offset() const { return offset_; }
  int malformedLines() const { return malformed_; }
  void setPollInterval(int ms) { timer_.setInterval(ms); }

  // One line by core's rule (parse_event_line); false for blank and malformed lines.
  static bool parseLine(const QByteArray& line, QJsonObject* out);

 Q_SIGNALS:
  void eventsRead(const QList<QJsonObject>& events);
  // The file shrank or was replaced: everything is re-read from the start.
  void reset();

 private:
  void watch();

  QString path_;
  qint64 offset_ = 0;
  int malformed_ = 0;
  QFileSystemWatcher watcher_;
  QTimer timer_;
};

}  // namespace omnisparse::widgets
