// Word and character error rates by Levenshtein alignment, per utterance and per corpus, with
// sclite-style renderings of the alignments for the worst utterances.
//
//   ErrorCounts e = word_errors("The cat sat.", "the cat sit on");  // sub 1, ins 1, ref 3
//   e.rate();                                                      // 2 / 3
//   CorpusScore s = score_corpus({{"utt1", ref1, hyp1}, ...});
//   s.words.rate(); s.chars.rate(); s.worst[0].alignment;         // REF:/HYP:/EVAL: lines
//
// Both sides are normalised with normalize_transcript() (core/data/transcript.h), the same
// function the corpus reader uses, so case and punctuation differences are never errors.
// Words are the space-separated tokens of the normalised text. Characters (CER) are the UTF-8
// code points of the normalised text WITHOUT spaces: a split or merged word ("every day" vs
// "everyday") costs nothing at character level and is counted by the WER instead.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnisparse {

struct ErrorCounts {
  int64_t sub = 0, del = 0, ins = 0;
  int64_t ref = 0;  // tokens in the reference

  int64_t errors() const { return sub + del + ins; }
  // errors / ref. An empty reference counts as one token in the denominator, so the rate is
  // always finite: 0 when the hypothesis is empty too, k for k inserted tokens.
  double rate() const;
  ErrorCounts& operator+=(const ErrorCounts& o);
  bool operator==(const ErrorCounts&) const = default;
};

enum class EditOp { Match, Sub, Del, Ins };

struct AlignedPair {
  EditOp op = EditOp::Match;
  std::string ref;  // empty for Ins
  std::string hyp;  // empty for Del
};

struct Alignment {
  std::vector<AlignedPair> pairs;  // in order
  ErrorCounts counts;
};

// Minimum-edit-distance alignment (unit costs) of token sequences; among equally cheap
// alignments it prefers substitutions, then deletions, then insertions (as sclite does).
Alignment align_tokens(const std::vector<std::string>& ref, const std::vector<std::string>& hyp);

// Tokenisation of already normalised text.
std::vector<std::string> split_words(std::string_view text);
std::vector<std::string> split_chars(std::string_view text);  // code points, spaces dropped

// Normalise both sides, tokenise, align.
Alignment word_alignment(std::string_view ref, std::string_view hyp);
Alignment char_alignment(std::string_view ref, std::string_view hyp);
ErrorCounts word_errors(std::string_view ref, std::string_view hyp);
ErrorCounts char_errors(std::string_view ref, std::string_view hyp);

// sclite-style text, columns padded to the longer side:
//   REF:  the cat SAT on ***
//   HYP:  the cat SIT on THE
//   EVAL:         S      I
// Correct tokens are lower case, errors upper case, gaps ***. Lines end with '\n'.
std::string render_alignment(const Alignment& a);

struct ScoredUtterance {
  std::string id;
  std::string ref;  // as in the corpus (normalised by the scorer)
  std::string hyp;  // as decoded
};

struct UtteranceScore {
  std::string id;
  ErrorCounts words, chars;
};

struct WorstUtterance {
  std::string id;
  ErrorCounts words;
  std::string alignment;  // "<id>: S=.. D=.. I=.. (WER ..%)\n" + render_alignment(words)
};

struct CorpusScore {
  ErrorCounts words, chars;                // corpus totals (sums of the counts, not mean rates)
  std::vector<UtteranceScore> utterances;  // in input order
  std::vector<WorstUtterance> worst;       // most word errors first (ties: higher rate, id)
  int64_t utterances_with_errors = 0;      // sentences with any word error

  // Two lines: "WER 12.34% (S=.. D=.. I=.., N=..)" and the same for CER.
  std::string summary() const;
};

CorpusScore score_corpus(const std::vector<ScoredUtterance>& utts, size_t worst_n = 10);

}  // namespace omnisparse
