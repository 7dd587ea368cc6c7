// LiveTranscriber events collected for a test: the callback runs on the transcriber's worker,
// so the log is guarded by a mutex.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "core/capture/live_transcriber.h"

namespace omnisparse::test {

struct EventLog {
  std::mutex m;
  std::vector<LiveEvent> events;
  LiveCallback callback() {
    return [this](const LiveEvent& e) {
      std::lock_guard<std::mutex> lock(m);
      events.push_back(e);
    };
  }
  // Events of type t (of one recognizer, or of all with -2), in order.
  std::vector<LiveEvent> of(LiveEventType t, int recognizer = -2) {
    std::lock_guard<std::mutex> lock(m);
    std::vector<LiveEvent> out;
    for (const auto& e : events)
      if (e.type == t && (recognizer == -2 || e.recognizer == recognizer)) out.push_back(e);
    return out;
  }
  bool wait_for(LiveEventType t, double timeout_s) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < timeout_s) {
      if (!of(t).empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

}  // namespace omnisparse::test
