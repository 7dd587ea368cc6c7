#include "widgets/training_history.h"

#include <QJsonArray>

#include <cmath>
#include <type_traits>

namespace omnisparse::widgets {

void Curve::add(double step, double value) {
  truncate(step);
  x.append(step);
  y.append(value);
}

void Curve::truncate(double step) {
  while (!x.isEmpty() && x.last() >= step) {
    x.removeLast();
    y.removeLast();
  }
}

namespace {

// Sparsity levels are keys: round so 0.8, "0.80" and 0.80000001 share a series.
double level_key(double level) { return std::round(level * 1000.0) / 1000.0; }

}  // namespace

void TrainingHistory::addEvents(const QList<QJsonObject>& events) {
  for (const QJsonObject& e : events) addEvent(e);
}

void TrainingHistory::addEvent(const QJsonObject& e) {
  const QString type = e.value("type").toString();
  const double step = e.value("step").toDouble(step_);
  ++events_;
  if (type == "start" || type == "resume") {
    state_ = State::Running;
    mode_ = e.value("mode").toString(mode_);
    device_ = e.value("device").toString(device_);
    if (e.value("total_steps").isDouble()) total_steps_ = e.value("total_steps").toInteger();
    if (e.contains("parent")) parent_ = e.value("parent").toObject();  // null: no parent
    // A resume may use another number of workers: the layout is the latest start's.
    workers_ = e.value("workers").toInt(0);
    backend_ = e.value("backend").toString();
    threads_ = e.value("threads").toInt(0);
    sync_ms_ = -1;
    straggle_ms_ = -1;
    samples_per_s_ = 0;  // until this stretch's first step
    error_.clear();
    failed_rank_ = -1;
  } else if (type == "step") {
    if (state_ != State::Done) state_ = State::Running;
    step_ = static_cast<qint64>(step);
    const double loss = e.value("loss").toDouble(NAN);
    if (std::isfinite(loss)) loss_.add(step, loss);
    if (e.value("lr").isDouble()) lr_.add(step, e.value("lr").toDouble());
    if (e.value("progress").isDouble()) progress_ = e.value("progress").toDouble();
    if (e.value("eta_s").isDouble()) eta_s_ = e.value("eta_s").toDouble();
    if (e.value("samples_per_s").isDouble()) samples_per_s_ = e.value("samples_per_s").toDouble();
    if (e.value("workers").isDouble()) workers_ = e.value("workers").toInt();
    if (e.value("sync_ms").isDouble()) sync_ms_ = e.value("sync_ms").toDouble();
    if (e.value("straggle_ms").isDouble()) straggle_ms_ = e.value("straggle_ms").toDouble();
    if (e.value("passes").isDouble()) passes_ = e.value("passes").toInteger();
    if (e.value("elapsed_s").isDouble()) wall_s_ = e.value("elapsed_s").toDouble();
    addParentCost(e);
  } else if (type == "eval") {
    if (e.value("set").toString("dev") != "dev") return;
    for (const QJsonValue& v : e.value("results").toArray()) {
      const QJsonObject r = v.toObject();
      if (!r.value("wer").isDouble()) continue;
      const double level = level_key(r.value("sparsity").toDouble());
      dev_wer_[level].add(step, r.value("wer").toDouble() * 100.0);
    }
  } else if (type == "masks") {
    addMasks(e, step);
  } else if (type == "checkpoint") {
    checkpoint_ = e.value("path").toString();
  } else if (type == "done") {
    state_ = State::Done;
    if (e.value("workers").isDouble()) workers_ = e.value("workers").toInt();
    step_ = static_cast<qint64>(step);
    progress_ = 1.0;
    eta_s_ = 0;
    if (e.value("passes").isDouble()) passes_ = e.value("passes").toInteger();
    if (e.value("wall_s").isDouble()) wall_s_ = e.value("wall_s").toDouble();
    addParentCost(e);
  } else if (type == "stopped") {
    if (e.value("workers").isDouble()) workers_ = e.value("workers").toInt();
    if (e.value("passes").isDouble()) passes_ = e.value("passes").toInteger();
    if (e.value("wall_s").isDouble()) wall_s_ = e.value("wall_s").toDouble();
    addParentCost(e);
  } else if (type == "error") {
    state_ = State::Failed;
    error_ = e.value("message").toString("the trainer reported an error");
    failed_rank_ = e.value("failed_rank").toInt(-1);
  }
}

void TrainingHistory::addParentCost(const QJsonObject& e) {
  // Present and null: the parent's cost is unknown; absent: a run without a parent.
  auto read = [&](const char* key, auto* out) {
    if (!e.contains(key)) return;
    const QJsonValue v = e.value(key);
    *out = v.isDouble() ? static_cast<std::remove_pointer_t<decltype(out)>>(v.toDouble()) : -1;
  };
  read("parent_passes", &parent_passes_);
  read("total_passes", &total_passes_);
  read("total_wall_s", &total_wall_s_);
  if (e.value("teacher_passes").isDouble()) teacher_passes_ = e.value("teacher_passes").toInteger();
}

void TrainingHistory::addMasks(const QJsonObject& e, double step) {
  // A refresh at or before one already seen (a resumed run) replaces the history from there.
  refreshes_.add(step, e.value("frozen").toBool() ? 1.0 : 0.0);
  for (Curve& c : mask_overlap_) c.truncate(step);
  const QJsonObject overlap = e.value("overlap").toObject();
  for (auto it = overlap.begin(); it != overlap.end(); ++it) {
    bool ok = false;
    const double level = it.key().toDouble(&ok);
    if (ok && it.value().isDouble())
      mask_overlap_[level_key(level)].add(step, it.value().toDouble());
  }
}

double TrainingHistory::masksFrozenAt() const {
  for (qsizetype i = 0; i < refreshes_.x.size(); ++i)
    if (refreshes_.y[i] > 0) return refreshes_.x[i];
  return -1;
}

}  // namespace omnisparse::widgets
