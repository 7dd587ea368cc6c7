#include <gtest/gtest.h>

#include "core/data/transcript.h"

using omnisparse::normalize_transcript;

TEST(Transcript, UpperCaseBecomesLowerCase) {
  EXPECT_EQ(normalize_transcript("HE HOPED THERE WOULD BE STEW"), "he hoped there would be stew");
}

TEST(Transcript, TypographicApostrophesAndBackticksBecomeApostrophes) {
  EXPECT_EQ(normalize_transcript("don\u2019t"), "don't");
  EXPECT_EQ(normalize_transcript("it\u2018s"), "it's");
  EXPECT_EQ(normalize_transcript("we\u02BCll"), "we'll");
  EXPECT_EQ(normalize_transcript("can`t"), "can't");
}

TEST(Transcript, HyphensSlashesUnderscoresBecomeSpaces) {
  EXPECT_EQ(normalize_transcript("twenty-five"), "twenty five");
  EXPECT_EQ(normalize_transcript("and/or"), "and or");
  EXPECT_EQ(normalize_transcript("snake_case"), "snake case");
  EXPECT_EQ(normalize_transcript("well -- maybe"), "well maybe");
}

TEST(Transcript, PunctuationIsRemoved) {
  EXPECT_EQ(normalize_transcript("Hello, world! (Really?) \"Yes\"; [ok] {fine}: done."),
            "hello world really yes ok fine done");
  EXPECT_EQ(normalize_transcript("\u201CQuoted\u201D"), "quoted");
}

TEST(Transcript, ApostropheKeptOnlyAfterALetter) {
  EXPECT_EQ(normalize_transcript("don't"), "don't");
  EXPECT_EQ(normalize_transcript("the james' house"), "the james' house");
  EXPECT_EQ(normalize_transcript("'tis the season"), "tis the season");
  EXPECT_EQ(normalize_transcript("rock 'n roll"), "rock n roll");
  EXPECT_EQ(normalize_transcript("' alone '"), "alone");
}

TEST(Transcript, WhitespaceCollapsesAndIsTrimmed) {
  EXPECT_EQ(normalize_transcript("  a \t b\n\nc  "), "a b c");
  EXPECT_EQ(normalize_transcript(""), "");
  EXPECT_EQ(normalize_transcript(" ... "), "");
}

TEST(Transcript, DigitsAndOtherCharactersAreKept) {
  EXPECT_EQ(normalize_transcript("Room 101"), "room 101");
  EXPECT_EQ(normalize_transcript("Caf\u00E9 & co"), "caf\u00E9 & co");
}

TEST(Transcript, IsIdempotent) {
  for (const char* s : {"Don't STOP -- the 'music'!", "a-b/c_d", "x \u2019y\u2019"})
    EXPECT_EQ(normalize_transcript(normalize_transcript(s)), normalize_transcript(s)) << s;
}
