// What a run's events say so far, as curves and a status: the training panel's model.
// Fed by EventTail (events.jsonl) and the child's JSON-lines stdout alike; an event for a step
// at or before one already seen (a resumed run replaying from its checkpoint, or the same
// event arriving from both sources) replaces the curve from that step on, so nothing is
// counted twice.
//
// A run started from a parent (`train --init-from`) reports the parent's cost beside its own:
// step / done / stopped events carry parent_passes, total_passes and total_wall_s (null when
// the parent's cost is unknown, e.g. an exported model). A supernet reports every rank refresh
// as a "masks" event: per sparsity level, the fraction of that level's kept weights that were
// also kept before the refresh (1 - mask churn), and whether the masks are now frozen.
//
// A data-parallel run (`train --workers N`) names its layout in the start / resume event
// ("workers", "backend": none | gloo | nccl, "threads" per worker); its step events carry
// "workers", the total "samples_per_s" over all workers and "sync_ms" (mean all-reduce time per
// step). When a worker dies the launcher appends an "error" event with "failed_rank".
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
  void truncate(double step);           // drops points at >= step
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
  // Mask overlap (fraction 0..1) at each rank refresh, per sparsity level (0.5, 0.7, ...).
  const QMap<double, Curve>& maskOverlap() const { return mask_overlap_; }
  // Steps of every rank refresh, the first (which has no overlap) included.
  const QVector<double>& maskRefreshSteps() const { return refreshes_.x; }
  // The step of the refresh that froze the masks; < 0 while they may still change.
  double masksFrozenAt() const;

  State state() const { return state_; }
  QString mode() const { return mode_; }
  QString device() const { return device_; }
  qint64 step() const { return step_; }
  qint64 totalSteps() const { return total_steps_; }
  double progress() const { return progress_; }  // 0..1
  double etaSeconds() const { return eta_s_; }   // < 0 when unknown
  double samplesPerSecond() const { return samples_per_s_; }  // over all workers
  // Worker processes of the latest (re)start; 0 when the events do not say (an older trainer:
  // one process).
  int workers() const { return workers_; }
  QString backend() const { return backend_; }  // "none", "gloo", "nccl"; empty when unknown
  int threadsPerWorker() const { return threads_; }  // 0 when unknown
  double syncMs() const { return sync_ms_; }  // mean all-reduce ms per step; < 0 when unknown
  // The workers' mean wait per step for the slowest one (its work minus the workers' mean):
  // the part of the all-reduce time that is not communication; < 0 when unknown.
  double straggleMs() const { return straggle_ms_; }
  int failedRank() const { return failed_rank_; }  // the lost worker of an error event, or -1
  qint64 passes() const { return passes_; }      // this run's own
  qint64 teacherPasses() const { return teacher_passes_; }  // of passes(): distillation teacher
  double wallSeconds() const { return wall_s_; }
  QString errorMessage() const { return error_; }
  QString lastCheckpoint() const { return checkpoint_; }
  int eventCount() const { return events_; }

  // The parent (start event's "parent" object); empty when the run has none.
  bool hasParent() const { return !parent_.isEmpty(); }
  const QJsonObject& parent() const { return parent_; }
  // Passes / wall time with the parent (and its ancestors); < 0 when unknown.
  qint64 parentPasses() const { return parent_passes_; }
  qint64 totalPasses() const { return total_passes_; }
  double totalWallSeconds() const { return total_wall_s_; }

 private:
  void addParentCost(const QJsonObject& e);
  void addMasks(const QJsonObject& e, double step);

  Curve loss_, lr_;
  Curve refreshes_;  // y: 1 for the refresh that froze the masks
  QMap<double, Curve> dev_wer_, mask_overlap_;
  State state_ = State::Empty;
  QString mode_, device_, error_, checkpoint_, backend_;
  QJsonObject parent_;
  qint64 step_ = 0, total_steps_ = 0, passes_ = 0, teacher_passes_ = 0;
  qint64 parent_passes_ = -1, total_passes_ = -1;
  double progress_ = 0, eta_s_ = -1, samples_per_s_ = 0, wall_s_ = 0, total_wall_s_ = -1;
  double sync_ms_ = -1;
  double straggle_ms_ = -1;
  int workers_ = 0, threads_ = 0, failed_rank_ = -1;
  int events_ = 0;
};

}  // namespace omnisparse::widgets
