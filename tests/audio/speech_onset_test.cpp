// speech_onset_frame: where speech starts, from the log-mel features the trainer already has.
// Signals with a known onset: quiet noise, then a loud noise burst shaped like speech (broadband,
// with syllable-rate level changes); the onset must land on the burst's first 10 ms frames.
#include "core/audio/speech_onset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "core/audio/fbank.h"
#include "core/common/error.h"

namespace omnisparse {
namespace {

// `lead_s` of noise at `floor_amp`, then `speech_s` of noise whose level rises and falls 4 times a
// second between `amp` and amp / 10 (20 dB), like syllables.
std::vector<float> lead_then_speech(double lead_s, double floor_amp, double speech_s, double amp,
                                    uint32_t seed = 3) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  const auto lead = static_cast<size_t>(lead_s * 16000);
  const auto speech = static_cast<size_t>(speech_s * 16000);
  std::vector<float> x(lead + speech);
  for (size_t i = 0; i < x.size(); ++i) {
    double a = floor_amp;
    if (i >= lead) {
      const double phase = 2 * std::numbers::pi * 4.0 * (i - lead) / 16000.0;
      a = amp * (0.1 + 0.9 * 0.5 * (1 - std::cos(phase)));
      a = std::max(a, floor_amp);
    }
    x[i] = static_cast<float>(a * n(rng));
  }
  return x;
}

TEST(SpeechOnset, LandsOnTheFirstFramesOfSpeechAfterQuietLeadIn) {
  for (double lead : {0.1, 0.3, 0.75}) {
    const auto x = lead_then_speech(lead, 1e-4, 1.5, 0.1);
    const int64_t f = speech_onset_frame(compute_fbank(x));
    const int64_t expected = static_cast<int64_t>(std::lround(lead * 100));  // 10 ms frames
    EXPECT_GE(f, expected - 2) << "lead " << lead;  // a frame is 25 ms long: it may overlap
    EXPECT_LE(f, expected + 3) << "lead " << lead;  // the rise from 20 dB down
  }
}

TEST(SpeechOnset, NoisyOrSpeechFromTheStartGivesFrameZero) {
  // lead-in noise only 10 dB under the speech: within 30 dB of it, so no restriction
  EXPECT_EQ(speech_onset_frame(compute_fbank(lead_then_speech(0.4, 0.03, 1.0, 0.1))), 0);
  EXPECT_EQ(speech_onset_frame(compute_fbank(lead_then_speech(0.0, 1e-4, 1.0, 0.1))), 0);
  // a stricter threshold finds the onset in the same noisy lead-in
  const int64_t strict =
      speech_onset_frame(compute_fbank(lead_then_speech(0.4, 0.03, 1.0, 0.1)), /*dB=*/5);
  EXPECT_GE(strict, 38);
  EXPECT_LE(strict, 52);  // 5 dB under the loud frames: early in the first rise
}

TEST(SpeechOnset, ClicksDoNotSetTheScaleAndSilenceIsFrameZero) {
  auto x = lead_then_speech(0.5, 1e-4, 1.0, 0.01);
  for (size_t i = 1000; i < 1040; ++i) x[i] = (i % 2 ? 1.f : -1.f);  // a 2.5 ms click, 40 dB up
  const int64_t f = speech_onset_frame(compute_fbank(x));
  EXPECT_LE(f, 8) << "the click itself is loud enough to count";
  // the click is one of ~150 frames: above the 90th percentile, it does not hide the speech
  auto y = lead_then_speech(0.5, 1e-4, 1.0, 0.01);
  for (size_t i = 12000; i < 12040; ++i) y[i] = (i % 2 ? 1.f : -1.f);  // inside the speech
  const int64_t g = speech_onset_frame(compute_fbank(y));
  EXPECT_GE(g, 48);
  EXPECT_LE(g, 53);
  EXPECT_EQ(speech_onset_frame(compute_fbank(std::vector<float>(16000, 0.f))), 0);
  EXPECT_EQ(speech_onset_frame(at::zeros({0, 80})), 0);
}

TEST(SpeechOnset, RefusesBadInput) {
  EXPECT_THROW(speech_onset_frame(at::zeros({10})), InvalidArgument);
  EXPECT_THROW(speech_onset_frame(at::zeros({10, 80}), 0.0), InvalidArgument);
  EXPECT_THROW(speech_onset_frame(at::Tensor()), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
