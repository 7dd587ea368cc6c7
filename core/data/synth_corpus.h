// `omnisparse synth`: writes a synthetic speech corpus in LibriSpeech layout that the one
// corpus reader (corpus.h) reads like a real download:
//
//   OUT/{train,dev,test}/<speaker>/<chapter>/<spk>-<chap>-<utt>.flac  (16 kHz, 16-bit FLAC)
//   OUT/{train,dev,test}/<speaker>/<chapter>/<spk>-<chap>.trans.txt
//   OUT/SPEAKERS.TXT   which voice and settings each numeric speaker is (speakers_file.h)
//   OUT/corpus.json    seed, domain, counts, hours and voices per subset
//
//   SynthConfig c; c.out = "corpus"; c.utterances = 2000;
//   SynthSummary s = synthesize_corpus(c);
//
// Deterministic from the seed: transcripts always, audio byte-identical when each corpus is
// synthesised by a fresh process (the CLI), because espeak-ng keeps state across calls.
// Synthesis runs on the calling thread (the engines are global); trimming, resampling and FLAC
// encoding on three writer threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/speech_synth.h"
#include "core/data/synth_plan.h"

namespace omnisparse {

struct SynthSubsetSummary {
  int64_t utterances = 0, speakers = 0, sentences = 0;
  double hours = 0;
  std::vector<std::string> voices;  // "espeak:en-us+m3", "flite:slt", sorted
};

struct SynthSummary {
  SynthConfig config;
  std::string domain_description;
  size_t sentences_rejected = 0;
  std::map<std::string, SynthSubsetSummary> subsets;
  double audio_s = 0, wall_s = 0;
  nlohmann::json to_json() const;  // what corpus.json and `synth --json` hold
};

// Built without the synthesizers (CMake -DOMNISPARSE_WITH_SYNTH=OFF defines OMNISPARSE_NO_SYNTH),
// synthesize_corpus() and SynthSummary::to_json() do not exist; callers throw this instead.
inline constexpr const char* kNoSynthesizers =
    "this build has no speech synthesizers (OMNISPARSE_WITH_SYNTH=OFF)";

// Throws ConfigError (bad config), IoError (out not empty without overwrite, unwritable), or
// the text source's errors.
SynthSummary synthesize_corpus(const SynthConfig& config, bool progress = true);

// Turns raw synthesiser output into the stored utterance: trims leading/trailing silence lightly,
// scales to the utterance level, resamples to 16 kHz, pads lead/trail silence and adds the
// speaker's faint noise floor (seeded by u.seed).
std::vector<float> finish_utterance(const RawSpeech& raw, const UtterancePlan& u, double noise);

}  // namespace omnisparse
