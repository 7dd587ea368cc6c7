// Text-to-speech engines for the synthetic corpus: espeak-ng (C API, many voices and variants),
// flite (kal16, awb, rms, slt) and Festival (kal, ked, slt-hts; festival_tts.h). All keep global
// state, so there is one SpeechSynth per process and its calls are serialised by a mutex:
// synthesise on one thread, post-process (trim, resample, encode) on others.
//
//   VoiceSettings v{Engine::kEspeak, "en-us+m3", 1.1, 0.2, 1.0};
//   RawSpeech s = SpeechSynth::instance().speak("set a timer for ten minutes", v, /*seed*/ 7);
//   // s.samples at s.sample_rate (22050 for espeak, 16000 for flite)
#pragma once

#include <string>
#include <vector>

namespace omnisparse {

enum class Engine { kEspeak, kFlite, kFestival };
const char* engine_name(Engine e);  // "espeak" / "flite" / "festival"
Engine engine_from_name(const std::string& name);  // InvalidArgument for another name

// How one utterance is spoken. The same numbers mean the same thing for both engines.
struct VoiceSettings {
  Engine engine = Engine::kEspeak;
  std::string voice;   // espeak "en-us+m3" (voice+variant); flite "kal16", "awb", "rms", "slt";
                       // festival "kal", "ked", "slt-hts"
  double rate = 1.0;   // speaking speed relative to the voice's normal (espeak 175 wpm)
  double pitch = 0.0;  // base pitch shift in [-1, 1] (espeak 50 +- 35, flite f0 mean +- 25 %)
  double range = 1.0;  // pitch range (intonation) relative to normal, 0 = monotone
};

struct RawSpeech {
  std::vector<float> samples;  // mono, [-1, 1]
  int sample_rate = 0;
};

class SpeechSynth {
 public:
  static SpeechSynth& instance();
  // Throws InvalidArgument for an unknown voice, Error when the engine fails. Both engines draw
  // noise from libc rand(), so `noise_seed` seeds it. espeak-ng also keeps pitch-flutter state
  // across calls that its API cannot reset: the same sequence of calls in a fresh process gives
  // identical samples, a repeated call in the same process differs slightly.
  RawSpeech speak(const std::string& text, const VoiceSettings& voice, unsigned noise_seed = 1);

  static const std::vector<std::string>& espeak_voices();    // the 8 English voices
  static const std::vector<std::string>& espeak_variants();  // human-sounding variants
  static const std::vector<std::string>& flite_voices();     // kal16, awb, rms, slt
  static const std::vector<std::string>& festival_voices();  // kal, ked, slt-hts

 private:
  SpeechSynth() = default;
  RawSpeech speak_espeak(const std::string& text, const VoiceSettings& v);
  RawSpeech speak_flite(const std::string& text, const VoiceSettings& v);
  bool espeak_ready_ = false, flite_ready_ = false;
  int espeak_rate_ = 0;
};

}  // namespace omnisparse
