// Endpointing for live recognition: decides when an utterance is over, with the simple rules of
// sherpa-onnx / Kaldi, measured on one utterance's own timeline (seconds from its start).
//
//   EndpointDetector ep(EndpointConfig{});            // defaults: 0.8 s / 2.4 s / 20 s
//   ep.accept_audio(x, n);                            // 16 kHz samples as they are decoded
//   ep.accept_decoded(r.tokens.size(), r.timestamps.back(), stream.seconds_decoded());
//   switch (ep.check()) {
//     case EndpointRule::kTrailingSilence:            // speech, then 0.8 s of silence: final
//     case EndpointRule::kMaxLength:                  // 20 s: final, whatever is going on
//     case EndpointRule::kNoSpeech:                   // 2.4 s and nothing: drop, start over
//     case EndpointRule::kNone: ...
//   }
//   ep.reset();                                       // next utterance
//
// "Silence" is measured by the decoder (time since the last token, up to the audio decoded so
// far) and/or by the audio: with voice_gate (the default) the time since the last speech frame
// of the voice-activity detector (voice_activity.h), without it the time since the last 10 ms
// frame whose RMS exceeded energy_threshold. With both sources the trailing silence is the
// shorter of the two (both must agree that it is quiet). The audio timeline is tracked even when
// its rule is off: it gives the end of speech for latency measurements.
//
// Speech evidence (voice_gate): an utterance counts as speech only once the detector has heard
// min_voice_s of it; tokens alone never do (a decoder invents words in silence, noise and
// tones). Without voice, the no-speech rule runs on the audio's silence alone, and whatever
// ends the utterance, voice_detected() is false: the caller drops it instead of finalising.
//
// Not thread-safe: one detector per utterance stream, used by one thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/capture/voice_activity.h"

namespace omnisparse {

struct EndpointConfig {
  double trailing_silence_s = 0.8;  // rule 1: silence after something was decoded
  double no_speech_s = 2.4;         // rule 2: silence with nothing decoded: reset
  double max_utterance_s = 20.0;    // rule 3: utterance length cap
  bool use_decoder = true;          // silence = no new tokens
  bool use_energy = true;           // silence = no speech frames (or frames under the threshold)
  double energy_threshold = 0.01;   // without voice_gate: RMS of a 10 ms frame, full scale 1.0
  bool voice_gate = true;           // speech = what the voice-activity detector heard
  double min_voice_s = 0.3;         // seconds of it before an utterance counts as speech

  void Validate() const;  // ConfigError naming the key
  std::string ToString() const;
  nlohmann::json ToJson() const;
  static EndpointConfig FromJson(const nlohmann::json& j);  // unknown key -> ConfigError
};

enum class EndpointRule { kNone, kTrailingSilence, kNoSpeech, kMaxLength };
const char* to_string(EndpointRule rule);  // "none", "silence", "no-speech", "max-length"

class EndpointDetector {
 public:
  explicit EndpointDetector(EndpointConfig config = {});

  void reset();  // a new utterance starts at time 0

  // 16 kHz samples, in order. Energy is measured per complete 10 ms frame.
  void accept_audio(const float* samples16k, size_t n);
  // The decoder's state after a decode: tokens so far, the time of the last one (ignored when
  // num_tokens is 0) and how far the decoder has consumed the audio.
  void accept_decoded(int64_t num_tokens, double last_token_s, double decoded_s);

  EndpointRule check() const;

  double audio_s() const { return samples_ / 16000.0; }
  bool speech_detected() const;
  // Without voice_gate always true; with it, whether min_voice_s of speech was heard.
  bool voice_detected() const;
  double trailing_silence_s() const;
  // End of the last voiced frame (speech frame with voice_gate), -1: none.
  double last_voiced_s() const;
  double last_token_s() const { return tokens_ > 0 ? last_token_s_ : -1; }
  const EndpointConfig& config() const { return config_; }

 private:
  double audio_silence_s() const;

  EndpointConfig config_;
  std::unique_ptr<VoiceActivityDetector> vad_;  // with voice_gate
  int64_t samples_ = 0;
  int frame_fill_ = 0;        // samples in the current partial 10 ms frame
  double frame_energy_ = 0;   // their sum of squares
  double last_voiced_s_ = -1;
  int64_t tokens_ = 0;
  double last_token_s_ = 0;
  double decoded_s_ = 0;
};

}  // namespace omnisparse
