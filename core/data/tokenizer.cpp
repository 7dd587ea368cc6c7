#include "core/data/tokenizer.h"

#include <fmt/format.h>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// A readable name for a byte (and the UTF-8 character it starts) in an error message.
std::string describe_char(std::string_view text, size_t pos) {
  const unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c >= 0x80) {
    size_t len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : (c >= 0xC0) ? 2 : 1;
    return fmt::format("'{}'", text.substr(pos, len));
  }
  if (c < 0x20 || c == 0x7F) return fmt::format("control character 0x{:02X}", c);
  return fmt::format("'{}'", static_cast<char>(c));
}

}  // namespace

CharTokenizer::CharTokenizer() {
  symbols_.push_back("<blank>");
  symbols_.push_back(" ");
  for (char c = 'a'; c <= 'z'; ++c) symbols_.push_back(std::string(1, c));
  symbols_.push_back("'");
  for (auto& v : id_of_) v = -1;
  for (size_t i = 1; i < symbols_.size(); ++i)
    id_of_[static_cast<unsigned char>(symbols_[i][0])] = static_cast<int16_t>(i);
}

std::vector<int64_t> CharTokenizer::encode(std::string_view normalized) const {
  std::vector<int64_t> ids;
  ids.reserve(normalized.size());
  for (size_t i = 0; i < normalized.size(); ++i) {
    const int16_t id = id_of_[static_cast<unsigned char>(normalized[i])];
    if (id < 0)
      throw InvalidArgument(fmt::format(
          "cannot encode character {} at position {} of \"{}\" (the tokenizer knows a-z, "
          "apostrophe and space; spell numbers and symbols as words)",
          describe_char(normalized, i), i, normalized));
    ids.push_back(id);
  }
  return ids;
}

bool CharTokenizer::can_encode(std::string_view normalized) const {
  for (char c : normalized)
    if (id_of_[static_cast<unsigned char>(c)] < 0) return false;
  return true;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    if (id < 0 || id >= vocab_size())
      throw InvalidArgument(fmt::format("token id {} at position {} is outside the vocabulary [0, {})",
                                        id, i, vocab_size()));
    if (id != blank_id()) out += symbols_[static_cast<size_t>(id)];
  }
  return out;
}

const std::string& CharTokenizer::symbol(int64_t id) const {
  if (id < 0 || id >= vocab_size())
    throw InvalidArgument(fmt::format("token id {} is outside the vocabulary [0, {})", id, vocab_size()));
  return symbols_[static_cast<size_t>(id)];
}

nlohmann::json CharTokenizer::to_json() const {
  return {{"type", "char"}, {"blank_id", blank_id()}, {"symbols", symbols_}};
}

CharTokenizer CharTokenizer::from_json(const nlohmann::json& j) {
  CharTokenizer tok;
  if (!j.is_object() || j.value("type", std::string()) != "char")
    throw InvalidArgument("tokenizer: expected {\"type\": \"char\", ...}, got " + j.dump().substr(0, 80));
  for (const auto& [key, _] : j.items())
    if (key != "type" && key != "blank_id" && key != "symbols")
      throw InvalidArgument("tokenizer: unknown key '" + key + "'");
  if (!j.contains("symbols") || j["symbols"] != nlohmann::json(tok.symbols_))
    throw InvalidArgument("tokenizer: stored symbols differ from the built-in character vocabulary "
                          "(blank, space, a-z, apostrophe)");
  if (j.value("blank_id", int64_t{0}) != 0)
    throw InvalidArgument("tokenizer: blank_id must be 0");
  return tok;
}

}  // namespace omnisparse
