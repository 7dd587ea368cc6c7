#include "core/capture/endpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/common/config_json.h"
#include "core/common/error.h"

namespace omnisparse {

namespace {
constexpr int kFrame = 160;  // 10 ms at 16 kHz

void require(bool ok, const char* key, const std::string& why) {
  if (!ok) throw ConfigError(fmt::format("endpoint.{}: {}", key, why));
}
}  // namespace

void EndpointConfig::Validate() const {
  require(std::isfinite(trailing_silence_s) && trailing_silence_s > 0, "trailing_silence_s",
          "must be > 0 seconds (e.g. 0.8)");
  require(std::isfinite(no_speech_s) && no_speech_s > 0, "no_speech_s",
          "must be > 0 seconds (e.g. 2.4)");
  require(std::isfinite(max_utterance_s) && max_utterance_s > trailing_silence_s,
          "max_utterance_s", "must exceed trailing_silence_s (e.g. 20)");
  require(use_decoder || use_energy, "use_decoder",
          "enable the decoder or the energy rule (or both) to measure silence");
  require(std::isfinite(energy_threshold) && energy_threshold > 0 && energy_threshold < 1,
          "energy_threshold", "must lie in (0, 1): an RMS level, full scale 1.0");
  require(std::isfinite(min_voice_s) && min_voice_s > 0 && min_voice_s < max_utterance_s,
          "min_voice_s", "must be > 0 seconds and below max_utterance_s (e.g. 0.3)");
}

std::string EndpointConfig::ToString() const { return ToJson().dump(); }

nlohmann::json EndpointConfig::ToJson() const {
  return {{"trailing_silence_s", trailing_silence_s}, {"no_speech_s", no_speech_s},
          {"max_utterance_s", max_utterance_s},       {"use_decoder", use_decoder},
          {"use_energy", use_energy},                 {"energy_threshold", energy_threshold},
          {"voice_gate", voice_gate},                 {"min_voice_s", min_voice_s}};
}

EndpointConfig EndpointConfig::FromJson(const nlohmann::json& j) {
  EndpointConfig c;
  JsonFields f(j, "endpoint");
  f.get("trailing_silence_s", c.trailing_silence_s);
  f.get("no_speech_s", c.no_speech_s);
  f.get("max_utterance_s", c.max_utterance_s);
  f.get("use_decoder", c.use_decoder);
  f.get("use_energy", c.use_energy);
  f.get("energy_threshold", c.energy_threshold);
  f.get("voice_gate", c.voice_gate);
  f.get("min_voice_s", c.min_voice_s);
  f.finish();
  c.Validate();
  return c;
}

const char* to_string(EndpointRule rule) {
  switch (rule) {
    case EndpointRule::kNone: return "none";
    case EndpointRule::kTrailingSilence: return "silence";
    case EndpointRule::kNoSpeech: return "no-speech";
    case EndpointRule::kMaxLength: return "max-length";
  }
  return "?";
}

EndpointDetector::EndpointDetector(EndpointConfig config) : config_(config) {
  config_.Validate();
  if (config_.voice_gate) vad_ = std::make_unique<VoiceActivityDetector>();
}

void EndpointDetector::reset() {
  if (vad_) vad_->start_segment();  // the room's noise floor carries over
  samples_ = 0;
  frame_fill_ = 0;
  frame_energy_ = 0;
  last_voiced_s_ = -1;
  tokens_ = 0;
  last_token_s_ = 0;
  decoded_s_ = 0;
}

void EndpointDetector::accept_audio(const float* x, size_t n) {
  if (vad_) vad_->accept_audio(x, n);
  const double threshold_energy = config_.energy_threshold * config_.energy_threshold * kFrame;
  for (size_t i = 0; i < n; ++i) {
    frame_energy_ += double(x[i]) * x[i];
    ++samples_;
    if (++frame_fill_ == kFrame) {
      if (frame_energy_ > threshold_energy) last_voiced_s_ = samples_ / 16000.0;
      frame_fill_ = 0;
      frame_energy_ = 0;
    }
  }
}

void EndpointDetector::accept_decoded(int64_t num_tokens, double last_token_s, double decoded_s) {
  tokens_ = num_tokens;
  if (num_tokens > 0) last_token_s_ = last_token_s;
  decoded_s_ = decoded_s;
}

bool EndpointDetector::voice_detected() const { return !vad_ || vad_->speech_s() >= config_.min_voice_s; }

double EndpointDetector::last_voiced_s() const { return vad_ ? vad_->last_speech_s() : last_voiced_s_; }

bool EndpointDetector::speech_detected() const {
  if (vad_) return voice_detected();
  return (config_.use_decoder && tokens_ > 0) || (config_.use_energy && last_voiced_s_ >= 0);
}

double EndpointDetector::audio_silence_s() const { return audio_s() - std::max(0.0, last_voiced_s()); }

double EndpointDetector::trailing_silence_s() const {
  // Each source's silence runs from its last activity to how far it has looked.
  double silence = 1e300;
  if (config_.use_decoder)
    silence = std::min(silence, std::max(0.0, decoded_s_ - (tokens_ > 0 ? last_token_s_ : 0.0)));
  if (config_.use_energy) silence = std::min(silence, audio_silence_s());
  return silence;
}

EndpointRule EndpointDetector::check() const {
  if (audio_s() >= config_.max_utterance_s) return EndpointRule::kMaxLength;
  if (speech_detected()) {
    if (trailing_silence_s() >= config_.trailing_silence_s) return EndpointRule::kTrailingSilence;
  } else if ((vad_ ? audio_silence_s() : trailing_silence_s()) >= config_.no_speech_s) {
    // With the gate, words the decoder found without voice do not hold the stream open.
    return EndpointRule::kNoSpeech;
  }
  return EndpointRule::kNone;
}

}  // namespace omnisparse
