// What a run's events say so far, as curves and a status: the training panel's model.
// Fed by EventTail (events.jsonl) and the child's JSON-lines stdout alike; an event for a step
// at or before one already seen (a resumed run replaying from its checkpoint, or the same
// event arriving from both sources) replaces the curve from that step on, so nothing is
// counted twice.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QVector>

namespace omnisparse::widgets {

struct Curve {
  QVector<double> x;  // step
  QVector<double> y;
  void add(double step, double value);  // drops points at >= step first
  void clear() { x.clear(); y.clear(); }
};

class TrainingHistory {
 public:
  enum class State { Empty, Running, Done, Failed };

  void clear() { *this = TrainingHistory(); }
  void addEvent(const QJsonObject& event);
  void addEvents(const QList<QJsonObject>& events);

  const Curve& loss() const { return loss_; }
  const Curve& lr() const { return lr_; }
  // Dev WER (%) per evaluated sparsity level, keyed by the level (0.8 -> "80 %" series).
  const QMap<double, Curve>& devWer() const { return dev_wer_; }

  State state() const { return state_; }
  QString mode() const { return mode_; }
  QString device() const { return device_; }
  qint64 step() const { return step_; }
  qint64 totalSteps() const { return total_steps_; }
  double progress() const { return progress_; }  // 0..1
  double etaSeconds() const { return eta_s_; }   // < 0 when unknown
  double samplesPerSecond() const { return samples_per_s_; }
  qint64 passes() const { return passes_; }
  double wallSeconds() const { return wall_s_; }
  QString errorMessage() const { return error_; }
  QString lastCheckpoint() const { return checkpoint_; }
  int eventCount() const { return events_; }

 private:
  Curve loss_, lr_;
  QMap<double, Curve> dev_wer_;
  State state_ = State::Empty;
  QString mode_, device_, error_, checkpoint_;
  qint64 step_ = 0, total_steps_ = 0, passes_ = 0;
  double progress_ = 0, eta_s_ = -1, samples_per_s_ = 0, wall_s_ = 0;
  int events_ = 0;
};

}  // namespace omnisparse::widgets
