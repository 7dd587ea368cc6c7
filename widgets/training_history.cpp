#include "widgets/training_history.h"

#include <QJsonArray>

#include <cmath>

namespace omnisparse::widgets {

void Curve::add(double step, double value) {
  while (!x.isEmpty() && x.last() >= step) {
    x.removeLast();
    y.removeLast();
  }
  x.append(step);
  y.append(value);
}

void TrainingHistory::addEvents(const QList<QJsonObject>& events) {
  for (const QJsonObject& e : events) addEvent(e);
}

void TrainingHistory::addEvent(const QJsonObject& e) {
  const QString type = e.value("type").toString();
  const double step = e.value("step").toDouble(step_);
  ++events_;
  if (type == "start") {
    state_ = State::Running;
    mode_ = e.value("mode").toString(mode_);
    device_ = e.value("device").toString(device_);
    if (e.value("total_steps").isDouble()) total_steps_ = e.value("total_steps").toInteger();
    error_.clear();
  } else if (type == "step") {
    if (state_ != State::Done) state_ = State::Running;
    step_ = static_cast<qint64>(step);
    const double loss = e.value("loss").toDouble(NAN);
    if (std::isfinite(loss)) loss_.add(step, loss);
    if (e.value("lr").isDouble()) lr_.add(step, e.value("lr").toDouble());
    if (e.value("progress").isDouble()) progress_ = e.value("progress").toDouble();
    if (e.value("eta_s").isDouble()) eta_s_ = e.value("eta_s").toDouble();
    if (e.value("samples_per_s").isDouble()) samples_per_s_ = e.value("samples_per_s").toDouble();
    if (e.value("passes").isDouble()) passes_ = e.value("passes").toInteger();
    if (e.value("elapsed_s").isDouble()) wall_s_ = e.value("elapsed_s").toDouble();
  } else if (type == "eval") {
    if (e.value("set").toString("dev") != "dev") return;
    for (const QJsonValue& v : e.value("results").toArray()) {
      const QJsonObject r = v.toObject();
      if (!r.value("wer").isDouble()) continue;
      // Round the level so 0.8 and 0.80000001 share a series.
      const double level = std::round(r.value("sparsity").toDouble() * 1000.0) / 1000.0;
      dev_wer_[level].add(step, r.value("wer").toDouble() * 100.0);
    }
  } else if (type == "checkpoint") {
    checkpoint_ = e.value("path").toString();
  } else if (type == "done") {
    state_ = State::Done;
    step_ = static_cast<qint64>(step);
    progress_ = 1.0;
    eta_s_ = 0;
    if (e.value("passes").isDouble()) passes_ = e.value("passes").toInteger();
    if (e.value("wall_s").isDouble()) wall_s_ = e.value("wall_s").toDouble();
  } else if (type == "error") {
    state_ = State::Failed;
    error_ = e.value("message").toString("the trainer reported an error");
  }
}

}  // namespace omnisparse::widgets
