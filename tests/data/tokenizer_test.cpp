#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/data/tokenizer.h"
#include "core/data/transcript.h"

using namespace omnisparse;

TEST(CharTokenizer, VocabularyIsBlankSpaceLettersApostrophe) {
  CharTokenizer tok;
  EXPECT_EQ(tok.vocab_size(), 29);
  EXPECT_EQ(tok.blank_id(), 0);
  EXPECT_EQ(tok.encode(" "), std::vector<int64_t>{1});
  EXPECT_EQ(tok.encode("az'"), (std::vector<int64_t>{2, 27, 28}));
}

TEST(CharTokenizer, EncodeDecodeRoundTrip) {
  CharTokenizer tok;
  const std::string text = normalize_transcript("Don't stop the music, James' friend!");
  const auto ids = tok.encode(text);
  EXPECT_EQ(ids.size(), text.size());
  EXPECT_EQ(tok.decode(ids), text);
}

TEST(CharTokenizer, DecodeSkipsBlanksAndRejectsOutOfRange) {
  CharTokenizer tok;
  EXPECT_EQ(tok.decode({0, 9, 0, 10, 0}), "hi");
  EXPECT_THROW(tok.decode({29}), InvalidArgument);
  EXPECT_THROW(tok.decode({-1}), InvalidArgument);
}

TEST(CharTokenizer, DigitErrorNamesCharacterPositionAndText) {
  CharTokenizer tok;
  try {
    tok.encode("room 101");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'1'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("position 5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("room 101"), std::string::npos) << msg;
  }
  EXPECT_FALSE(tok.can_encode("room 101"));
  EXPECT_TRUE(tok.can_encode("room one"));
}

TEST(CharTokenizer, NonAsciiErrorNamesWholeCharacter) {
  CharTokenizer tok;
  try {
    tok.encode("caf\u00E9");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'\u00E9' at position 3"), std::string::npos) << e.what();
  }
}

TEST(CharTokenizer, JsonRoundTrip) {
  CharTokenizer tok;
  const auto j = tok.to_json();
  const CharTokenizer back = CharTokenizer::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.encode("abc"), tok.encode("abc"));
}

TEST(CharTokenizer, JsonWithOtherVocabularyIsRejected) {
  auto j = CharTokenizer().to_json();
  j["symbols"][2] = "x";
  EXPECT_THROW(CharTokenizer::from_json(j), InvalidArgument);
  auto k = CharTokenizer().to_json();
  k["extra"] = 1;
  EXPECT_THROW(CharTokenizer::from_json(k), InvalidArgument);
  EXPECT_THROW(CharTokenizer::from_json(nlohmann::json{{"type", "bpe"}}), InvalidArgument);
}
