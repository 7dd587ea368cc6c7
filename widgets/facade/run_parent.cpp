#include "widgets/facade/run_parent.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

#include "core/common/error.h"
#include "core/io/run_dir.h"

namespace omnisparse::widgets {

QJsonObject read_run_json(const QString& run_dir) {
  if (run_dir.isEmpty()) return {};
  try {  // core's reader (size limit, JSON object check), the one every program uses
    const nlohmann::json j = RunDir::open(run_dir.toStdString()).read_run_json();
    return QJsonDocument::fromJson(QByteArray::fromStdString(j.dump())).object();
  } catch (const Error&) {
    return {};  // absent or unreadable: the panels show the run without it
  }
}

QJsonObject run_config(const QJsonObject& run_json) {
  return run_json.value("config").isObject() ? run_json.value("config").toObject() : run_json;
}

QString parent_run_directory(const QString& init_from) {
  if (init_from.trimmed().isEmpty()) return {};
  const QFileInfo info(init_from.trimmed());
  if (info.isDir()) {
    return QFileInfo::exists(QDir(info.absoluteFilePath()).filePath("run.json"))
               ? QDir(info.absoluteFilePath()).absolutePath()
               : QString();
  }
  QDir dir = info.absoluteDir();  // RUN/checkpoints/ckpt-N.safetensors -> RUN
  if (info.isFile() && dir.dirName() == "checkpoints" && dir.cdUp() &&
      QFileInfo::exists(dir.filePath("run.json")))
    return dir.absolutePath();
  return {};
}

QString RunParent::name() const {
  if (!run_dir.isEmpty()) return QFileInfo(run_dir).fileName();
  return QFileInfo(path).fileName();
}

RunParent run_parent(const QString& run_dir) {
  const QJsonObject root = read_run_json(run_dir);
  RunParent p;
  const QJsonObject parent = root.value("parent").toObject();
  p.path = parent.value("path").toString();
  p.kind = parent.value("kind").toString();
  if (p.path.isEmpty()) p.path = run_config(root).value("init_from").toString();
  if (p.path.isEmpty()) return {};
  if (QFileInfo(p.path).isRelative()) p.path = QDir(run_dir).absoluteFilePath(p.path);
  p.run_dir = parent_run_directory(p.path);
  if (p.kind.isEmpty())
    p.kind = p.run_dir.isEmpty() ? "model" : QFileInfo(p.path).isDir() ? "run" : "checkpoint";
  return p;
}

}  // namespace omnisparse::widgets
