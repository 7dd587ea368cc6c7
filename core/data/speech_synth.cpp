#include "core/data/speech_synth.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_slt(const char* voxdir);
}

#include "core/common/error.h"
#include "core/data/festival_tts.h"

namespace omnisparse {
namespace {

std::mutex g_mutex;                // both engines have global state
std::vector<short>* g_sink = nullptr;  // where the espeak callback appends

int espeak_callback(short* wav, int n, espeak_EVENT*) {
  if (wav && n > 0 && g_sink) g_sink->insert(g_sink->end(), wav, wav + n);
  return 0;  // continue
}

struct FliteVoice {
  cst_voice* voice;
  float f0_mean, f0_stddev;  // the voice's own defaults, to scale from
};
std::map<std::string, FliteVoice> g_flite;

int clampi(double v, int lo, int hi) { return static_cast<int>(std::clamp(std::lround(v), long(lo), long(hi))); }

std::vector<float> to_float(const short* s, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(s[i]) / 32768.0f;
  return out;
}

}  // namespace

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::kEspeak: return "espeak";
    case Engine::kFlite: return "flite";
    case Engine::kFestival: return "festival";
  }
  return "?";
}

Engine engine_from_name(const std::string& name) {
  for (Engine e : {Engine::kEspeak, Engine::kFlite, Engine::kFestival})
    if (name == engine_name(e)) return e;
  throw InvalidArgument("unknown speech engine '" + name + "' (espeak, flite, festival)");
}

SpeechSynth& SpeechSynth::instance() {
  static SpeechSynth s;
  return s;
}

const std::vector<std::string>& SpeechSynth::espeak_voices() {
  static const std::vector<std::string> v = {"en-us", "en",          "en-gb-scotland", "en-gb-x-rp",
                                             "en-029", "en-us-nyc",     "en-gb-x-gbclan", "en-gb-x-gbcwmd"};
  return v;
}

const std::vector<std::string>& SpeechSynth::espeak_variants() {
  // Human-like variants only: whisper, croak and the robot voices would teach the model noise.
  static const std::vector<std::string> v = {
      "m1",     "m2",      "m3",     "m4",     "m5",     "m6",     "m7",      "m8",    "f1",
      "f2",     "f3",      "f4",     "f5",     "klatt",  "klatt2", "klatt3",  "klatt4", "klatt6",
      "adam",   "Alex",    "Andy",   "anika",  "aunty",  "belinda", "benjamin", "caleb", "david",
      "ed",     "edward",  "grandma", "grandpa", "john", "linda",  "max",     "michel", "paul",
      "quincy", "rob",     "robert", "steph",  "travis", "victor", "zac"};
  return v;
}

const std::vector<std::string>& SpeechSynth::flite_voices() {
  static const std::vector<std::string> v = {"kal16", "awb", "rms", "slt"};
  return v;
}

const std::vector<std::string>& SpeechSynth::festival_voices() {
  static const std::vector<std::string> v = {"kal", "ked", "slt-hts"};
  return v;
}

RawSpeech SpeechSynth::speak(const std::string& text, const VoiceSettings& voice,
                             unsigned noise_seed) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::srand(noise_seed);
  switch (voice.engine) {
    case Engine::kEspeak: return speak_espeak(text, voice);
    case Engine::kFlite: return speak_flite(text, voice);
    case Engine::kFestival: return festival_speak(text, voice);
  }
  throw InvalidArgument("unknown speech engine");
}

RawSpeech SpeechSynth::speak_espeak(const std::string& text, const VoiceSettings& v) {
  if (!espeak_ready_) {
    espeak_rate_ = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (espeak_rate_ <= 0) throw Error("espeak-ng: initialisation failed (is espeak-ng-data installed?)");
    espeak_SetSynthCallback(espeak_callback);
    espeak_ready_ = true;
  }
  if (espeak_SetVoiceByName(v.voice.c_str()) != EE_OK)
    throw InvalidArgument("espeak-ng: unknown voice '" + v.voice + "'");
  // Set after the voice: selecting a voice resets the parameters to the variant's own.
  espeak_SetParameter(espeakRATE, clampi(175.0 * v.rate, espeakRATE_MINIMUM, espeakRATE_MAXIMUM), 0);
  espeak_SetParameter(espeakPITCH, clampi(50.0 + 35.0 * v.pitch, 0, 100), 0);
  espeak_SetParameter(espeakRANGE, clampi(50.0 * v.range, 0, 100), 0);
  espeak_SetParameter(espeakVOLUME, 100, 0);
  std::vector<short> pcm;
  g_sink = &pcm;
  const espeak_ERROR err = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                        espeakCHARS_UTF8, nullptr, nullptr);
  espeak_Synchronize();
  g_sink = nullptr;
  if (err != EE_OK) throw Error("espeak-ng: synthesis failed for \"" + text + "\"");
  return {to_float(pcm.data(), pcm.size()), espeak_rate_};
}

RawSpeech SpeechSynth::speak_flite(const std::string& text, const VoiceSettings& v) {
  if (!flite_ready_) {
    flite_init();
    auto add = [](const char* name, cst_voice* voice) {
      if (!voice) throw Error(std::string("flite: cannot register voice ") + name);
      g_flite[name] = {voice, flite_get_param_float(voice->features, "int_f0_target_mean", 100.f),
                       flite_get_param_float(voice->features, "int_f0_target_stddev", 12.f)};
    };
    add("kal16", register_cmu_us_kal16(nullptr));
    add("awb", register_cmu_us_awb(nullptr));
    add("rms", register_cmu_us_rms(nullptr));
    add("slt", register_cmu_us_slt(nullptr));
    flite_ready_ = true;
  }
  auto it = g_flite.find(v.voice);
  if (it == g_flite.end()) throw InvalidArgument("flite: unknown voice '" + v.voice + "'");
  const FliteVoice& fv = it->second;
  flite_feat_set_float(fv.voice->features, "duration_stretch", static_cast<float>(1.0 / v.rate));
  flite_feat_set_float(fv.voice->features, "int_f0_target_mean",
                       static_cast<float>(fv.f0_mean * (1.0 + 0.25 * v.pitch)));
  flite_feat_set_float(fv.voice->features, "int_f0_target_stddev",
                       static_cast<float>(fv.f0_stddev * v.range));
  cst_wave* w = flite_text_to_wave(text.c_str(), fv.voice);
  if (!w) throw Error("flite: synthesis failed for \"" + text + "\"");
  RawSpeech out{to_float(w->samples, static_cast<size_t>(w->num_samples)), w->sample_rate};
  delete_wave(w);
  return out;
}

}  // namespace omnisparse
