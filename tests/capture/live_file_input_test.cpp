// LiveTranscriber fed by an audio file (LiveOptions::file, `transcribe --realtime`): the same
// capture-to-decoder path as a microphone, without a device. The file's samples are known
// exactly, so every final's audio must be exactly a slice of the file, and its text the file
// decode of that slice.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "core/audio/audio_io.h"
#include "core/capture/live_transcriber.h"
#include "core/common/error.h"
#include "core/stream/wave_stream.h"
#include "tests/capture/event_log.h"
#include "tests/capture/live_test_model.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using Clock = std::chrono::steady_clock;

using Events = test::EventLog;

std::vector<float> say(const test::TempDir& dir, const std::string& text) {
  const auto wav = dir / "say.wav";
  EXPECT_EQ(std::system(("espeak-ng -w '" + wav.string() + "' '" + text + "'").c_str()), 0);
  return read_audio_16k(wav);
}

TEST(LiveFileInput, PlaysTheFileAtItsPaceAndFinalisesEachSentenceFromItsExactSamples) {
  test::TempDir dir;
  const auto s1 = say(dir, "turn on the kitchen lights"), s2 = say(dir, "set a timer for ten minutes");
  std::vector<float> all(8000, 0.0f);
  std::vector<double> sentence_end;
  for (const auto* s : {&s1, &s2}) {
    all.insert(all.end(), s->begin(), s->end());
    sentence_end.push_back(all.size() / 16000.0);
    all.insert(all.end(), 2 * 16000, 0.0f);
  }
  // Stored at 22.05 kHz: the input resamples like a device at another rate would.
  const auto wav = dir / "session.wav";
  write_audio(wav, resample(all, 16000, 22050), 22050);
  const std::vector<float> fed = read_audio_16k(wav);
  std::vector<float> calibration(s1);
  calibration.insert(calibration.end(), s2.begin(), s2.end());
  ModelBundle bundle = test::live_test_bundle(calibration, 31);
  WaveRecognizer rec(bundle);

  Events ev;
  LiveOptions o;
  o.file = wav.string();
  o.pace = 4;
  o.keep_audio = true;
  const auto t0 = Clock::now();
  LiveTranscriber live({&rec}, o, ev.callback());
  live.start();
  live.wait();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double duration = fed.size() / 16000.0;

  ASSERT_TRUE(ev.of(LiveEventType::kError).empty()) << ev.of(LiveEventType::kError)[0].text;
  const auto started = ev.of(LiveEventType::kStarted);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].text, "file:" + wav.string());
  EXPECT_EQ(started[0].sample_rate, 22050);
  EXPECT_GE(wall, 0.9 * duration / o.pace) << "the file must be paced, not dumped";
  EXPECT_FALSE(ev.of(LiveEventType::kLevel).empty());

  const auto finals = ev.of(LiveEventType::kFinal);
  ASSERT_EQ(finals.size(), 2u);
  for (size_t i = 0; i < finals.size(); ++i) {
    const LiveEvent& f = finals[i];
    EXPECT_EQ(f.rule, EndpointRule::kTrailingSilence) << i;
    EXPECT_NEAR(f.end_s - sentence_end[i], 0.8, 0.5) << "final " << i << " ends after its sentence";
    // The final decoded exactly the file's samples [start_s, end_s).
    const auto from = static_cast<size_t>(std::llround(f.start_s * 16000));
    ASSERT_EQ(f.audio.size(), static_cast<size_t>(std::llround((f.end_s - f.start_s) * 16000)));
    ASSERT_LE(from + f.audio.size(), fed.size());
    EXPECT_TRUE(std::equal(f.audio.begin(), f.audio.end(), fed.begin() + std::ptrdiff_t(from))) << i;
    EXPECT_EQ(f.text, transcribe_samples(rec, f.audio, 320).text) << i;
    EXPECT_FALSE(f.text.empty());
  }
  const auto stats = ev.of(LiveEventType::kStats);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_NEAR(stats[0].audio_s, duration, 1e-9);  // every sample, once
  EXPECT_EQ(ev.events.back().type, LiveEventType::kStopped);
}

TEST(LiveFileInput, MaxSecondsCutsTheFile) {
  test::TempDir dir;
  const auto s = say(dir, "play some jazz music");
  std::vector<float> all(s);
  all.insert(all.end(), 3 * 16000, 0.0f);
  const auto wav = dir / "a.wav";
  write_audio(wav, all, 16000);
  ModelBundle bundle = test::live_test_bundle(s, 32);
  WaveRecognizer rec(bundle);
  Events ev;
  LiveOptions o;
  o.file = wav.string();
  o.pace = 10;
  o.max_seconds = 1.0;
  LiveTranscriber live({&rec}, o, ev.callback());
  live.start();
  live.wait();
  const auto stats = ev.of(LiveEventType::kStats);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_NEAR(stats[0].audio_s, 1.0, 1e-9);
}

TEST(LiveFileInput, MissingOrCorruptFileIsAnErrorNamingItThenStopped) {
  test::TempDir dir;
  ModelBundle bundle = test::live_test_bundle(std::vector<float>(16000, 0.01f), 33);
  WaveRecognizer rec(bundle);
  const auto corrupt = dir / "corrupt.wav";
  std::ofstream(corrupt) << "RIFF not really a wave file";
  for (const auto& path : {dir / "missing.wav", corrupt}) {
    Events ev;
    LiveOptions o;
    o.file = path.string();
    LiveTranscriber live({&rec}, o, ev.callback());
    live.start();
    live.wait();
    const auto errors = ev.of(LiveEventType::kError);
    ASSERT_EQ(errors.size(), 1u) << path;
    EXPECT_NE(errors[0].text.find(path.string()), std::string::npos) << errors[0].text;
    EXPECT_EQ(errors[0].text.find('\n'), std::string::npos) << errors[0].text;
    EXPECT_TRUE(ev.of(LiveEventType::kStarted).empty());
    EXPECT_EQ(ev.events.back().type, LiveEventType::kStopped);
  }
  LiveOptions bad;
  bad.file = corrupt.string();
  bad.pace = 0;
  try {
    LiveTranscriber live({&rec}, bad, [](const LiveEvent&) {});
    ADD_FAILURE() << "pace 0 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("live.pace"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace omnisparse
