// Endpointing rules on synthetic timelines: audio as constant-level blocks (silence = zeros,
// speech = a level well above the threshold) and decoder states as token counts and times.
// Constant blocks are not voice, so these run the RMS rule (voice_gate off); the gate itself is
// tested on real speech, noise and tones in voice_activity_test.cpp.
#include "core/capture/endpoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// Feeds `seconds` of constant-amplitude audio in 320 ms steps (as the live worker does) and
// returns the first rule that fired (kNone if none), with the time it fired at.
struct Fired {
  EndpointRule rule = EndpointRule::kNone;
  double at_s = -1;
};

Fired feed(EndpointDetector& ep, double seconds, float level, int64_t* tokens = nullptr,
           double token_every_s = 0) {
  const size_t step = 5120;  // 320 ms
  std::vector<float> x(step, level);
  const double start = ep.audio_s();
  double last = std::max(0.0, ep.last_token_s()), next = last + token_every_s;
  while (ep.audio_s() < start + seconds - 1e-9) {
    ep.accept_audio(x.data(), x.size());
    for (; token_every_s > 0 && next <= ep.audio_s() + 1e-9; next += token_every_s) {
      last = next;
      ++*tokens;
    }
    ep.accept_decoded(tokens ? *tokens : 0, last, ep.audio_s());
    if (EndpointRule r = ep.check(); r != EndpointRule::kNone) return {r, ep.audio_s()};
  }
  return {};
}

EndpointConfig no_gate() {
  EndpointConfig c;
  c.voice_gate = false;
  return c;
}

EndpointConfig energy_only() {
  EndpointConfig c = no_gate();
  c.use_decoder = false;
  return c;
}

TEST(Endpoint, SpeechThenTrailingSilenceEndsAfterTheConfiguredSilence) {
  EndpointDetector ep(energy_only());
  EXPECT_EQ(feed(ep, 1.28, 0.3f).rule, EndpointRule::kNone);
  EXPECT_TRUE(ep.speech_detected());
  EXPECT_NEAR(ep.last_voiced_s(), 1.28, 1e-9);
  const Fired f = feed(ep, 5.0, 0.0f);
  EXPECT_EQ(f.rule, EndpointRule::kTrailingSilence);
  // 0.8 s of silence is reached inside the third 320 ms step after speech: 1.28 + 0.96.
  EXPECT_NEAR(f.at_s, 2.24, 1e-9);
}

TEST(Endpoint, SilenceWithNothingDecodedResetsAfterNoSpeechTime) {
  EndpointDetector ep(energy_only());
  const Fired f = feed(ep, 10.0, 0.001f);  // under the 0.01 RMS threshold
  EXPECT_EQ(f.rule, EndpointRule::kNoSpeech);
  EXPECT_NEAR(f.at_s, 2.56, 1e-9);  // first 320 ms step at or past 2.4 s
  EXPECT_FALSE(ep.speech_detected());
  ep.reset();
  EXPECT_EQ(ep.audio_s(), 0.0);
  EXPECT_EQ(ep.check(), EndpointRule::kNone);
}

TEST(Endpoint, ContinuousSpeechEndsAtMaxUtteranceLength) {
  EndpointConfig c = energy_only();
  c.max_utterance_s = 5.0;
  EndpointDetector ep(c);
  const Fired f = feed(ep, 30.0, 0.5f);
  EXPECT_EQ(f.rule, EndpointRule::kMaxLength);
  EXPECT_NEAR(f.at_s, 5.12, 1e-9);
}

TEST(Endpoint, DecoderSilenceCountsFromTheLastTokenToTheDecodedTime) {
  EndpointConfig c = no_gate();
  c.use_energy = false;
  EndpointDetector ep(c);
  int64_t tokens = 0;
  // Loud audio throughout: with energy off only tokens matter. Tokens every 0.2 s for 2 s.
  EXPECT_EQ(feed(ep, 1.92, 0.5f, &tokens, 0.2).rule, EndpointRule::kNone);
  EXPECT_EQ(tokens, 9);
  EXPECT_NEAR(ep.last_token_s(), 1.8, 1e-9);
  // No more tokens: silence by the decoder is decoded time - 1.8 s >= 0.8 -> at 2.88 s.
  const Fired f = feed(ep, 5.0, 0.5f, &tokens, 0);
  EXPECT_EQ(f.rule, EndpointRule::kTrailingSilence);
  EXPECT_NEAR(f.at_s, 2.88, 1e-9);
}

TEST(Endpoint, DecoderLagDoesNotCountAsSilence) {
  EndpointConfig c = no_gate();
  c.use_energy = false;
  EndpointDetector ep(c);
  std::vector<float> x(16000 * 2, 0.0f);
  ep.accept_audio(x.data(), x.size());      // 2 s accepted ...
  ep.accept_decoded(3, 0.5, 1.0);           // ... but only 1 s decoded: 0.5 s silence so far
  EXPECT_NEAR(ep.trailing_silence_s(), 0.5, 1e-9);
  EXPECT_EQ(ep.check(), EndpointRule::kNone);
  ep.accept_decoded(3, 0.5, 1.4);
  EXPECT_EQ(ep.check(), EndpointRule::kTrailingSilence);
}

TEST(Endpoint, WithBothSourcesSilenceNeedsBothToAgree) {
  EndpointDetector ep(no_gate());
  int64_t tokens = 0;
  feed(ep, 0.96, 0.3f, &tokens, 0.1);  // speech with tokens up to 0.9 s
  ASSERT_GT(tokens, 0);
  // Noise above the threshold keeps the energy source busy: the decoder alone says silence,
  // so no endpoint until the max length.
  EndpointConfig c = no_gate();
  c.max_utterance_s = 6.0;
  EndpointDetector noisy(c);
  tokens = 0;
  feed(noisy, 0.96, 0.3f, &tokens, 0.1);
  const Fired f = feed(noisy, 10.0, 0.05f, &tokens, 0);
  EXPECT_EQ(f.rule, EndpointRule::kMaxLength);
  // Real silence after the speech: both agree, 0.8 s after the later of the two activities.
  const Fired g = feed(ep, 5.0, 0.0f, &tokens, 0);
  EXPECT_EQ(g.rule, EndpointRule::kTrailingSilence);
  EXPECT_NEAR(g.at_s, 1.92, 1e-9);
}

TEST(Endpoint, PartialFramesCarryOverBetweenCalls) {
  EndpointDetector ep(energy_only());
  std::vector<float> loud(100, 0.5f), quiet(60, 0.0f);
  ep.accept_audio(loud.data(), loud.size());
  EXPECT_LT(ep.last_voiced_s(), 0);  // no complete 10 ms frame yet
  ep.accept_audio(quiet.data(), quiet.size());
  // One frame of 100 loud + 60 silent samples: RMS 0.5 * sqrt(100/160) > 0.01.
  EXPECT_NEAR(ep.last_voiced_s(), 0.01, 1e-12);
}

TEST(Endpoint, ConfigValidationNamesTheKeyAndJsonRoundTrips) {
  EndpointConfig c;
  c.trailing_silence_s = 1.2;
  c.use_energy = false;
  EXPECT_EQ(EndpointConfig::FromJson(c.ToJson()).ToJson(), c.ToJson());
  auto message_of = [](const EndpointConfig& bad) {
    try {
      bad.Validate();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EndpointConfig bad;
  bad.trailing_silence_s = 0;
  EXPECT_NE(message_of(bad).find("trailing_silence_s"), std::string::npos);
  bad = {};
  bad.use_decoder = bad.use_energy = false;
  EXPECT_NE(message_of(bad).find("use_decoder"), std::string::npos);
  bad = {};
  bad.max_utterance_s = 0.5;
  EXPECT_NE(message_of(bad).find("max_utterance_s"), std::string::npos);
  bad = {};
  bad.min_voice_s = 0;
  EXPECT_NE(message_of(bad).find("endpoint.min_voice_s"), std::string::npos);
  EXPECT_FALSE(EndpointConfig::FromJson({{"voice_gate", false}}).voice_gate);
  EXPECT_THROW(EndpointConfig::FromJson({{"trailing_silence", 1.0}}), ConfigError);
  EXPECT_THROW(EndpointConfig::FromJson({{"use_energy", "yes"}}), ConfigError);
}

}  // namespace
}  // namespace omnisparse
