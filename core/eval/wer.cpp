#include "core/eval/wer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "core/data/transcript.h"

namespace omnisparse {
namespace {

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return s;
}

std::string pad(const std::string& s, size_t width) {
  return s + std::string(width - std::min(width, utf8_length(s)), ' ');
}

}  // namespace

double ErrorCounts::rate() const {
  return double(errors()) / double(std::max<int64_t>(ref, 1));
}

ErrorCounts& ErrorCounts::operator+=(const ErrorCounts& o) {
  sub += o.sub;
  del += o.del;
  ins += o.ins;
  ref += o.ref;
  return *this;
}

Alignment align_tokens(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  const size_t n = ref.size(), m = hyp.size(), w = m + 1;
  // cost[i * w + j]: edits to turn ref[0, i) into hyp[0, j); [n+1, m+1]
  std::vector<int32_t> cost((n + 1) * w);
  for (size_t i = 0; i <= n; ++i) cost[i * w] = int32_t(i);
  for (size_t j = 0; j <= m; ++j) cost[j] = int32_t(j);
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j)
      cost[i * w + j] = std::min({cost[(i - 1) * w + j - 1] + (ref[i - 1] != hyp[j - 1]),
                                  cost[(i - 1) * w + j] + 1, cost[i * w + j - 1] + 1});
  Alignment a;
  a.counts.ref = int64_t(n);
  size_t i = n, j = m;
  while (i > 0 || j > 0) {
    const int32_t c = cost[i * w + j];
    if (i > 0 && j > 0 && c == cost[(i - 1) * w + j - 1] + (ref[i - 1] != hyp[j - 1])) {
      const bool same = ref[i - 1] == hyp[j - 1];
      a.pairs.push_back({same ? EditOp::Match : EditOp::Sub, ref[i - 1], hyp[j - 1]});
      a.counts.sub += !same;
      --i, --j;
    } else if (i > 0 && c == cost[(i - 1) * w + j] + 1) {
      a.pairs.push_back({EditOp::Del, ref[i - 1], ""});
      ++a.counts.del;
      --i;
    } else {
      a.pairs.push_back({EditOp::Ins, "", hyp[j - 1]});
      ++a.counts.ins;
      --j;
    }
  }
  std::reverse(a.pairs.begin(), a.pairs.end());
  return a;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

std::vector<std::string> split_chars(std::string_view text) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < text.size();) {
    size_t j = i + 1;  // continuation bytes join the code point they follow
    while (j < text.size() && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80) ++j;
    if (text[i] != ' ') chars.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return chars;
}

Alignment word_alignment(std::string_view ref, std::string_view hyp) {
  return align_tokens(split_words(normalize_transcript(ref)),
                      split_words(normalize_transcript(hyp)));
}

Alignment char_alignment(std::string_view ref, std::string_view hyp) {
  return align_tokens(split_chars(normalize_transcript(ref)),
                      split_chars(normalize_transcript(hyp)));
}

ErrorCounts word_errors(std::string_view ref, std::string_view hyp) {
  return word_alignment(ref, hyp).counts;
}

ErrorCounts char_errors(std::string_view ref, std::string_view hyp) {
  return char_alignment(ref, hyp).counts;
}

std::string render_alignment(const Alignment& a) {
  std::string r = "REF: ", h = "HYP: ", e = "EVAL:";
  for (const auto& p : a.pairs) {
    const bool err = p.op != EditOp::Match;
    std::string rt = p.op == EditOp::Ins ? "***" : (err ? upper(p.ref) : p.ref);
    std::string ht = p.op == EditOp::Del ? "***" : (err ? upper(p.hyp) : p.hyp);
    const char* mark = p.op == EditOp::Sub ? "S" : p.op == EditOp::Del ? "D"
                       : p.op == EditOp::Ins ? "I" : "";
    const size_t width = std::max(utf8_length(rt), utf8_length(ht));
    r.append(1, ' ').append(pad(rt, width));
    h.append(1, ' ').append(pad(ht, width));
    e.append(1, ' ').append(pad(mark, width));
  }
  auto trim = [](std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  return trim(r) + trim(h) + trim(e);
}

std::string CorpusScore::summary() const {
  auto line = [](const char* name, const ErrorCounts& c) {
    return fmt::format("{} {:.2f}% (S={} D={} I={}, N={})\n", name, 100 * c.rate(), c.sub, c.del,
                       c.ins, c.ref);
  };
  return line("WER", words) + line("CER", chars);
}

CorpusScore score_corpus(const std::vector<ScoredUtterance>& utts, size_t worst_n) {
  CorpusScore s;
  std::vector<std::pair<size_t, Alignment>> errs;  // (index, word alignment) with errors
  for (size_t k = 0; k < utts.size(); ++k) {
    const auto& u = utts[k];
    Alignment wa = word_alignment(u.ref, u.hyp);
    UtteranceScore us{u.id, wa.counts, char_errors(u.ref, u.hyp)};
    s.words += us.words;
    s.chars += us.chars;
    if (wa.counts.errors() > 0) {
      ++s.utterances_with_errors;
      errs.emplace_back(k, std::move(wa));
    }
    s.utterances.push_back(std::move(us));
  }
  auto worse = [&](const auto& a, const auto& b) {
    const ErrorCounts &x = a.second.counts, &y = b.second.counts;
    if (x.errors() != y.errors()) return x.errors() > y.errors();
    if (x.rate() != y.rate()) return x.rate() > y.rate();
    return utts[a.first].id < utts[b.first].id;
  };
  const size_t n = std::min(worst_n, errs.size());
  std::partial_sort(errs.begin(), errs.begin() + n, errs.end(), worse);
  for (size_t k = 0; k < n; ++k) {
    const auto& [idx, wa] = errs[k];
    const ErrorCounts& c = wa.counts;
    s.worst.push_back({utts[idx].id, c,
                       fmt::format("{}: S={} D={} I={} (WER {:.1f}%)\n", utts[idx].id, c.sub,
                                   c.del, c.ins, 100 * c.rate()) +
                           render_alignment(wa)});
  }
  return s;
}

}  // namespace omnisparse
