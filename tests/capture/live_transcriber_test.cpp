// LiveTranscriber with a real capture device (the PulseAudio sandbox; label audio): a
// synthesised sentence is played into a private null sink while the transcriber listens to its
// monitor, and the live finals are checked against file decoding.
//
// What "equal" means here: a random model's tokens depend on every sample, and the captured
// audio is the played audio shifted by an unknown lag, with soxr/PulseAudio rounding; so the
// token-exact check is against transcribe_samples() of the audio the live stream CAPTURED for
// that utterance (returned by keep_audio). The decode of the played wav file is printed beside
// it for information.
#include "core/capture/live_transcriber.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/stream/wave_stream.h"
#include "tests/capture/event_log.h"
#include "tests/capture/live_test_model.h"
#include "tests/capture/test_signals.h"
#include "tests/capture/test_sink.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using Clock = std::chrono::steady_clock;

using test::EventLog;

std::vector<float> synth_sentence(const test::TempDir& dir, const std::string& text,
                                  std::filesystem::path* wav_out) {
  const auto wav = dir / "sentence.wav";
  EXPECT_EQ(std::system(("espeak-ng -w '" + wav.string() + "' '" + text + "'").c_str()), 0);
  *wav_out = wav;
  return read_audio_16k(wav);
}

TEST(LiveTranscriber, AbFinalsFromTheMicrophoneEqualFileDecodeOfTheCapturedUtterance) {
  REQUIRE_TEST_SINK();
  test::TempDir dir;
  std::filesystem::path wav;
  const std::vector<float> played = synth_sentence(dir, "turn on the kitchen lights please", &wav);
  ModelBundle a = test::live_test_bundle(played, 11), b = test::live_test_bundle(played, 12);
  WaveRecognizer rec_a(a), rec_b(b);

  test::PrivateSink sink;
  EventLog log;
  LiveOptions o;
  o.max_seconds = 7;
  o.keep_audio = true;
  o.endpoint.use_decoder = false;  // a random model also emits tokens in silence
  LiveTranscriber live({&rec_a, &rec_b}, o, log.callback());
  live.start();
  ASSERT_TRUE(log.wait_for(LiveEventType::kLevel, 15)) << "no audio flowing";
  test::SinkPlayer player(sink.name(), wav);
  EXPECT_EQ(player.join(), 0);
  live.wait();
  ASSERT_TRUE(live.finished());

  ASSERT_TRUE(log.of(LiveEventType::kError).empty()) << log.of(LiveEventType::kError)[0].text;
  ASSERT_EQ(log.of(LiveEventType::kStarted).size(), 1u);
  ASSERT_EQ(log.of(LiveEventType::kStopped).size(), 1u);
  EXPECT_EQ(log.events.back().type, LiveEventType::kStopped);
  for (int r = 0; r < 2; ++r) {
    const WaveRecognizer& rec = r == 0 ? rec_a : rec_b;
    int spoken = 0;
    for (const LiveEvent& f : log.of(LiveEventType::kFinal, r)) {
      // Token-exact: the live stream's final equals the file decode of the same samples.
      const RecognitionResult file = transcribe_samples(rec, f.audio, 320);
      EXPECT_EQ(f.text, file.text) << "recognizer " << r << " utterance at " << f.start_s;
      EXPECT_NEAR(f.end_s - f.start_s, f.audio.size() / 16000.0, 1e-9);
      if (f.rule != EndpointRule::kTrailingSilence) continue;
      ++spoken;
      float peak = 0;
      for (float v : f.audio) peak = std::max(peak, std::fabs(v));
      EXPECT_GT(peak, 0.1f);  // the sentence is in this utterance
      EXPECT_GE(f.audio.size(), played.size() * 9 / 10);
      // End of speech to final: the 0.8 s trailing silence, up to one 320 ms chunk, polling
      // and decoding.
      EXPECT_GT(f.latency_s, 0.75);
      EXPECT_LT(f.latency_s, 2.0);
      std::printf("live[%c]: \"%s\" (%.2f-%.2f s, latency %.0f ms, RTF %.3f)\n"
                  "file[%c] of the played wav: \"%s\"\n",
                  'A' + r, f.text.c_str(), f.start_s, f.end_s, f.latency_s * 1e3, f.rtf(), 'A' + r,
                  transcribe_samples(rec, played, 320).text.c_str());
    }
    EXPECT_EQ(spoken, 1) << "recognizer " << r << ": the sentence should end by trailing silence";
    const auto stats = log.of(LiveEventType::kStats, r);
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_NEAR(stats[0].audio_s, 7.0, 0.01);  // --seconds counts from the first samples
    EXPECT_GT(stats[0].decode_s, 0.0);
    EXPECT_FALSE(log.of(LiveEventType::kPartial, r).empty());
  }
  float max_level = 0;
  for (const auto& e : log.of(LiveEventType::kLevel)) max_level = std::max(max_level, e.level);
  EXPECT_GT(max_level, 0.1f);
}

// Issue: a live demo must not invent speech. 30 s each of digital silence, steady room noise and
// a melody of tones, with a spoken command before, between and after them, through the capture
// device; the random model emits tokens on all of it. Every command is finalised once; the
// silence, the noise and the tones give no final (and no partial stays on show).
TEST(LiveTranscriber, SilenceNoiseAndTonesGiveNoFinalsWhileEveryCommandDoes) {
  REQUIRE_TEST_SINK();
  test::TempDir dir;
  const std::vector<std::string> commands = {"turn on the kitchen lights", "set a timer for ten minutes",
                                             "what is the weather tomorrow", "play some jazz music"};
  std::vector<std::vector<float>> spoken;
  for (size_t i = 0; i < commands.size(); ++i) {
    std::filesystem::path wav;
    spoken.push_back(synth_sentence(dir, commands[i], &wav));
  }
  const std::vector<float> between[3] = {std::vector<float>(30 * 16000, 0.0f), test::room_noise(30, 0.03, 5), test::melody(30, 6)};
  std::vector<float> all(16000, 0.0f);
  std::vector<std::pair<double, double>> said;  // where each command plays, seconds into the file
  for (size_t i = 0; i < spoken.size(); ++i) {
    said.emplace_back(all.size() / 16000.0, (all.size() + spoken[i].size()) / 16000.0);
    all.insert(all.end(), spoken[i].begin(), spoken[i].end());
    all.insert(all.end(), 16000 * 2, 0.0f);  // the command's own trailing pause
    if (i < 3) all.insert(all.end(), between[i].begin(), between[i].end());
  }
  const auto wav = dir / "session.wav";
  write_audio(wav, all, 16000);
  std::vector<float> calibration;
  for (const auto& x : spoken) calibration.insert(calibration.end(), x.begin(), x.end());
  ModelBundle bundle = test::live_test_bundle(calibration, 21);
  WaveRecognizer rec(bundle);
  // The random model emits tokens on silence, noise and tones too:
  EXPECT_FALSE(transcribe_samples(rec, between[1], 320).text.empty());
  EXPECT_FALSE(transcribe_samples(rec, between[2], 320).text.empty());

  test::PrivateSink sink;
  EventLog log;
  LiveOptions o;
  o.max_seconds = all.size() / 16000.0 + 6;
  LiveTranscriber live({&rec}, o, log.callback());
  live.start();
  ASSERT_TRUE(log.wait_for(LiveEventType::kLevel, 15)) << "no audio flowing";
  test::SinkPlayer player(sink.name(), wav);
  EXPECT_EQ(player.join(), 0);
  live.wait();
  ASSERT_TRUE(log.of(LiveEventType::kError).empty()) << log.of(LiveEventType::kError)[0].text;

  const auto finals = log.of(LiveEventType::kFinal);
  for (const auto& f : finals)
    std::printf("final %.2f-%.2f s (%s): \"%s\"\n", f.start_s, f.end_s, to_string(f.rule), f.text.c_str());
  ASSERT_EQ(finals.size(), commands.size());
  // The capture timeline lags the file by when playback started: align on the first final.
  const double lag = finals[0].end_s - said[0].second;
  for (size_t i = 0; i < finals.size(); ++i) {
    EXPECT_EQ(finals[i].rule, EndpointRule::kTrailingSilence) << i;
    EXPECT_FALSE(finals[i].text.empty()) << i;
    EXPECT_NEAR(finals[i].end_s - lag, said[i].second, 1.5) << "final " << i << " is not command " << i;
  }
  // Words appear on screen only while a command is being said.
  const auto partials = log.of(LiveEventType::kPartial);
  ASSERT_FALSE(partials.empty());
  for (const auto& p : partials) {
    if (p.text.empty()) continue;
    const double t = p.time_s - lag;
    bool during = false;
    for (const auto& [from, to] : said) during = during || (t >= from - 0.5 && t <= to + 1.5);
    EXPECT_TRUE(during) << "partial \"" << p.text << "\" at " << t << " s of the file";
  }
}

TEST(LiveTranscriber, UnknownDeviceReportsAnErrorListingInputsAndStops) {
  REQUIRE_TEST_SINK();
  ModelBundle a = test::live_test_bundle(std::vector<float>(16000, 0.01f), 3);
  WaveRecognizer rec(a);
  EventLog log;
  LiveOptions o;
  o.device = "no-such-microphone-xyz";
  LiveTranscriber live({&rec}, o, log.callback());
  live.start();
  live.wait();
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].type, LiveEventType::kError);
  EXPECT_NE(log.events[0].text.find("available inputs"), std::string::npos) << log.events[0].text;
  EXPECT_EQ(log.events[1].type, LiveEventType::kStopped);
}

TEST(LiveTranscriber, StopBeforeAudioArrivesAndDestructionAreSafe) {
  REQUIRE_TEST_SINK();
  ModelBundle a = test::live_test_bundle(std::vector<float>(16000, 0.01f), 4);
  WaveRecognizer rec(a);
  EventLog log;
  {
    LiveTranscriber live({&rec}, {}, log.callback());
    live.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }  // destroyed while the device is still opening or silent
  EXPECT_EQ(log.events.back().type, LiveEventType::kStopped);
  EXPECT_TRUE(log.of(LiveEventType::kFinal).empty());  // silence: nothing to report
  auto make = [&](std::vector<const WaveRecognizer*> recs, LiveOptions opts) {
    LiveTranscriber t(std::move(recs), opts, log.callback());
  };
  EXPECT_THROW(make({}, {}), InvalidArgument);
  EXPECT_THROW(make({&rec, &rec, &rec}, {}), InvalidArgument);
  LiveOptions bad;
  bad.chunk_ms = 0;
  EXPECT_THROW(make({&rec}, bad), ConfigError);
}

// A private PulseAudio server killed mid-stream: a final for what was heard is not required,
// but the loss must arrive as a kError naming the device, then kStats and kStopped.
TEST(LiveTranscriber, DeviceLostMidStreamIsReportedAndTheWorkerEnds) {
  REQUIRE_TEST_SINK();
  ModelBundle a = test::live_test_bundle(std::vector<float>(16000, 0.01f), 5);
  WaveRecognizer rec(a);
  test::TempDir dir("omnisparse-live-lost");
  const std::string saved_xdg = std::getenv("XDG_RUNTIME_DIR") ? std::getenv("XDG_RUNTIME_DIR") : "";
  const std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("XDG_RUNTIME_DIR", dir.path().c_str(), 1);
  ::setenv("HOME", dir.path().c_str(), 1);
  const int started = std::system(
      ("pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n "
       "--load=module-native-protocol-unix "
       "--load='module-null-sink sink_name=lost rate=16000 channels=1' "
       "--log-target=file:" + dir.path().string() + "/pulse.log >/dev/null 2>&1 && "
       "for i in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done && "
       "pactl set-default-source lost.monitor").c_str());
  struct Restore {
    std::string xdg, home;
    ~Restore() {
      std::system("pulseaudio --kill >/dev/null 2>&1");
      ::setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
      ::setenv("HOME", home.c_str(), 1);
    }
  } restore{saved_xdg, saved_home};
  ASSERT_EQ(started, 0) << "could not start a private PulseAudio server";

  EventLog log;
  LiveOptions o;
  o.device = "pulse";
  LiveTranscriber live({&rec}, o, log.callback());
  live.start();
  ASSERT_TRUE(log.wait_for(LiveEventType::kLevel, 15));
  ASSERT_EQ(std::system("pulseaudio --kill"), 0);
  const auto t = Clock::now();
  while (!live.finished() && std::chrono::duration<double>(Clock::now() - t).count() < 15)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(live.finished()) << "the worker did not notice the loss";
  live.wait();
  const auto errors = log.of(LiveEventType::kError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text.find("ALSA/pulse"), std::string::npos) << errors[0].text;
  std::printf("live: device loss reported: %s\n", errors[0].text.c_str());
  EXPECT_EQ(log.of(LiveEventType::kStats).size(), 1u);
  EXPECT_EQ(log.events.back().type, LiveEventType::kStopped);
}

}  // namespace
}  // namespace omnisparse
