// The real-voice test set: Asterisk's English core prompts (Debian's asterisk-core-sounds-en-wav,
// one studio-recorded female speaker, 8 kHz telephone band; texts "key: text" per line in
// asterisk-core-sounds-en's core-sounds-en.txt.gz, CC-BY-SA-3.0) in LibriSpeech layout at 16 kHz,
// read by the one corpus reader (corpus.h) like any other subset:
//
//   OUT/test/9000/1/9000-1-<nnnn>.flac + 9000-1.trans.txt   every prompt that can be scored
//   OUT/prompts.tsv    id, Asterisk key, the text as written, the words scored
//   OUT/skipped.tsv    Asterisk key, reason, detail: every prompt left out, one line each
//   OUT/prompts.json   counts, minutes, skipped per reason, the split (when asked for)
//
// With heldout_fraction > 0 the unique *texts* are split at random (seeded): OUT/test holds only
// the real speaker reading the held-out texts, OUT/train-texts.txt and OUT/test-texts.txt list
// the two sides' texts one per line (for `omnisparse synth --domain FILE`), so the synthetic and
// the real test share their vocabulary and no text is on both sides.
//
// What a prompt's words are (spoken_form): annotations in [], () or <> are not speech and are
// dropped ("[ascending tones]", "(10 seconds of silence)"); * # & % + @ = are read as star,
// pound, and, percent, plus, at, equals; numbers 0-99 and whole hundreds below 1000 as words,
// decimals as "twenty eight point eight"; known acronyms letter by letter (PBX -> "p b x").
// What has no single reading is skipped with its reason: other numbers of 3+ digits (1234 is
// "one two three four" or "twelve thirty four"), amounts of money, acronyms said as words (IAX,
// DAHDI), a text with nothing left, characters outside the tokenizer's alphabet.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace omnisparse {

inline constexpr const char* kAsteriskSounds = "/usr/share/asterisk/sounds/en_US_f_Allison";
inline constexpr const char* kAsteriskTexts = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz";

struct PromptText {
  std::string key;   // "digits/20", "vm-intro": the sound file's path without .wav
  std::string text;  // as written in the index
  int line = 0;
};

// "key: text" lines of an index file (gzip or plain); ';' comments and blank lines are skipped.
// A line without "key: " is a FormatError naming the file and the line.
std::vector<PromptText> read_prompt_index(const std::filesystem::path& file);

// The words of a written prompt, normalised for scoring, or why it has no single reading.
struct SpokenForm {
  std::string text;         // empty when skipped
  std::string skip_reason;  // empty when text is set; one of a few fixed reasons
  std::string skip_detail;  // what in the text caused it ("1234", "IAX"), may be empty
};
SpokenForm spoken_form(std::string_view written);

struct PromptSetConfig {
  std::filesystem::path out;
  std::filesystem::path sounds = kAsteriskSounds;
  std::filesystem::path index = kAsteriskTexts;
  double heldout_fraction = 0;  // 0: every prompt in OUT/test; else the share of texts held out
  uint64_t seed = 1;
  bool overwrite = false;
};

struct PromptSetSummary {
  int64_t utterances = 0;   // in OUT/test
  double audio_s = 0;       // of OUT/test, at 16 kHz
  int64_t prompts = 0;      // entries in the index
  int64_t usable = 0;       // prompts with words and audio (before the split)
  int64_t train_texts = 0, test_texts = 0;  // the split; 0 without one
  std::map<std::string, std::vector<std::string>> skipped;  // reason -> Asterisk keys
                                                            // (details in OUT/skipped.tsv)
  nlohmann::json to_json() const;
};

// Builds OUT (see above) from the two Debian packages' files. OUT must be new or empty unless
// overwrite; it appears only when complete (built beside it, then renamed). Throws IoError
// naming a missing package file, FormatError for an unreadable sound or index line.
PromptSetSummary build_prompt_set(const PromptSetConfig& config);

}  // namespace omnisparse
