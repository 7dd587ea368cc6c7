#include "widgets/facade/event_tail.h"

#include <QFileInfo>
#include <QJsonDocument>

#include "core/io/event_log.h"

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

namespace {

QJsonObject to_qjson(const nlohmann::json& event) {
  return QJsonDocument::fromJson(QByteArray::fromStdString(event.dump())).object();
}

}  // namespace

int EventTail::poll() {
  if (path_.isEmpty()) return 0;
  const EventRead r = read_events(path_.toStdString(), static_cast<uint64_t>(offset_));
  if (r.restarted) {  // truncated or replaced: start over
    offset_ = 0;
    Q_EMIT reset();
  }
  malformed_ += static_cast<int>(r.corrupt.size());
  offset_ = static_cast<qint64>(r.next_offset);
  QList<QJsonObject> events;
  for (const auto& e : r.events) events.append(to_qjson(e));
  if (!events.isEmpty()) Q_EMIT eventsRead(events);
  return static_cast<int>(events.size());
}

bool EventTail::parseLine(const QByteArray& line, QJsonObject* out) {
  nlohmann::json j;
  std::string why;
  if (!parse_event_line(std::string_view(line.constData(), static_cast<size_t>(line.size())), &j, &why))
    return false;
  *out = to_qjson(j);
  return true;
}

}  // namespace omnisparse::widgets
