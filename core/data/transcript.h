// Transcript normalisation: the one function that both the corpus reader and WER scoring use,
// so that a reference and a hypothesis are always compared in the same form.
//
// Rules (in order):
//   - ASCII letters are lower-cased (LibriSpeech transcripts are upper case);
//   - typographic apostrophes (U+2018, U+2019, U+02BC) and backticks become ';
//   - hyphens, slashes and underscores become spaces ("twenty-five" -> "twenty five");
//   - other punctuation (.,!?;:"()[]{} and quotes) is removed; an apostrophe is kept only
//     between two letters or after a letter ("don't", "james'"), otherwise removed;
//   - runs of whitespace collapse to one space; leading/trailing space is trimmed.
// Digits and other characters are kept as they are, so the tokenizer can name them in a
// clear error rather than silently dropping words.
#pragma once

#include <string>
#include <string_view>

namespace omnisparse {

std::string normalize_transcript(std::string_view text);

}  // namespace omnisparse
