// Festival (the University of Edinburgh's speech synthesis system) through its C++ API: more
// voice families for the synthetic corpus than espeak-ng's formant voices and flite's.
//
//   RawSpeech s = festival_speak("set a timer", {Engine::kFestival, "ked", 1.1, 0.2, 1.0});
//
// Voices (Debian packages, brought by scripts/install-deps.sh): "kal" and "ked", American
// English male diphone voices (festvox-kallpc16k, festvox-kdlpc16k, 16 kHz), and "slt-hts", an
// American English female HTS statistical-parametric voice (festvox-us-slt-hts, 32 kHz).
// rate: duration stretch 1/rate (HTS: its speed option); pitch and range move the diphone
// voices' target F0 mean (+- 25 %) and spread; the HTS voice keeps its own intonation.
// Festival keeps global state: one caller at a time (SpeechSynth serialises its calls). A voice
// whose package is missing throws Error naming the package.
#pragma once

#include <string>
#include <vector>

#include "core/data/speech_synth.h"

namespace omnisparse {

RawSpeech festival_speak(const std::string& text, const VoiceSettings& voice);

}  // namespace omnisparse
