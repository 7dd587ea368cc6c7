// SPEAKERS.TXT of a synthetic corpus, in LibriSpeech's style: ';' comment lines, then one
// `ID | SUBSET | SYNTH | VOICE | SETTINGS` line per speaker and subset it speaks in, e.g.
//   103  | train | espeak | en-gb-scotland+f2 | rate=1.12 pitch=-0.30 range=0.85 level=0.61 ...
// `inspect` reads it back to show which voices each subset holds.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace omnisparse {

struct SpeakerEntry {
  std::string id, subset, synth, voice, settings;
};

std::string format_speakers_txt(const std::vector<SpeakerEntry>& entries);
// Throws FormatError naming the line when one does not have five '|'-separated fields.
std::vector<SpeakerEntry> read_speakers_txt(const std::filesystem::path& path);

}  // namespace omnisparse
