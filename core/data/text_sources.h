// Where the sentences of a synthetic corpus come from (`omnisparse synth --domain`):
//   "commands"  the built-in voice-command grammar (commands_grammar.h);
//   "digits"    strings of 3-7 digit words (commands_grammar.h), the quick demo's domain;
//   "wordnet"   quoted usage examples from Debian's wordnet-base (/usr/share/wordnet/data.*);
//   otherwise   a path to a UTF-8 text file, one sentence per line.
// Every sentence is normalised (transcript.h) and kept only if the character tokenizer can
// encode it and it has a speakable length (3..24 words, at most 160 characters; a text file's
// lines may also be one or two words: a user's commands, Asterisk's prompts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace omnisparse {

struct SentenceSource {
  std::vector<std::string> sentences;  // distinct, normalised, shuffled under the seed
  std::string description;             // "commands grammar", "wordnet usage examples (...)", file path
  size_t rejected = 0;                 // lines dropped (unencodable, too short or long)
};

// Up to `wanted` sentences (all of them for wordnet/file when fewer exist). Throws IoError for
// a missing file, FormatError for an empty or unusable one.
SentenceSource load_sentences(const std::string& domain, size_t wanted, uint64_t seed);

// Usage examples from wordnet data files in `dir` (default /usr/share/wordnet).
SentenceSource wordnet_sentences(const std::filesystem::path& dir = "/usr/share/wordnet");
SentenceSource file_sentences(const std::filesystem::path& path);

// True when `normalized` is a sentence the synthetic corpus would keep.
bool usable_sentence(const std::string& normalized, int min_words = 3);

}  // namespace omnisparse
