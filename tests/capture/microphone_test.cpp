#include "core/capture/microphone.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "tests/capture/test_sink.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Drains the microphone until its callback has delivered audio (PulseAudio takes seconds to
// start a record stream on a busy machine); what arrived before is discarded.
void wait_until_flowing(Microphone& mic, MicrophoneReader16k& reader) {
  const auto start = Clock::now();
  while (mic.status().frames_captured == 0 && seconds_since(start) < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(mic.status().frames_captured, 0u) << "no audio callback within 10 s";
  std::printf("capture: first callback %.2f s after the stream was opened\n",
              seconds_since(start));
  reader.read_available();
  mic.peak_level();
}

// Reads n samples at 16 kHz, keeping the largest level-meter reading seen.
std::vector<float> capture(Microphone& mic, MicrophoneReader16k& reader, size_t n,
                           float* max_peak = nullptr) {
  std::vector<float> out;
  const auto start = Clock::now();
  while (out.size() < n && seconds_since(start) < 15) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto piece = reader.read_available();
    out.insert(out.end(), piece.begin(), piece.end());
    if (max_peak) *max_peak = std::max(*max_peak, mic.peak_level());
    EXPECT_NE(mic.status().state, MicrophoneState::kLost) << mic.status().message;
  }
  if (out.size() > n) out.resize(n);
  return out;
}

struct Alignment {
  double ncc = 0;
  long lag = 0;  // samples of `captured` before `played` starts
};

// Peak of the normalised cross-correlation of `played` slid along `captured` (overlap of at
// least 80 % of `played`).
Alignment best_alignment(const std::vector<float>& captured, const std::vector<float>& played) {
  const long n = long(captured.size()), m = long(played.size());
  std::vector<double> cap_energy(n + 1, 0.0), played_energy(m + 1, 0.0);  // prefix sums
  for (long i = 0; i < n; ++i) cap_energy[i + 1] = cap_energy[i] + double(captured[i]) * captured[i];
  for (long i = 0; i < m; ++i) played_energy[i + 1] = played_energy[i] + double(played[i]) * played[i];
  Alignment best;
  for (long lag = -m / 5; lag + m * 4 / 5 <= n; ++lag) {
    const long i0 = std::max(0L, -lag), i1 = std::min(m, n - lag);
    double dot = 0;
    for (long i = i0; i < i1; ++i) dot += double(captured[lag + i]) * played[i];
    const double e_played_part = played_energy[i1] - played_energy[i0];
    const double e_cap = cap_energy[lag + i1] - cap_energy[lag + i0];
    if (e_cap <= 0 || e_played_part <= 0) continue;
    const double ncc = dot / std::sqrt(e_cap * e_played_part);
    if (ncc > best.ncc) best = {ncc, lag};
  }
  return best;
}

TEST(Microphone, CapturedSpeechCorrelatesWithPlayedSpeech) {
  REQUIRE_TEST_SINK();
  test::TempDir dir;
  const auto wav = dir / "sentence.wav";
  ASSERT_EQ(std::system(("espeak-ng -w '" + wav.string() + "' 'turn on the kitchen lights'").c_str()), 0);
  const std::vector<float> played = read_audio_16k(wav);
  ASSERT_GT(played.size(), 8000u);

  test::PrivateSink sink;
  Microphone mic;  // the default input: the sink's monitor
  MicrophoneReader16k reader(mic);
  wait_until_flowing(mic, reader);
  test::SinkPlayer player(sink.name(), wav);
  float peak = 0;
  const std::vector<float> captured = capture(mic, reader, 3 * 16000, &peak);
  EXPECT_EQ(player.join(), 0);
  ASSERT_EQ(captured.size(), 3u * 16000u);

  const Alignment a = best_alignment(captured, played);
  // The lag is paplay's start-up plus the whole PulseAudio -> ALSA -> PortAudio path.
  std::printf("capture: device %s at %d Hz x%d, PortAudio input latency %.1f ms; played %.2f s, "
              "NCC %.4f, speech starts %.1f ms after paplay was launched\n",
              mic.device().id().c_str(), mic.sample_rate(), mic.channels(),
              mic.input_latency_s() * 1e3, played.size() / 16000.0, a.ncc, a.lag / 16.0);
  EXPECT_GT(a.ncc, 0.9);
  EXPECT_GT(peak, 0.1f);  // the level meter saw the speech
  const MicrophoneStatus st = mic.status();
  EXPECT_EQ(st.state, MicrophoneState::kRunning) << st.message;
  EXPECT_EQ(st.dropped_samples, 0u);
  mic.stop();
  EXPECT_EQ(mic.status().state, MicrophoneState::kStopped);
}

TEST(Microphone, Forced48kCaptureResamplesAToneTo16kKeepingItsPitch) {
  REQUIRE_TEST_SINK();
  test::TempDir dir;
  const auto wav = dir / "tone.wav";
  std::vector<float> tone(48000 * 2);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * float(std::sin(2 * M_PI * 1000 * i / 48000.0));
  write_audio(wav, tone, 48000);

  test::PrivateSink sink;
  MicrophoneOptions opts;
  opts.rates = {48000};
  Microphone mic(opts);
  ASSERT_EQ(mic.sample_rate(), 48000);
  MicrophoneReader16k reader(mic);
  wait_until_flowing(mic, reader);
  EXPECT_LT(mic.peak_level(), 0.01f);  // nothing playing into our sink yet
  test::SinkPlayer player(sink.name(), wav);
  float peak = 0;
  const std::vector<float> captured = capture(mic, reader, 3 * 16000, &peak);
  EXPECT_EQ(player.join(), 0);

  // Frequency from upward zero crossings inside the loud part (edges trimmed by 50 ms).
  size_t lo = captured.size(), hi = 0;
  for (size_t i = 0; i < captured.size(); ++i)
    if (std::fabs(captured[i]) > 0.25f) lo = std::min(lo, i), hi = i;
  ASSERT_GT(hi, lo + 16000) << "under 1 s of the 2 s tone came through (peak " << peak << ")";
  double first = -1, last = -1;
  int crossings = 0;
  for (size_t i = lo + 800; i < hi - 800; ++i) {
    if (captured[i - 1] < 0 && captured[i] >= 0) {
      const double t = double(i - 1) + captured[i - 1] / (captured[i - 1] - captured[i]);
      if (first < 0) first = t;
      last = t;
      ++crossings;
    }
  }
  ASSERT_GT(crossings, 900);
  EXPECT_NEAR((crossings - 1) * 16000.0 / (last - first), 1000.0, 2.0);
  EXPECT_NEAR(peak, 0.5f, 0.05f);
}

TEST(Microphone, RecordReturnsExactlyTheRequestedDurationAt16k) {
  REQUIRE_TEST_SINK();
  test::PrivateSink sink;  // silent: nobody plays into it
  const std::vector<float> clip = record("", 1.25);
  ASSERT_EQ(clip.size(), 20000u);
  float peak = 0;
  for (float v : clip) {
    ASSERT_TRUE(std::isfinite(v));
    peak = std::max(peak, std::fabs(v));
  }
  EXPECT_LT(peak, 0.01f);
}

TEST(Microphone, UnknownDeviceThrowsDeviceErrorListingInputs) {
  REQUIRE_TEST_SINK();
  try {
    Microphone mic({.device = "no-such-microphone-xyz"});
    FAIL() << "expected DeviceError";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("available inputs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(record("no-such-microphone-xyz", 1.0), DeviceError);
}

// A private PulseAudio server that the test kills mid-capture: the microphone must report the
// loss through status() (no crash, no hang), and a new capture must fail with DeviceError.
TEST(Microphone, ServerKilledMidStreamIsReportedAsLost) {
  REQUIRE_TEST_SINK();
  test::TempDir dir("omnisparse-pa-lost");
  const std::string saved_xdg = std::getenv("XDG_RUNTIME_DIR") ? std::getenv("XDG_RUNTIME_DIR") : "";
  const std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("XDG_RUNTIME_DIR", dir.path().c_str(), 1);
  ::setenv("HOME", dir.path().c_str(), 1);
  const std::string start =
      "pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n "
      "--load=module-native-protocol-unix "
      "--load='module-null-sink sink_name=lost rate=16000 channels=1' "
      "--log-target=file:" + dir.path().string() + "/pulse.log >/dev/null 2>&1 && "
      "for i in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done && "
      "pactl set-default-source lost.monitor";
  const int started = std::system(start.c_str());
  struct Restore {
    std::string xdg, home;
    ~Restore() {
      std::system("pulseaudio --kill >/dev/null 2>&1");
      ::setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
      ::setenv("HOME", home.c_str(), 1);
    }
  } restore{saved_xdg, saved_home};
  ASSERT_EQ(started, 0) << "could not start a private PulseAudio server";

  {
    Microphone mic({.device = "pulse"});
    MicrophoneReader16k reader(mic);
    wait_until_flowing(mic, reader);
    EXPECT_EQ(mic.status().state, MicrophoneState::kRunning);
    ASSERT_EQ(std::system("pulseaudio --kill"), 0);
    const auto t = Clock::now();
    MicrophoneStatus st = mic.status();
    while (st.state != MicrophoneState::kLost && seconds_since(t) < 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      reader.read_available();  // the consumer keeps working while the device dies
      st = mic.status();
    }
    std::printf("capture: device loss reported after %.2f s: %s\n", seconds_since(t),
                st.message.c_str());
    ASSERT_EQ(st.state, MicrophoneState::kLost);
    EXPECT_NE(st.message.find("ALSA/pulse"), std::string::npos) << st.message;
  }  // destroying a lost microphone returns
  EXPECT_THROW(record("pulse", 0.5), DeviceError);
}

}  // namespace
}  // namespace omnisparse
