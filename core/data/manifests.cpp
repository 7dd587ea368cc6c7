#include "core/data/manifests.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/data/transcript.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

struct Line {
  int no;
  std::string text;
};

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

// The non-blank lines of a text file, CR stripped; a line that is not UTF-8 is an error.
std::vector<Line> read_lines(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(file, "cannot open");
  std::vector<Line> out;
  std::string l;
  for (int no = 1; std::getline(in, l); ++no) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.find_first_not_of(" \t") == std::string::npos) continue;
    if (!valid_utf8(l)) throw FormatError(file, fmt::format("line {}: not UTF-8 text", no));
    out.push_back({no, l});
  }
  if (in.bad()) throw IoError(file, "read error");
  return out;
}

// "<key> <rest>" (space or tab); rest trimmed.
std::pair<std::string, std::string> key_rest(const fs::path& file, const Line& l, const char* expected) {
  const size_t sep = l.text.find_first_of(" \t");
  const size_t rest = sep == std::string::npos ? sep : l.text.find_first_not_of(" \t", sep);
  if (sep == 0 || rest == std::string::npos)
    throw FormatError(file, fmt::format("line {}: expected '{}', got '{}'", l.no, expected, l.text.substr(0, 60)));
  std::string r = l.text.substr(rest);
  r.erase(r.find_last_not_of(" \t") + 1);
  return {l.text.substr(0, sep), r};
}

fs::path resolve_audio(const fs::path& base, const std::string& p) {
  const fs::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

std::string transcript(const fs::path& file, int line, const std::string& raw, const std::string& id) {
  std::string t = normalize_transcript(raw);
  if (t.empty()) throw FormatError(file, fmt::format("line {}: empty transcript for '{}'", line, id));
  return t;
}

// Reads every header; all failures are collected and reported together, with their count.
void fill_durations(std::vector<Utterance>& utts, const fs::path& manifest) {
  std::vector<std::string> bad;
  std::map<fs::path, double> seen;
  for (auto& u : utts) {
    try {
      auto it = seen.find(u.audio);
      const double d = it != seen.end() ? it->second : seen[u.audio] = audio_duration_s(u.audio);
      if (u.length_s < 0) {
        u.duration_s = d - u.offset_s;
      } else {
        u.duration_s = u.length_s;
        if (u.offset_s + u.length_s > d + 0.01)
          throw FormatError(u.audio, fmt::format("segment {} ends at {:.2f} s, after the recording ({:.2f} s)",
                                                 u.id, u.offset_s + u.length_s, d));
      }
    } catch (const Error& e) {
      bad.push_back(e.what());
    }
  }
  if (bad.empty()) return;
  std::string first;
  for (size_t i = 0; i < bad.size() && i < 3; ++i) first += (i ? "; " : "") + bad[i];
  throw FormatError(manifest, fmt::format("{} of {} utterances have missing or unreadable audio (first: {})",
                                          bad.size(), utts.size(), first));
}

void sort_and_check_ids(std::vector<Utterance>& utts, const fs::path& file) {
  std::sort(utts.begin(), utts.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (size_t i = 1; i < utts.size(); ++i)
    if (utts[i].id == utts[i - 1].id) throw FormatError(file, "utterance '" + utts[i].id + "' appears twice");
  if (utts.empty()) throw FormatError(file, "no utterances");
}

}  // namespace

bool is_kaldi_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "wav.scp", ec) && fs::is_regular_file(dir / "text", ec);
}

std::vector<Utterance> read_kaldi_dir(const fs::path& dir) {
  const fs::path scp = dir / "wav.scp", text = dir / "text", u2s = dir / "utt2spk", seg = dir / "segments";
  std::map<std::string, fs::path> recordings;
  for (const auto& l : read_lines(scp)) {
    auto [id, path] = key_rest(scp, l, "<recording-id> <path>");
    if (path.back() == '|' || path.find(" |") != std::string::npos)
      throw FormatError(scp, fmt::format("line {}: a piped command ('{}') is not supported; give the audio file's path",
                                         l.no, path.substr(0, 60)));
    if (!recordings.emplace(id, resolve_audio(dir, path)).second)
      throw FormatError(scp, fmt::format("line {}: recording '{}' appears twice", l.no, id));
  }
  std::error_code ec;
  struct Segment { std::string rec; double from, to; };
  std::map<std::string, Segment> segments;
  const bool has_segments = fs::exists(seg, ec);
  if (has_segments) {
    for (const auto& l : read_lines(seg)) {
      std::istringstream in(l.text);
      std::string utt, rec, extra;
      double from = 0, to = 0;
      if (!(in >> utt >> rec >> from >> to) || (in >> extra))
        throw FormatError(seg, fmt::format("line {}: expected '<utt-id> <recording-id> <start> <end>', got '{}'",
                                           l.no, l.text.substr(0, 60)));
      if (!recordings.count(rec))
        throw FormatError(seg, fmt::format("line {}: recording '{}' is not in wav.scp", l.no, rec));
      if (from < 0 || (to != -1 && to <= from))
        throw FormatError(seg, fmt::format("line {}: times {} .. {} (need 0 <= start < end, or end -1)", l.no, from, to));
      if (!segments.emplace(utt, Segment{rec, from, to}).second)
        throw FormatError(seg, fmt::format("line {}: utterance '{}' appears twice", l.no, utt));
    }
  }
  std::map<std::string, std::string> speakers;
  const bool has_u2s = fs::exists(u2s, ec);
  std::map<std::string, int> speaker_line;
  if (has_u2s)
    for (const auto& l : read_lines(u2s)) {
      auto [utt, spk] = key_rest(u2s, l, "<utt-id> <speaker>");
      if (!speakers.emplace(utt, spk).second)
        throw FormatError(u2s, fmt::format("line {}: utterance '{}' appears twice", l.no, utt));
      speaker_line[utt] = l.no;
    }

  std::vector<Utterance> utts;
  for (const auto& l : read_lines(text)) {
    auto [id, raw] = [&] {
      const size_t sep = l.text.find_first_of(" \t");
      return sep == std::string::npos ? std::pair<std::string, std::string>{l.text, ""}
                                      : std::pair<std::string, std::string>{l.text.substr(0, sep), l.text.substr(sep + 1)};
    }();
    Utterance u;
    u.id = id;
    u.text = transcript(text, l.no, raw, id);
    if (has_segments) {
      const auto s = segments.find(id);
      if (s == segments.end()) throw FormatError(text, fmt::format("line {}: utterance '{}' is not in segments", l.no, id));
      u.audio = recordings.at(s->second.rec);
      u.offset_s = s->second.from;
      u.length_s = s->second.to < 0 ? -1 : s->second.to - s->second.from;
      u.chapter = s->second.rec;
    } else {
      const auto r = recordings.find(id);
      if (r == recordings.end()) throw FormatError(text, fmt::format("line {}: utterance '{}' is not in wav.scp", l.no, id));
      u.audio = r->second;
    }
    if (has_u2s) {
      const auto sp = speakers.find(id);
      if (sp == speakers.end()) throw FormatError(text, fmt::format("line {}: utterance '{}' has no speaker in utt2spk", l.no, id));
      u.speaker = sp->second;
    } else {
      u.speaker = id;  // Kaldi's convention without utt2spk: every utterance its own speaker
    }
    utts.push_back(std::move(u));
  }
  sort_and_check_ids(utts, text);
  std::set<std::string> ids;
  for (const auto& u : utts) ids.insert(u.id);
  for (const auto& [utt, no] : speaker_line)
    if (!ids.count(utt)) throw FormatError(u2s, fmt::format("line {}: utterance '{}' is not in text", no, utt));
  fill_durations(utts, scp);
  return utts;
}

std::string subset_name(const std::filesystem::path& resolved) {
  return resolved.extension() == ".tsv" ? resolved.stem().string() : resolved.filename().string();
}

bool is_tsv_manifest(const fs::path& file) {
  std::error_code ec;
  return file.extension() == ".tsv" && fs::is_regular_file(file, ec);
}

std::vector<Utterance> read_tsv_manifest(const fs::path& file) {
  const auto lines = read_lines(file);
  if (lines.empty()) throw FormatError(file, "no utterances");
  auto split = [](const std::string& s) {
    std::vector<std::string> f;
    size_t b = 0;
    for (size_t e; (e = s.find('\t', b)) != std::string::npos; b = e + 1) f.push_back(s.substr(b, e - b));
    f.push_back(s.substr(b));
    return f;
  };
  // A header names the columns (Common Voice); otherwise path, text[, speaker].
  size_t path_col = 0, text_col = 1, spk_col = 2;
  bool header = false;
  fs::path base = file.parent_path();
  {
    const auto h = split(lines[0].text);
    auto col = [&](std::initializer_list<const char*> names) {
      for (const char* n : names) {
        const auto it = std::find(h.begin(), h.end(), n);
        if (it != h.end()) return static_cast<size_t>(it - h.begin());
      }
      return std::string::npos;
    };
    if (col({"path"}) != std::string::npos) {
      header = true;
      path_col = col({"path"});
      text_col = col({"sentence", "text"});
      spk_col = col({"client_id", "speaker"});
      if (text_col == std::string::npos)
        throw FormatError(file, "line 1: the header names no 'sentence' or 'text' column");
      std::error_code ec;
      if (fs::is_directory(base / "clips", ec)) base /= "clips";  // Common Voice keeps the audio there
    }
  }
  std::vector<Utterance> utts;
  for (size_t i = header ? 1 : 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const auto f = split(l.text);
    if (f.size() <= std::max(path_col, text_col) || f[path_col].empty())
      throw FormatError(file, fmt::format("line {}: expected 'path<TAB>text[<TAB>speaker]', got '{}'", l.no,
                                          l.text.substr(0, 60)));
    if (!header && f.size() > 3)
      throw FormatError(file, fmt::format("line {}: {} columns (expected path, text and an optional speaker)", l.no, f.size()));
    Utterance u;
    u.audio = resolve_audio(base, f[path_col]);
    u.id = fs::path(f[path_col]).stem().string();
    u.text = transcript(file, l.no, f[text_col], u.id);
    u.speaker = spk_col != std::string::npos && spk_col < f.size() && !f[spk_col].empty() ? f[spk_col] : "unknown";
    utts.push_back(std::move(u));
  }
  sort_and_check_ids(utts, file);
  fill_durations(utts, file);
  return utts;
}

}  // namespace omnisparse
