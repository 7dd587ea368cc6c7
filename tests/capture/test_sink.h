// The PulseAudio null sink that `audio` tests capture from (scripts/audio-sandbox.sh starts it
// and exports OMNISPARSE_TEST_SINK=vsink; scripts/test.sh does this before ctest). Its monitor
// is the default input, so what a test plays into the sink comes back through the microphone.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

// Skips the current test, saying why, when no sandbox sink is running.
#define REQUIRE_TEST_SINK()                                                               \
  do {                                                                                    \
    if (::omnisparse::test::test_sink().empty())                                          \
      GTEST_SKIP() << "OMNISPARSE_TEST_SINK is unset: no PulseAudio null sink to capture " \
                      "from (run through scripts/test.sh, or source scripts/audio-sandbox.sh " \
                      "and call audio_sandbox_start)";                                    \
  } while (0)

namespace omnisparse::test {

inline std::string test_sink() {
  const char* s = std::getenv("OMNISPARSE_TEST_SINK");
  return s ? s : "";
}

// A null sink of this test's own, loaded into the sandbox server, whose monitor becomes the
// default input of this process (PULSE_SOURCE, read by libpulse inside ALSA's pulse plugin).
// Tests that play and capture use one so that tests running in parallel (ctest -j) never hear
// each other. Falls back to the shared sink when the module cannot be loaded.
class PrivateSink {
 public:
  PrivateSink() {
    name_ = "os_capture_" + std::to_string(::getpid());
    const std::string cmd = "pactl load-module module-null-sink sink_name=" + name_ +
                            " rate=16000 channels=1 2>/dev/null";
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[64] = {0};
      if (std::fgets(buf, sizeof buf, p)) module_ = std::atoi(buf);
      if (::pclose(p) != 0) module_ = -1;
    }
    if (module_ < 0) name_ = test_sink();
    ::setenv("PULSE_SOURCE", (name_ + ".monitor").c_str(), 1);
  }
  ~PrivateSink() {
    ::unsetenv("PULSE_SOURCE");
    if (module_ >= 0)
      std::system(("pactl unload-module " + std::to_string(module_) + " 2>/dev/null").c_str());
  }
  PrivateSink(const PrivateSink&) = delete;
  PrivateSink& operator=(const PrivateSink&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int module_ = -1;
};

// Plays a sound file into the sink from a child process (paplay) on a background thread.
// join() waits for the playback to finish; returns paplay's exit status.
class SinkPlayer {
 public:
  SinkPlayer(const std::string& sink, const std::filesystem::path& file)
      : thread_([this, cmd = "paplay -d " + sink + " '" + file.string() + "'"] {
          status_ = std::system(cmd.c_str());
        }) {}
  ~SinkPlayer() { join(); }
  int join() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  int status_ = -1;
  std::thread thread_;
};

}  // namespace omnisparse::test
