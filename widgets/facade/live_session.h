// The Live panel's window onto core's live transcription (LiveTranscriber): input devices,
// the sub-networks to decode, and a session that runs everything off the GUI thread and hands
// its events back as queued Qt signals. No torch, ATen or PortAudio in this header.
//
//   LiveSession s;
//   connect(&s, &LiveSession::update, panel, &LivePanel::onUpdate);   // GUI thread
//   s.start("ALSA/pulse", {{run, "", 0.9}, {run, "evo-0042"}});       // A/B; returns at once
//   s.stop();                                                          // returns at once
//
// A session checks the device first (no device: an Error update within milliseconds), then
// loads each sub-network's run model on its own thread, then transcribes until stop().
// Every session ends with a Stopped update. Destroying a running session stops and joins it.
#pragma once

#include <QObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace omnisparse {
class LiveTranscriber;
}

namespace omnisparse::widgets {

struct LiveDevice {
  QString id;  // "host API/name": what settings store (PortAudio indices reorder)
  bool is_default = false;
  double default_rate = 0;
  int channels = 0;
};

// The input devices now; never throws (empty list + *error when PortAudio fails or there is
// no input). Call from the GUI thread only.
QVector<LiveDevice> list_live_devices(QString* error);

// One sub-network of a run: a results.h5 id, or a uniform sparsity when the id is empty; and
// the search that decodes it.
struct LiveModelSpec {
  QString run_dir;
  QString subnet_id;
  double sparsity = 0;
  int beam = 0;  // 0 or 1: greedy search; > 1: beam search of this width (StreamingOptions::beam)
  QString label() const;  // "dense", "80 % sparse" or the id; ", beam 4" with beam search
};

// A LiveEvent as plain Qt data.
struct LiveUpdate {
  enum Type { Started, Level, Partial, Final, Stats, Error, Stopped };
  Type type = Stopped;
  int recognizer = -1;   // 0 = A, 1 = B
  QString text;          // partial/final text, error message, Started: device id
  double time_s = 0;
  float level = 0;
  double latency_s = 0;  // Final: end of speech -> final (NaN when unknown)
  double rtf = 0;        // Final/Stats: decode time / audio time so far
  double audio_s = 0;
  int utterances = 0;
  double mean_latency_s = 0;
};

class LiveSession : public QObject {
  Q_OBJECT

 public:
  explicit LiveSession(QObject* parent = nullptr);
  ~LiveSession() override;

  // One or two models. `device` is an input's id, or "file:PATH" for an audio file played at
  // real-time pace. False (nothing started) while a session is still running.
  bool start(const QString& device, const QVector<LiveModelSpec>& models, double max_seconds = 0);
  void stop();
  bool running() const { return running_; }

 Q_SIGNALS:
  void update(const omnisparse::widgets::LiveUpdate& u);  // emitted on this object's thread

 private:
  void post(const LiveUpdate& u);
  void run(QString device, QVector<LiveModelSpec> models, double max_seconds);

  bool running_ = false;  // GUI-thread view: set by start(), cleared by the Stopped update
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex live_mutex_;
  LiveTranscriber* live_ = nullptr;  // owned by the session thread; guarded by live_mutex_
};

}  // namespace omnisparse::widgets
