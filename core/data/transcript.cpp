#include "core/data/transcript.h"

#include <cstdint>

namespace omnisparse {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Multi-byte UTF-8 sequences the rules name, with what they become. Anything else non-ASCII
// is kept verbatim (the tokenizer then names it).
struct Mapped {
  std::string_view utf8;
  char to;  // '\'' apostrophe, ' ' space, 0 removed
};
constexpr Mapped kMapped[] = {
    {"\xE2\x80\x98", '\''},  // U+2018 left single quotation mark
    {"\xE2\x80\x99", '\''},  // U+2019 right single quotation mark
    {"\xCA\xBC", '\''},      // U+02BC modifier letter apostrophe
    {"\xE2\x80\x90", ' '},   // U+2010 hyphen
    {"\xE2\x80\x93", ' '},   // U+2013 en dash (a hyphen for our purposes)
    {"\xE2\x80\x94", ' '},   // U+2014 em dash
    {"\xE2\x80\x9C", 0},     // U+201C left double quotation mark
    {"\xE2\x80\x9D", 0},     // U+201D right double quotation mark
    {"\xC2\xAB", 0},         // U+00AB left guillemet
    {"\xC2\xBB", 0},         // U+00BB right guillemet
};

bool removed_punct(char c) {
  switch (c) {
    case '.': case ',': case '!': case '?': case ';': case ':': case '"':
    case '(': case ')': case '[': case ']': case '{': case '}':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string normalize_transcript(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  auto emit = [&](char c) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  };
  // An apostrophe survives only right after a letter of the output ("don't", "james'").
  auto emit_apostrophe = [&]() {
    if (!pending_space && !out.empty() && is_letter(out.back())) out.push_back('\'');
  };
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      bool matched = false;
      for (const auto& m : kMapped) {
        if (text.substr(i, m.utf8.size()) == m.utf8) {
          if (m.to == '\'') emit_apostrophe();
          else if (m.to == ' ') pending_space = true;
          i += m.utf8.size();
          matched = true;
          break;
        }
      }
      if (!matched) emit(c), ++i;  // other bytes verbatim, continuation bytes included
      continue;
    }
    ++i;
    if (c >= 'A' && c <= 'Z') emit(static_cast<char>(c - 'A' + 'a'));
    else if (c == '\'' || c == '`') emit_apostrophe();
    else if (c == '-' || c == '/' || c == '_' || is_space(c)) pending_space = true;
    else if (removed_punct(c)) continue;
    else emit(c);
  }
  return out;
}

}  // namespace omnisparse
