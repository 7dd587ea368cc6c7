// sclite "trn" transcript files: one utterance per line, `text (id)`. The evaluator writes the
// references and hypotheses of a scored set as ref.trn / hyp.trn, so results can be re-scored
// with sclite (`sclite -r ref.trn trn -h hyp.trn trn -i rm`) or diffed.
//
//   write_trn(dir / "hyp.trn", {{"1089-134686-0000", "he hoped there would be stew"}});
//   auto entries = read_trn(dir / "hyp.trn");   // the same pairs back
//
// Text is written as given (callers pass normalised text when they want it); an empty text
// gives the line `(id)`.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace omnisparse {

using TrnEntry = std::pair<std::string, std::string>;  // (id, text)

// Writes atomically (temp file + rename). Throws InvalidArgument for an id that is empty or
// holds whitespace or parentheses, or a text with a line break; IoError if it cannot write.
void write_trn(const std::filesystem::path& path, const std::vector<TrnEntry>& entries);

// Reads entries in file order; blank lines are skipped, a trailing '\r' is ignored. Throws
// IoError if unreadable, FormatError naming the line for a line not ending in `(id)`.
std::vector<TrnEntry> read_trn(const std::filesystem::path& path);

}  // namespace omnisparse
