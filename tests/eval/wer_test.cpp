// WER/CER scoring and sclite trn files, against hand-computed counts and exact renderings.
#include "core/eval/wer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/eval/trn.h"
#include "tests/test_support.h"

namespace omnisparse {

// Readable failure messages for counts.
void PrintTo(const ErrorCounts& c, std::ostream* os) {
  *os << "{S=" << c.sub << " D=" << c.del << " I=" << c.ins << " N=" << c.ref << "}";
}

namespace {

ErrorCounts counts(int64_t sub, int64_t del, int64_t ins, int64_t ref) {
  ErrorCounts c;
  c.sub = sub, c.del = del, c.ins = ins, c.ref = ref;
  return c;
}

TEST(Wer, AllCorrectHasNoErrors) {
  EXPECT_EQ(word_errors("the cat sat on the mat", "the cat sat on the mat"), counts(0, 0, 0, 6));
  EXPECT_EQ(word_errors("the cat sat on the mat", "the cat sat on the mat").rate(), 0.0);
}

TEST(Wer, EmptyHypothesisDeletesEveryWord) {
  auto e = word_errors("the cat sat on the mat", "");
  EXPECT_EQ(e, counts(0, 6, 0, 6));
  EXPECT_DOUBLE_EQ(e.rate(), 1.0);
}

TEST(Wer, InsertionsOnlyCanExceedHundredPercent) {
  auto e = word_errors("go home", "please go home now thanks");
  EXPECT_EQ(e, counts(0, 0, 3, 2));
  EXPECT_DOUBLE_EQ(e.rate(), 1.5);
}

TEST(Wer, EmptyReferenceCountsAsOneWordInTheDenominator) {
  EXPECT_EQ(word_errors("", "a b c"), counts(0, 0, 3, 0));
  EXPECT_DOUBLE_EQ(word_errors("", "a b c").rate(), 3.0);
  EXPECT_DOUBLE_EQ(word_errors("", "").rate(), 0.0);
  // Only punctuation: empty after normalising.
  EXPECT_DOUBLE_EQ(word_errors("...", "").rate(), 0.0);
}

TEST(Wer, MixedEditsHaveKnownCounts) {
  // the quick->QUACK brown fox jumps->*** over the lazy dog ***->TODAY ***->PLEASE
  auto e = word_errors("the quick brown fox jumps over the lazy dog",
                       "the quack brown fox over the lazy dog today please");
  EXPECT_EQ(e, counts(1, 1, 2, 9));
  EXPECT_DOUBLE_EQ(e.rate(), 4.0 / 9.0);
}

TEST(Wer, PrefersOneSubstitutionOverDeletionPlusInsertion) {
  auto a = word_alignment("turn on the light", "turn off the light");
  EXPECT_EQ(a.counts, counts(1, 0, 0, 4));
  ASSERT_EQ(a.pairs.size(), 4u);
  EXPECT_EQ(a.pairs[1].op, EditOp::Sub);
  EXPECT_EQ(a.pairs[1].ref, "on");
  EXPECT_EQ(a.pairs[1].hyp, "off");
}

TEST(Wer, CaseAndPunctuationAreNotErrors) {
  EXPECT_EQ(word_errors("HELLO, World! Don't-stop.", "hello world don't stop"), counts(0, 0, 0, 4));
  EXPECT_EQ(char_errors("It's NINE o'clock.", "it's nine o'clock"), counts(0, 0, 0, 15));
}

TEST(Cer, CountsCharactersWithoutSpaces) {
  EXPECT_EQ(char_errors("abc de", "abd de"), counts(1, 0, 0, 5));
  // A merged word is two word errors but no character error.
  EXPECT_EQ(word_errors("every day", "everyday"), counts(1, 1, 0, 2));
  EXPECT_EQ(char_errors("every day", "everyday"), counts(0, 0, 0, 8));
  EXPECT_EQ(char_errors("set a timer", "set timer"), counts(0, 1, 0, 9));
}

TEST(Cer, SplitsUtf8ByCodePoint) {
  EXPECT_EQ(split_chars("caf\xC3\xA9 ok"),
            (std::vector<std::string>{"c", "a", "f", "\xC3\xA9", "o", "k"}));
  EXPECT_EQ(char_errors("caf\xC3\xA9", "cafe"), counts(1, 0, 0, 4));
}

TEST(Wer, RendersSubstitutionAndInsertionScliteStyle) {
  EXPECT_EQ(render_alignment(word_alignment("the cat sat on", "the cat sit on the")),
            "REF:  the cat SAT on ***\n"
            "HYP:  the cat SIT on THE\n"
            "EVAL:         S      I\n");
}

TEST(Wer, RendersDeletionWithGapColumn) {
  EXPECT_EQ(render_alignment(word_alignment("a b c", "a c")),
            "REF:  a B   c\n"
            "HYP:  a *** c\n"
            "EVAL:   D\n");
}

TEST(Corpus, SumsCountsAndListsWorstUtterancesWithAlignments) {
  std::vector<ScoredUtterance> utts = {
      {"u1", "turn on the light", "Turn on the light."},  // correct
      {"u2", "set a timer for ten minutes", "set timer for ten minutes"},  // 1 D of 6
      {"u3", "what time is it", "what is the time"},  // 3 errors of 4 (see below)
  };
  CorpusScore s = score_corpus(utts, /*worst_n=*/1);
  ASSERT_EQ(s.utterances.size(), 3u);
  EXPECT_EQ(s.utterances[0].words, counts(0, 0, 0, 4));
  EXPECT_EQ(s.utterances[1].words, counts(0, 1, 0, 6));
  // what=what, time->IS, is->THE, it->TIME: 3 substitutions
  EXPECT_EQ(s.utterances[2].words, counts(3, 0, 0, 4));
  EXPECT_EQ(s.words, counts(3, 1, 0, 14));
  EXPECT_DOUBLE_EQ(s.words.rate(), 4.0 / 14.0);
  EXPECT_EQ(s.chars.ref, 14 + 22 + 12);
  EXPECT_EQ(s.utterances_with_errors, 2);
  ASSERT_EQ(s.worst.size(), 1u);
  EXPECT_EQ(s.worst[0].id, "u3");
  EXPECT_EQ(s.worst[0].alignment,
            "u3: S=3 D=0 I=0 (WER 75.0%)\n"
            "REF:  what TIME IS  IT\n"
            "HYP:  what IS   THE TIME\n"
            "EVAL:      S    S   S\n");
  EXPECT_EQ(score_corpus(utts).worst.size(), 2u);  // only utterances with errors
  EXPECT_NE(s.summary().find("WER 28.57% (S=3 D=1 I=0, N=14)"), std::string::npos) << s.summary();
}

TEST(Trn, RoundTripsIdsAndTexts) {
  test::TempDir dir;
  std::vector<TrnEntry> entries = {
      {"1089-134686-0000", "he hoped there would be stew"}, {"u2", ""}, {"u3", "caf\xC3\xA9 (ok)"}};
  write_trn(dir / "hyp.trn", entries);
  EXPECT_EQ(read_file(dir / "hyp.trn"),
            "he hoped there would be stew (1089-134686-0000)\n(u2)\ncaf\xC3\xA9 (ok) (u3)\n");
  EXPECT_EQ(read_trn(dir / "hyp.trn"), entries);
}

TEST(Trn, BadIdsAndMalformedFilesGiveClearErrors) {
  test::TempDir dir;
  EXPECT_THROW(write_trn(dir / "a.trn", {{"has space", "x"}}), InvalidArgument);
  EXPECT_THROW(write_trn(dir / "a.trn", {{"u1", "two\nlines"}}), InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.trn"));
  write_file_atomic(dir / "bad.trn", std::string("ok text (u1)\r\n\nno id here\n"));
  try {
    read_trn(dir / "bad.trn");
    FAIL() << "malformed line accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_trn(dir / "missing.trn"), IoError);
}

}  // namespace
}  // namespace omnisparse
