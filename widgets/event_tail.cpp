#include "widgets/event_tail.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>
#include <limits>

namespace omnisparse::widgets {

EventTail::EventTail(QObject* parent) : QObject(parent) {
  timer_.setInterval(500);
  connect(&timer_, &QTimer::timeout, this, [this] { poll(); });
  connect(&watcher_, &QFileSystemWatcher::fileChanged, this, [this] {
    poll();
    watch();  // editors and atomic renames drop the watch; re-arm it
  });
  connect(&watcher_, &QFileSystemWatcher::directoryChanged, this, [this] {
    poll();
    watch();
  });
}

void EventTail::setPath(const QString& path) {
  stop();
  path_ = path;
  offset_ = 0;
  malformed_ = 0;
  watch();
  timer_.start();
  poll();
}

void EventTail::stop() {
  timer_.stop();
  if (!watcher_.files().isEmpty()) watcher_.removePaths(watcher_.files());
  if (!watcher_.directories().isEmpty()) watcher_.removePaths(watcher_.directories());
}

void EventTail::watch() {
  if (path_.isEmpty()) return;
  if (QFileInfo::exists(path_) && !watcher_.files().contains(path_)) watcher_.addPath(path_);
  const QString dir = QFileInfo(path_).absolutePath();
  if (QFileInfo::exists(dir) && !watcher_.directories().contains(dir)) watcher_.addPath(dir);
}

int EventTail::poll() {
  if (path_.isEmpty()) return 0;
  QFile file(path_);
  if (!file.open(QIODevice::ReadOnly)) return 0;
  if (file.size() < offset_) {  // truncated or replaced: start over
    offset_ = 0;
    Q_EMIT reset();
  }
  if (file.size() == offset_ || !file.seek(offset_)) return 0;
  const QByteArray chunk = file.readAll();
  const qsizetype last_newline = chunk.lastIndexOf('\n');
  if (last_newline < 0) return 0;  // only a partial line so far
  QList<QJsonObject> events;
  qsizetype start = 0;
  while (start <= last_newline) {
    const qsizetype end = chunk.indexOf('\n', start);
    QJsonObject obj;
    const QByteArray line = chunk.mid(start, end - start);
    if (parseLine(line, &obj)) {
      events.append(obj);
    } else if (!line.trimmed().isEmpty()) {
      ++malformed_;
    }
    start = end + 1;
  }
  offset_ += last_newline + 1;
  if (!events.isEmpty()) Q_EMIT eventsRead(events);
  return static_cast<int>(events.size());
}

bool EventTail::parseLine(const QByteArray& line, QJsonObject* out) {
  const QByteArray trimmed = line.trimmed();
  if (trimmed.isEmpty()) return false;
  QJsonParseError err;
  const QJsonDocument doc = QJsonDocument::fromJson(trimmed, &err);
  if (err.error != QJsonParseError::NoError || !doc.isObject()) return false;
  const QJsonObject obj = doc.object();
  if (!obj.value("type").isString()) return false;
  *out = obj;
  return true;
}

double EventTail::eventTime(const QJsonObject& event) {
  const QJsonValue t = event.value("time");
  if (t.isDouble()) return t.toDouble();
  if (t.isString()) {
    QDateTime dt = QDateTime::fromString(t.toString(), Qt::ISODateWithMs);
    if (!dt.isValid()) dt = QDateTime::fromString(t.toString(), Qt::ISODate);
    if (dt.isValid()) return dt.toMSecsSinceEpoch() / 1000.0;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace omnisparse::widgets
