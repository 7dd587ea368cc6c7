#include "core/data/speakers_file.h"

#include <sstream>

#include <fmt/format.h>

#include "core/common/atomic_file.h"
#include "core/common/error.h"

namespace omnisparse {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string format_speakers_txt(const std::vector<SpeakerEntry>& entries) {
  std::string out =
      "; Synthetic speakers of this corpus (omnisparse synth). A speaker is one synthesiser voice\n"
      "; with its own base settings; test speakers use voices never heard in train.\n"
      ";ID  | SUBSET | SYNTH  | VOICE | SETTINGS\n";
  for (const auto& e : entries)
    out += fmt::format("{:<5}| {:<6} | {:<6} | {} | {}\n", e.id, e.subset, e.synth, e.voice, e.settings);
  return out;
}

std::vector<SpeakerEntry> read_speakers_txt(const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::vector<SpeakerEntry> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty() || trim(line)[0] == ';') continue;
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string part; std::getline(ls, part, '|');) f.push_back(trim(part));
    if (f.size() != 5)
      throw FormatError(path, fmt::format("line {}: expected 'ID | SUBSET | SYNTH | VOICE | SETTINGS'", n));
    out.push_back({f[0], f[1], f[2], f[3], f[4]});
  }
  return out;
}

}  // namespace omnisparse
