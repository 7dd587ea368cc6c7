#include "app/cli/transcribe_mic.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/common/error.h"
#include "core/stream/wave_stream.h"
#ifdef OMNISPARSE_WITH_CAPTURE
#include "core/capture/live_transcriber.h"
#endif

namespace omnisparse::cli {

#ifdef OMNISPARSE_WITH_CAPTURE
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

}  // namespace

void run_transcribe_mic(LoadedModel& model, const MicArgs& a) {
  if (!(a.seconds >= 0)) throw InvalidArgument("--seconds must be >= 0 (0 = until Ctrl+C)");
  StreamingOptions so;
  so.chunk_ms = a.chunk_ms;
  so.beam = a.beam;
  so.Validate();
  WaveRecognizer rec(model.bundle(), so);
  LiveOptions lo;
  lo.device = a.device;
  lo.file = a.file;
  lo.pace = a.pace;
  lo.max_seconds = a.seconds;
  lo.chunk_ms = a.chunk_ms;
  lo.endpoint.trailing_silence_s = a.endpoint_silence_s;
  lo.endpoint.no_speech_s = a.no_speech_s;
  lo.endpoint.max_utterance_s = a.max_utterance_s;
  lo.endpoint.energy_threshold = a.energy_threshold;
  lo.endpoint.voice_gate = a.voice_gate;
  lo.endpoint.min_voice_s = a.min_voice_s;
  lo.Validate();  // ConfigError naming the key, before the device opens
  const bool tty = ::isatty(STDERR_FILENO);
  const bool json = globals().json;
  std::fprintf(stderr, "transcribe: %s, chunk %.0f ms, %s, %s; endpoint %s\n",
               model.description().c_str(), a.chunk_ms, so.search_name().c_str(),
               rec.recognizer().kernels_description().c_str(), lo.endpoint.ToString().c_str());

  std::string error;
  LiveEvent stats;
  bool partial_shown = false;
  // Runs on the worker thread; the main thread only waits, so nothing else writes meanwhile.
  auto on_event = [&](const LiveEvent& e) {
    auto clear_partial = [&] {
      if (tty && partial_shown) std::fputs("\r\033[K", stderr);
      partial_shown = false;
    };
    switch (e.type) {
      case LiveEventType::kStarted:
        if (!a.file.empty())
          std::fprintf(stderr, "transcribe: playing %s (%d Hz) at %gx real time%s\n", a.file.c_str(),
                       e.sample_rate, a.pace,
                       a.seconds > 0 ? fmt::format(", first {:g} s", a.seconds).c_str() : "");
        else
          std::fprintf(stderr, "transcribe: listening on %s (%d Hz)%s\n", e.text.c_str(),
                       e.sample_rate, a.seconds > 0 ? fmt::format(" for {:g} s", a.seconds).c_str()
                                                     : ", Ctrl+C to stop");
        break;
      case LiveEventType::kPartial:
        if (tty) {
          std::fprintf(stderr, "\r\033[K%s", e.text.c_str());
          partial_shown = true;
        } else {
          std::fprintf(stderr, "partial %.2f: %s\n", e.time_s, e.text.c_str());
        }
        std::fflush(stderr);
        break;
      case LiveEventType::kFinal:
        clear_partial();
        if (json)
          std::cout << nlohmann::json{{"text", e.text}, {"start_s", e.start_s}, {"end_s", e.end_s},
                                      {"endpoint", to_string(e.rule)}, {"latency_s", e.latency_s},
                                      {"rtf", e.rtf()}}.dump()
                    << "\n" << std::flush;
        else
          std::cout << e.text << "\n" << std::flush;
        break;
      case LiveEventType::kStats: stats = e; break;
      case LiveEventType::kError: error = e.text; break;
      case LiveEventType::kStopped: clear_partial(); break;
      case LiveEventType::kLevel: break;
    }
  };

  LiveTranscriber live({&rec}, lo, on_event);
  g_interrupted.store(false);
  auto previous = std::signal(SIGINT, on_sigint);
  live.start();
  while (!live.finished()) {
    if (g_interrupted.load()) live.request_stop();
    ::usleep(20000);
  }
  live.wait();
  std::signal(SIGINT, previous);
  if (stats.audio_s > 0)
    std::fprintf(stderr,
                 "transcribe: %.1f s audio, decode %.3f s, RTF %.3f (1 thread); %d utterance(s), "
                 "end-of-speech latency %s\n",
                 stats.audio_s, stats.decode_s, stats.rtf(), stats.utterances,
                 stats.utterances > 0 ? fmt::format("{:.0f} ms mean", stats.mean_latency_s * 1e3).c_str()
                                      : "n/a");
  if (!error.empty()) {
    if (!a.file.empty()) throw Error(error);  // names the file already
    throw DeviceError(error);
  }
}

#else

void run_transcribe_mic(LoadedModel&, const MicArgs&) {
  throw DeviceError("this build has no microphone support (built with OMNISPARSE_HEADLESS)");
}

#endif

}  // namespace omnisparse::cli
