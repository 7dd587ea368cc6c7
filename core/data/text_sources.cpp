#include "core/data/text_sources.h"

#include <algorithm>
#include <fstream>
#include <unordered_set>

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/data/commands_grammar.h"
#include "core/data/seeded_rng.h"
#include "core/data/tokenizer.h"
#include "core/data/transcript.h"

namespace omnisparse {
namespace fs = std::filesystem;

bool usable_sentence(const std::string& s, int min_words) {
  static const CharTokenizer tok;
  if (s.empty() || s.size() > 160 || !tok.can_encode(s)) return false;
  const auto words = 1 + std::count(s.begin(), s.end(), ' ');
  return words >= min_words && words <= 24;
}

namespace {

void add(SentenceSource& src, std::unordered_set<std::string>& seen, std::string_view raw,
         int min_words = 3) {
  std::string s = normalize_transcript(raw);
  if (!usable_sentence(s, min_words)) { ++src.rejected; return; }
  if (seen.insert(s).second) src.sentences.push_back(std::move(s));
}

}  // namespace

SentenceSource wordnet_sentences(const fs::path& dir) {
  SentenceSource src;
  std::unordered_set<std::string> seen;
  for (const char* part : {"noun", "verb", "adj", "adv"}) {
    const fs::path file = dir / (std::string("data.") + part);
    std::ifstream in(file);
    if (!in) throw IoError(file, "cannot open (install the wordnet-base package)");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == ' ') continue;  // licence header lines start with spaces
      const size_t bar = line.find(" | ");
      if (bar == std::string::npos) continue;
      // The gloss: definitions and "quoted usage examples" separated by semicolons.
      for (size_t q = line.find('"', bar); q != std::string::npos; q = line.find('"', q)) {
        const size_t end = line.find('"', q + 1);
        if (end == std::string::npos) break;
        add(src, seen, std::string_view(line).substr(q + 1, end - q - 1));
        q = end + 1;
      }
    }
  }
  if (src.sentences.empty()) throw FormatError(dir, "no usage examples found in wordnet data files");
  src.description = fmt::format("wordnet usage examples ({})", dir.string());
  return src;
}

SentenceSource file_sentences(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path, "no such file (--domain is commands, digits, wordnet or a text file)");
  if (fs::is_directory(path, ec)) throw IoError(path, "is a directory, expected a text file with one sentence per line");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open");
  SentenceSource src;
  std::unordered_set<std::string> seen;
  std::string line, example;
  size_t lines = 0;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++lines;
    const size_t before = src.rejected;
    add(src, seen, line, 1);  // a user's own lines may be one-word commands
    if (src.rejected > before && example.empty()) example = line.substr(0, 60);
  }
  if (lines == 0) throw FormatError(path, "empty file (expected one sentence per line)");
  if (src.sentences.empty())
    throw FormatError(path, fmt::format("none of its {} lines is usable (each needs 1-24 words of "
                                        "letters, apostrophes and spaces after normalisation; e.g. "
                                        "rejected: \"{}\")", lines, example));
  src.description = path.string();
  return src;
}

SentenceSource load_sentences(const std::string& domain, size_t wanted, uint64_t seed) {
  SentenceSource src;
  if (domain == "commands") {
    src.sentences = generate_commands(wanted, seed);
    src.description = "commands grammar";
  } else if (domain == "digits") {
    src.sentences = generate_digit_strings(wanted, seed);
    src.description = "digit strings";
  } else if (domain == "wordnet") {
    src = wordnet_sentences();
  } else {
    src = file_sentences(domain);
  }
  SeededRng rng(seed, 0x5E47E4CEull);
  rng.shuffle(src.sentences);
  if (src.sentences.size() > wanted) src.sentences.resize(wanted);
  return src;
}

}  // namespace omnisparse
