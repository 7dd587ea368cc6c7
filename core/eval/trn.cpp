#include "core/eval/trn.h"

#include <string_view>

#include "core/common/atomic_file.h"
#include "core/common/error.h"

namespace omnisparse {
namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

void write_trn(const std::filesystem::path& path, const std::vector<TrnEntry>& entries) {
  std::string out;
  for (const auto& [id, text] : entries) {
    if (id.empty() || id.find_first_of(" \t\r\n()") != std::string::npos)
      throw InvalidArgument(path.string() + ": utterance id '" + id +
                            "' is empty or holds whitespace or parentheses");
    if (text.find_first_of("\r\n") != std::string::npos)
      throw InvalidArgument(path.string() + ": text of utterance " + id + " holds a line break");
    std::string_view t = trim(text);
    out.append(t).append(t.empty() ? "(" : " (").append(id).append(")\n");
  }
  write_file_atomic(path, out);
}

std::vector<TrnEntry> read_trn(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  std::vector<TrnEntry> entries;
  size_t line_no = 0;
  for (size_t pos = 0; pos < bytes.size();) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) nl = bytes.size();
    std::string_view line = trim(std::string_view(bytes).substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    const size_t open = line.rfind('(');
    if (line.back() != ')' || open == std::string_view::npos || open + 2 >= line.size())
      throw FormatError(path, "line " + std::to_string(line_no) +
                                  ": expected `text (utterance-id)`, got '" + std::string(line) +
                                  "'");
    entries.emplace_back(std::string(line.substr(open + 1, line.size() - open - 2)),
                         std::string(trim(line.substr(0, open))));
  }
  return entries;
}

}  // namespace omnisparse
