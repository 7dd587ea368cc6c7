// Live transcription from a microphone (or an audio file played at real-time pace, for demos
// without a microphone and for auditioning a recording): a worker thread reads 16 kHz audio, feeds it chunk by
// chunk to one recognizer, or to two (A/B: two sub-networks on the same captured audio, each
// with its own stream, endpointing and timing), and reports everything as events.
//
//   WaveRecognizer rec(bundle, {.chunk_ms = 320});
//   LiveTranscriber live({&rec}, {.device = "pulse", .max_seconds = 10},
//                        [](const LiveEvent& e) {          // called on the worker thread
//                          if (e.type == LiveEventType::kFinal) std::puts(e.text.c_str());
//                        });
//   live.start();        // returns at once; the device opens in the worker
//   live.wait();         // until max_seconds of audio, a device error, the file's end or
//                        // request_stop()
//
// Events, in order: kStarted (device opened; text "file:PATH" for a file) or kError (no
// device: the message says which inputs exist; an unreadable file: names it); then kLevel (~20 per second), kPartial (text changed; shown only once the
// utterance has voice, and withdrawn with an empty text when it ends without a final), kFinal
// (an utterance with voice ended: by endpointing, at max_seconds or at stop; one without voice
// gives none, see endpoint.h's voice gate); on device loss a kError; always kStats
// (one per recognizer) and finally kStopped. --seconds style limits count from the first
// samples (PulseAudio takes ~2 s to deliver them). Latency of a final = wall time from the end
// of speech (the last voiced 10 ms frame; the last token when nothing was voiced) to the event.
//
// Threads: start/request_stop/stop/wait/destruction from one owner thread; the callback runs
// on the worker thread and must be quick (the GUI queues it, the CLI prints). The recognizers
// must outlive the transcriber; while it runs nobody else may change their models' masks.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/capture/endpoint.h"

namespace omnisparse {

class WaveRecognizer;

struct LiveOptions {
  std::string device;               // "" = default input (see find_input_device)
  // An audio file instead of a device (any format read_audio takes): decoded up front, then fed
  // through the same path at `pace` x real time (1: as if spoken now); it ends at the file's end.
  std::string file;
  double pace = 1.0;
  double max_seconds = 0;           // stop after this much audio; 0 = until request_stop()
  double chunk_ms = 320;            // audio per decode step
  EndpointConfig endpoint;
  bool keep_audio = false;          // attach each utterance's 16 kHz audio to its kFinal
  double level_interval_s = 0.05;
  double first_audio_timeout_s = 10;  // no samples by then: kError
  void Validate() const;              // ConfigError naming the key
};

enum class LiveEventType { kStarted, kLevel, kPartial, kFinal, kStats, kError, kStopped };

struct LiveEvent {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  LiveEventType type = LiveEventType::kStopped;
  int recognizer = -1;       // 0 = A, 1 = B for partial/final/stats
  std::string text;          // partial/final text, error message, started: device id
  double time_s = 0;         // audio seconds since the first samples, at the event
  float level = 0;           // kLevel: peak |sample| since the previous one, 0..1
  int sample_rate = 0;       // kStarted: the device's rate
  // kFinal
  EndpointRule rule = EndpointRule::kNone;  // why it ended (kNone: max_seconds or stop)
  double start_s = 0, end_s = 0;            // the utterance on the capture timeline
  double latency_s = kNaN;                  // end of speech -> this event, wall clock
  std::vector<float> audio;                 // with keep_audio: what this stream decoded
  // kFinal and kStats: this recognizer so far
  double audio_s = 0, decode_s = 0;
  double rtf() const { return audio_s > 0 ? decode_s / audio_s : 0.0; }
  int utterances = 0;           // finals so far
  double mean_latency_s = kNaN;  // over the finals so far
};

using LiveCallback = std::function<void(const LiveEvent&)>;

class LiveTranscriber {
 public:
  // One or two recognizers; throws InvalidArgument otherwise, ConfigError on bad options.
  LiveTranscriber(std::vector<const WaveRecognizer*> recognizers, LiveOptions options,
                  LiveCallback callback);
  ~LiveTranscriber();  // stop()
  LiveTranscriber(const LiveTranscriber&) = delete;
  LiveTranscriber& operator=(const LiveTranscriber&) = delete;

  void start();         // once; throws InvalidArgument when called again
  void request_stop();  // returns at once: the worker finishes its utterances and ends
  void wait();          // joins the worker
  void stop() { request_stop(); wait(); }
  bool finished() const { return finished_.load(); }

 private:
  void run();

  std::vector<const WaveRecognizer*> recognizers_;
  LiveOptions options_;
  LiveCallback callback_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread worker_;
  bool started_ = false;
};

}  // namespace omnisparse
