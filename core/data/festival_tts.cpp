#include "core/data/festival_tts.h"

#include <festival/festival.h>

#include <fmt/format.h>

#include <map>

#include "core/common/error.h"

namespace omnisparse {

namespace {

struct FestivalVoice {
  const char* select;   // the Scheme call that selects it
  const char* package;  // the Debian package that brings it
  bool hts;
  double f0_mean, f0_std;  // the diphone voices' own int_lr_params targets
};

const std::map<std::string, FestivalVoice>& voices() {
  static const std::map<std::string, FestivalVoice> v = {
      {"kal", {"(voice_kal_diphone)", "festvox-kallpc16k", false, 105, 14}},
      {"ked", {"(voice_ked_diphone)", "festvox-kdlpc16k", false, 105, 15}},
      {"slt-hts", {"(voice_cmu_us_slt_arctic_hts)", "festvox-us-slt-hts", true, 0, 0}},
  };
  return v;
}

bool g_ready = false;
std::string g_current;  // the voice selected last

void eval(const std::string& command) {
  if (!festival_eval_command(command.c_str()))
    throw Error("festival: command failed: " + command);
}

}  // namespace

RawSpeech festival_speak(const std::string& text, const VoiceSettings& v) {
  const auto it = voices().find(v.voice);
  if (it == voices().end())
    throw InvalidArgument("festival: unknown voice '" + v.voice + "' (kal, ked, slt-hts)");
  const FestivalVoice& fv = it->second;
  if (!g_ready) {
    // Festival's own default heap (FESTIVAL_HEAP_SIZE): a smaller one runs out of storage after
    // some hundreds of utterances.
    festival_initialize(/*load_init_files=*/1, /*heap_size=*/10000000);
    g_ready = true;
  }
  if (g_current != v.voice) {
    if (!festival_eval_command(fv.select))
      throw Error(fmt::format("festival: voice '{}' does not load (is {} installed?)", v.voice, fv.package));
    g_current = v.voice;
  }
  if (fv.hts) {
    eval(fmt::format("(set! hts_engine_params (append cmu_us_slt_arctic_hts::hts_engine_params "
                     "(list (list \"-r\" {:.4f}))))",
                     v.rate));
  } else {
    eval(fmt::format("(Parameter.set 'Duration_Stretch {:.4f})", 1.0 / v.rate));
    eval(fmt::format("(set! int_lr_params '((target_f0_mean {:.3f}) (target_f0_std {:.3f}) "
                     "(model_f0_mean 170) (model_f0_std 34)))",
                     fv.f0_mean * (1.0 + 0.25 * v.pitch), fv.f0_std * v.range));
  }
  EST_Wave w;
  if (!festival_text_to_wave(text.c_str(), w) || w.num_samples() == 0)
    throw Error("festival: synthesis failed for \"" + text + "\"");
  RawSpeech out;
  out.sample_rate = w.sample_rate();
  out.samples.resize(static_cast<size_t>(w.num_samples()));
  for (int i = 0; i < w.num_samples(); ++i) out.samples[size_t(i)] = w.a(i) / 32768.0f;
  return out;
}

}  // namespace omnisparse
