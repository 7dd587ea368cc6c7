// Character tokenizer for the transducer: blank = 0, then space, a..z and the apostrophe
// (vocabulary 29). It encodes text that normalize_transcript() produced; anything else (a digit,
// an accented letter) is an InvalidArgument naming the character, its position and the text,
// because silently dropping it would corrupt the targets.
//
//   CharTokenizer tok;
//   auto ids = tok.encode(normalize_transcript("Don't stop!"));  // {5,16,15,28,21,1,...}
//   std::string text = tok.decode(ids);                           // "don't stop"
//   nlohmann::json j = tok.to_json();  // stored with a model; CharTokenizer::from_json(j)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace omnisparse {

class CharTokenizer {
 public:
  CharTokenizer();

  // Token ids of a normalised transcript. Throws InvalidArgument on a character outside the
  // vocabulary.
  std::vector<int64_t> encode(std::string_view normalized) const;
  // Text of token ids; blanks are skipped. Throws InvalidArgument on an id out of range.
  std::string decode(const std::vector<int64_t>& ids) const;
  // True when every character of `normalized` is in the vocabulary.
  bool can_encode(std::string_view normalized) const;

  int64_t vocab_size() const { return static_cast<int64_t>(symbols_.size()); }
  int64_t blank_id() const { return 0; }
  // The symbol of an id ("<blank>" for the blank).
  const std::string& symbol(int64_t id) const;

  // {"type": "char", "blank_id": 0, "symbols": ["<blank>", " ", "a", ..., "'"]}. from_json
  // throws InvalidArgument when the stored vocabulary differs from this one.
  nlohmann::json to_json() const;
  static CharTokenizer from_json(const nlohmann::json& j);

 private:
  std::vector<std::string> symbols_;
  int16_t id_of_[256];
};

}  // namespace omnisparse
