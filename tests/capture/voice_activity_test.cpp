// The voice-activity detector (core/capture/voice_activity.h) on real synthesised speech
// (espeak-ng and flite voices, as the corpora use) and on what must not count as speech:
// digital silence, steady room noise, hum, and a melody of tones.
#include "core/capture/voice_activity.h"

#include "core/capture/endpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/audio/audio_io.h"
#include "tests/capture/test_signals.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using test::melody;
using test::room_noise;

std::vector<float> espeak(const test::TempDir& dir, const std::string& voice, const std::string& text) {
  const auto wav = dir / (voice + ".wav");
  EXPECT_EQ(std::system(("espeak-ng -v " + voice + " -w '" + wav.string() + "' '" + text + "'").c_str()), 0);
  return read_audio_16k(wav);
}

std::vector<float> silence(double s) { return std::vector<float>(static_cast<size_t>(s * 16000), 0.0f); }

std::vector<float> mix(std::vector<float> a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] += b[i];
  return a;
}

std::vector<float> cat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

double speech_seconds(const std::vector<float>& x, size_t chunk = 5120) {
  VoiceActivityDetector vad;
  for (size_t i = 0; i < x.size(); i += chunk) vad.accept_audio(x.data() + i, std::min(chunk, x.size() - i));
  return vad.speech_s();
}

// Seconds of the sentence above 1 % of its peak: roughly its voiced and fricative time.
double active_seconds(const std::vector<float>& x) {
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  size_t n = 0;
  for (size_t i = 0; i + 160 <= x.size(); i += 160) {
    double e = 0;
    for (size_t j = i; j < i + 160; ++j) e += x[j] * x[j];
    if (std::sqrt(e / 160) > 0.05 * peak) ++n;
  }
  return n * 0.01;
}

TEST(VoiceActivity, SpeechCountsInEveryVoiceAndInNoise) {
  test::TempDir dir;
  for (const char* voice : {"en-us", "en+f3", "en+m7", "en-gb-x-rp"}) {
    const auto s = espeak(dir, voice, "set a timer for ten minutes");
    const double active = active_seconds(s);
    const double quiet = speech_seconds(cat({silence(1.0), s, silence(1.0)}));
    EXPECT_GT(quiet, 0.6 * active) << voice << ": " << quiet << " s of " << active << " s";
    // The same sentence 12 dB above steady room noise that was there first.
    const auto noisy = cat({room_noise(2.0, 0.02, 1), mix(s, room_noise(s.size() / 16000.0, 0.02, 2)),
                            room_noise(1.0, 0.02, 3)});
    EXPECT_GT(speech_seconds(noisy), 0.4 * active) << voice;
  }
}

TEST(VoiceActivity, SilenceNoiseHumAndTonesAreNotSpeech) {
  EXPECT_EQ(speech_seconds(silence(10)), 0.0);
  // Noise starting abruptly after silence: only its onset may look like speech.
  EXPECT_LT(speech_seconds(cat({silence(2), room_noise(30, 0.03, 4)})), 0.3);
  EXPECT_LT(speech_seconds(cat({silence(2), room_noise(30, 0.2, 5)})), 0.3);
  std::vector<float> hum(16000 * 10);
  for (size_t i = 0; i < hum.size(); ++i)
    hum[i] = static_cast<float>(0.1 * std::sin(2 * M_PI * 50 * i / 16000.0) + 0.05 * std::sin(2 * M_PI * 150 * i / 16000.0));
  EXPECT_LT(speech_seconds(cat({silence(1), hum})), 0.3);
  EXPECT_LT(speech_seconds(cat({silence(1), melody(30, 6)})), 0.3);
}

TEST(VoiceActivity, ChunkingDoesNotChangeTheDecisions) {
  test::TempDir dir;
  const auto x = cat({silence(0.5), espeak(dir, "en-us", "what is the weather"), room_noise(2, 0.02, 7)});
  VoiceActivityDetector a, b;
  a.accept_audio(x.data(), x.size());
  for (size_t i = 0; i < x.size(); i += 777) b.accept_audio(x.data() + i, std::min<size_t>(777, x.size() - i));
  EXPECT_EQ(a.decisions(), b.decisions());
  EXPECT_GT(a.speech_s(), 0.3);
  EXPECT_GT(a.last_speech_s(), 0.5);
}

TEST(VoiceActivity, ASegmentCountsItsOwnSpeechButKeepsTheRoomsFloor) {
  test::TempDir dir;
  const auto s = espeak(dir, "en-us", "turn on the lights");
  VoiceActivityDetector vad;
  const auto first = cat({room_noise(2, 0.02, 8), mix(s, room_noise(s.size() / 16000.0, 0.02, 9))});
  vad.accept_audio(first.data(), first.size());
  const double spoken = vad.speech_s();
  EXPECT_GT(spoken, 0.3);
  vad.start_segment();
  EXPECT_EQ(vad.speech_s(), 0.0);
  EXPECT_LT(vad.last_speech_s(), 0.0);
  // More of the same noise right after: the floor is already known, no onset to forgive.
  const auto more = room_noise(5, 0.02, 10);
  vad.accept_audio(more.data(), more.size());
  EXPECT_LT(vad.speech_s(), 0.1);
}

// The endpoint's voice gate: a decoder that keeps emitting a token every 0.3 s whatever it hears
// (as a model trained on trimmed speech does in silence) against real speech, silence, noise.
struct Ended {
  EndpointRule rule = EndpointRule::kNone;
  double at_s = -1;
  bool voice = false;
};
Ended run_endpoint(const std::vector<float>& x) {
  EndpointDetector ep;  // defaults: voice gate on
  int64_t tokens = 0;
  const size_t step = 5120;
  for (size_t i = 0; i < x.size(); i += step) {
    ep.accept_audio(x.data() + i, std::min(step, x.size() - i));
    tokens = static_cast<int64_t>(ep.audio_s() / 0.3);
    ep.accept_decoded(tokens, tokens * 0.3, ep.audio_s());
    if (const EndpointRule r = ep.check(); r != EndpointRule::kNone) return {r, ep.audio_s(), ep.voice_detected()};
  }
  return {EndpointRule::kNone, ep.audio_s(), ep.voice_detected()};
}

TEST(EndpointVoiceGate, InventedWordsInSilenceNoiseOrTonesNeverCountAsSpeech) {
  for (const auto& [name, x] : std::vector<std::pair<std::string, std::vector<float>>>{
           {"silence", silence(10)},
           {"noise", cat({silence(0.5), room_noise(10, 0.05, 11)})},
           {"tones", cat({silence(0.5), melody(10, 12)})}}) {
    const Ended e = run_endpoint(x);
    // The stream is dropped after no_speech_s of audio without voice, although tokens kept coming.
    EXPECT_EQ(e.rule, EndpointRule::kNoSpeech) << name;
    EXPECT_LT(e.at_s, 4.0) << name;
    EXPECT_FALSE(e.voice) << name;
  }
}

TEST(EndpointVoiceGate, SpeechThenSilenceEndsWithVoice) {
  test::TempDir dir;
  const auto s = espeak(dir, "en-us", "please turn off the lights in the kitchen");
  EndpointDetector ep;
  std::vector<float> x = cat({silence(0.3), s, silence(3)});
  int64_t tokens = 0;
  Ended e;
  const size_t step = 5120;
  for (size_t i = 0; i < x.size() && e.rule == EndpointRule::kNone; i += step) {
    ep.accept_audio(x.data() + i, std::min(step, x.size() - i));
    // Tokens only while the sentence plays, as a trained model would emit them.
    const double t = std::min(ep.audio_s(), 0.3 + s.size() / 16000.0);
    tokens = static_cast<int64_t>(t / 0.2);
    ep.accept_decoded(tokens, tokens * 0.2, ep.audio_s());
    e = {ep.check(), ep.audio_s(), ep.voice_detected()};
  }
  EXPECT_EQ(e.rule, EndpointRule::kTrailingSilence);
  EXPECT_TRUE(e.voice);
  const double end = 0.3 + s.size() / 16000.0;
  EXPECT_GT(e.at_s, end + 0.5);  // 0.8 s after the last voice, give or take a chunk
  EXPECT_LT(e.at_s, end + 1.5);
  EXPECT_NEAR(ep.last_voiced_s(), end, 0.4);
}

}  // namespace
}  // namespace omnisparse
