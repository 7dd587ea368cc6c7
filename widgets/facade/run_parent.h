// The parent of a run started with `train --init-from` as the workbench sees it: what run.json
// says about it, and the run directory it came from when there is one (a parent given as a run
// directory, or as a checkpoint inside RUN/checkpoints/). Reads run.json through core's reader
// (core/io/run_dir.h), nothing else.
//
//   const RunParent p = run_parent("/runs/omni");
//   if (!p.run_dir.isEmpty()) load_run_results(p.run_dir, &err);   // the parent's own results
#pragma once

#include <QJsonObject>
#include <QString>

namespace omnisparse::widgets {

// RUN/run.json as an object; empty when absent or unreadable.
QJsonObject read_run_json(const QString& run_dir);
// The training config in run.json ("config"; older files hold it at the top level).
QJsonObject run_config(const QJsonObject& run_json);

// The run directory behind an --init-from path: the path itself when it holds a run.json, the
// run owning it when it is a file in RUN/checkpoints/; else empty (an exported model, say).
QString parent_run_directory(const QString& init_from);

struct RunParent {
  QString path;     // as recorded (absolute when the trainer wrote it); empty: no parent
  QString kind;     // "run", "checkpoint" or "model"
  QString run_dir;  // parent_run_directory(path); empty when the parent is not a run
  QString name() const;  // the run directory's name, else the file name
};

// From run.json's "parent" (or config.init_from for a run that has not started yet). A relative
// path is taken relative to the run directory.
RunParent run_parent(const QString& run_dir);

}  // namespace omnisparse::widgets
