// The plan of a synthetic corpus, decided before any audio exists: which speakers (a speaker is
// one synthesiser voice + variant + base rate/pitch/range/level), which sentence each utterance
// speaks, and where it goes in the LibriSpeech layout. Pure and cheap, so the properties that
// matter (sentences disjoint across subsets, test voices unheard in train) are tested on it.
//
// Voices: espeak-ng English voices x variants, and flite kal16/awb/rms/slt; with `festival`,
// also Festival's kal, ked and slt-hts (a fifth of the train speakers, one voice held out for
// test). One flite voice and ~15 % of espeak voice+variant combinations are held out for
// `test`; `dev` reuses the train speakers (seen voices) with unseen sentences. Without
// `festival` a seed gives the same plan as before Festival voices existed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/speech_synth.h"

namespace omnisparse {

struct SynthConfig {
  std::string out;                 // corpus root
  int64_t utterances = 3000;
  std::string domain = "commands";  // commands | wordnet | path to a text file
  uint64_t seed = 1;
  double dev_fraction = 0.1;
  double test_fraction = 0.1;
  bool festival = false;            // Festival's voices too (festival_tts.h)
  bool overwrite = false;           // replace a corpus already in `out`

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  static SynthConfig from_json(const nlohmann::json& j);
};

struct SpeakerPlan {
  int id = 0;                 // numeric directory name
  VoiceSettings voice;        // base settings
  double level = 0.5;         // peak level of its utterances
  double noise = 0.001;       // faint noise floor (std), so silence is not digital zero
  std::vector<std::string> subsets;  // "train" (+ "dev") or "test"
  std::string settings_text() const;  // "rate=1.12 pitch=-0.30 range=0.85 level=0.61 noise=0.0012"
};

struct UtterancePlan {
  std::string subset;   // train | dev | test
  size_t speaker = 0;   // index into CorpusPlan::speakers
  int chapter = 0;
  std::string id;       // "<speaker>-<chapter>-<utt>"
  std::string text;     // normalised
  VoiceSettings voice;  // speaker's base settings with per-utterance jitter
  double level = 0.5, lead_s = 0.1, trail_s = 0.1;
  uint32_t seed = 0;    // synthesiser and noise seed
};

struct CorpusPlan {
  std::vector<SpeakerPlan> speakers;
  std::vector<UtterancePlan> utterances;  // in synthesis order
  size_t sentences_per_subset[3] = {0, 0, 0};  // train, dev, test
};

inline const std::vector<std::string>& subset_names() {
  static const std::vector<std::string> n = {"train", "dev", "test"};
  return n;
}

// `sentences` are distinct; each subset gets a disjoint share (reused round robin when there
// are fewer sentences than utterances).
CorpusPlan make_plan(const SynthConfig& config, const std::vector<std::string>& sentences);

}  // namespace omnisparse
