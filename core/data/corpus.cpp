#include "core/data/corpus.h"

#include <sndfile.h>

#include <cmath>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#if FMT_VERSION >= 110000
#include <fmt/ranges.h>  // fmt::join (in format.h up to fmt 10; a pip LibTorch brings fmt 12)
#endif

#include "core/common/error.h"
#include "core/audio/audio_io.h"
#include "core/data/manifests.h"
#include "core/data/transcript.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void require_directory(const fs::path& dir) {
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (ec || !fs::exists(st)) {
    if (fs::is_symlink(fs::symlink_status(dir, ec)))
      throw IoError(dir, "dangling symbolic link (no such directory)");
    throw IoError(dir, "no such directory");
  }
  if (!fs::is_directory(st)) throw IoError(dir, "not a directory");
}

// Child entries sorted by name; a directory that cannot be listed is an IoError naming it.
std::vector<fs::directory_entry> entries(const fs::path& dir) {
  require_directory(dir);
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) out.push_back(*it);
  if (ec) throw IoError(dir, "cannot list directory (" + ec.message() + ")");
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return out;
}

std::vector<fs::path> numeric_subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : entries(dir)) {
    std::error_code ec;
    if (all_digits(e.path().filename().string()) && e.is_directory(ec)) out.push_back(e.path());
  }
  return out;
}

bool holds_speakers(const fs::path& dir) { return !numeric_subdirs(dir).empty(); }

// A subset in any format: speaker directories, a Kaldi data directory, a .tsv manifest.
bool is_subset(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return is_tsv_manifest(p);
  return is_kaldi_dir(p) || holds_speakers(p);
}

struct TransLine {
  std::string id, text;
  int line_no;
};

std::vector<TransLine> read_trans(const fs::path& trans, const std::string& prefix) {
  std::ifstream in(trans, std::ios::binary);
  if (!in) throw IoError(trans, "cannot open transcript file");
  std::vector<TransLine> lines;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t sep = line.find_first_of(" \t");
    const std::string id = line.substr(0, sep);
    if (line.find_first_not_of(" \t") == std::string::npos)
      throw FormatError(trans, fmt::format("line {}: empty line (expected '<utt-id> TRANSCRIPT')", n));
    if (sep == std::string::npos || sep == 0)
      throw FormatError(trans, fmt::format("line {}: expected '<utt-id> TRANSCRIPT', got '{}'", n,
                                           line.substr(0, 60)));
    if (id.rfind(prefix, 0) != 0 || !all_digits(id.substr(prefix.size())))
      throw FormatError(trans, fmt::format("line {}: utterance id '{}' is not of the form '{}<number>'",
                                           n, id, prefix));
    std::string text = normalize_transcript(std::string_view(line).substr(sep + 1));
    if (text.empty()) throw FormatError(trans, fmt::format("line {}: empty transcript for '{}'", n, id));
    lines.push_back({id, std::move(text), n});
  }
  if (in.bad()) throw IoError(trans, "read error");
  if (lines.empty()) throw FormatError(trans, "empty transcript file");
  return lines;
}

// Reads one <speaker>/<chapter> directory into `out`.
void read_chapter(const fs::path& dir, const std::string& speaker, std::vector<Utterance>& out) {
  const std::string chapter = dir.filename().string();
  const std::string prefix = speaker + "-" + chapter + "-";
  const fs::path trans = dir / (speaker + "-" + chapter + ".trans.txt");
  std::map<std::string, fs::path> audio;  // stem -> file
  for (const auto& e : entries(dir)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".flac" && ext != ".wav") continue;
    const std::string stem = e.path().stem().string();
    if (!audio.emplace(stem, e.path()).second)
      throw FormatError(e.path(), "two audio files for utterance '" + stem + "' (.flac and .wav)");
  }
  std::error_code ec;
  if (!fs::exists(trans, ec)) {
    if (audio.empty()) return;  // an empty chapter directory holds nothing to mismatch
    throw FormatError(audio.begin()->second,
                      "no transcript file " + trans.filename().string() + " next to it");
  }
  std::set<std::string> seen;
  for (auto& l : read_trans(trans, prefix)) {
    if (!seen.insert(l.id).second)
      throw FormatError(trans, fmt::format("line {}: utterance '{}' appears twice", l.line_no, l.id));
    auto it = audio.find(l.id);
    if (it == audio.end())
      throw FormatError(trans, fmt::format("line {}: utterance '{}' has no audio file ({}.flac or .wav)",
                                           l.line_no, l.id, l.id));
    Utterance u;
    u.id = l.id;
    u.speaker = speaker;
    u.chapter = chapter;
    u.audio = it->second;
    u.text = std::move(l.text);
    u.duration_s = audio_duration_s(u.audio);
    out.push_back(std::move(u));
  }
  for (const auto& [stem, file] : audio)
    if (!seen.count(stem))
      throw FormatError(file, "no transcript line for '" + stem + "' in " + trans.filename().string());
}

int subset_rank(const std::string& name) {
  for (int i = 0; const char* p : {"train", "dev", "test"}) {
    if (name == p || name.rfind(std::string(p) + "-", 0) == 0) return i;
    ++i;
  }
  return 3;
}

}  // namespace

double audio_duration_s(const fs::path& audio) {
  SF_INFO info{};
  SNDFILE* f = sf_open(audio.c_str(), SFM_READ, &info);
  if (!f) {
    std::error_code ec;
    if (!fs::exists(audio, ec)) throw IoError(audio, "no such file");
    if (fs::file_size(audio, ec) == 0) throw FormatError(audio, "empty file");
    throw FormatError(audio, std::string("not a readable FLAC or WAV file (libsndfile: ") +
                                 sf_strerror(nullptr) + ")");
  }
  sf_close(f);
  if (info.channels <= 0) throw FormatError(audio, "zero channels");
  if (info.samplerate <= 0) throw FormatError(audio, "invalid sample rate");
  if (info.frames <= 0) throw FormatError(audio, "no audio samples");
  return static_cast<double>(info.frames) / info.samplerate;
}

std::vector<Utterance> read_librispeech(const fs::path& subset_dir) {
  std::vector<Utterance> out;
  const auto speakers = numeric_subdirs(subset_dir);
  for (const auto& spk : speakers)
    for (const auto& chap : numeric_subdirs(spk)) read_chapter(chap, spk.filename().string(), out);
  if (out.empty())
    throw FormatError(subset_dir, speakers.empty()
                                      ? "no speaker directories (expected <speaker>/<chapter>/"
                                        "<speaker>-<chapter>-<utt>.flac and .trans.txt)"
                                      : "no utterances under its speaker directories");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<Utterance> read_subset(const fs::path& subset) {
  if (is_tsv_manifest(subset)) return read_tsv_manifest(subset);
  if (is_kaldi_dir(subset)) return read_kaldi_dir(subset);
  return read_librispeech(subset);
}

std::vector<float> read_utterance_16k(const Utterance& u) {
  std::vector<float> x = read_audio_16k(u.audio);
  if (u.length_s < 0 && u.offset_s == 0) return x;
  const auto from = static_cast<size_t>(std::llround(u.offset_s * kSampleRate));
  const size_t n = u.length_s < 0 ? (x.size() > from ? x.size() - from : 0)
                                  : static_cast<size_t>(std::llround(u.length_s * kSampleRate));
  if (n == 0 || from + n > x.size() + kSampleRate / 100)  // 10 ms of rounding is tolerated
    throw FormatError(u.audio, fmt::format("segment {} ({:.2f}-{:.2f} s) lies outside the recording ({:.2f} s)",
                                           u.id, u.offset_s, u.offset_s + std::max(0.0, u.length_s),
                                           x.size() / double(kSampleRate)));
  return std::vector<float>(x.begin() + static_cast<std::ptrdiff_t>(from),
                            x.begin() + static_cast<std::ptrdiff_t>(std::min(x.size(), from + n)));
}

fs::path resolve_subset(const fs::path& path, const std::string& default_subset) {
  if (is_subset(path)) return path;
  {
    std::error_code ec;
    const fs::path tsv = path / (default_subset + ".tsv");
    if (fs::is_directory(path, ec) && !fs::is_directory(path / default_subset, ec) && is_tsv_manifest(tsv))
      return tsv;
  }
  std::vector<std::string> names, matches;
  for (const auto& e : entries(path)) {
    std::error_code ec;
    if (!e.is_directory(ec)) continue;
    const std::string n = e.path().filename().string();
    names.push_back(n);
    if (n == default_subset) return e.path();
    if (n.rfind(default_subset + "-", 0) == 0) matches.push_back(n);
  }
  // LibriSpeech: prefer the clean subsets (dev-clean over dev-other), then by name.
  std::stable_sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
    return (a.find("clean") != std::string::npos) > (b.find("clean") != std::string::npos);
  });
  if (!matches.empty()) return path / matches.front();
  throw IoError(path, fmt::format("holds neither speaker directories nor a '{}' subset (found: {})",
                                  default_subset, names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
}

std::vector<std::pair<std::string, fs::path>> list_subsets(const fs::path& path) {
  if (is_subset(path)) {
    const fs::path canon = fs::weakly_canonical(path);
    return {{canon.stem().string(), path}};
  }
  std::vector<std::pair<std::string, fs::path>> out;
  for (const auto& e : entries(path)) {
    std::error_code ec;
    const std::string name = e.path().filename().string();
    if (e.is_directory(ec) && (holds_speakers(e.path()) || is_kaldi_dir(e.path())))
      out.emplace_back(name, e.path());
    else if (is_tsv_manifest(e.path()) &&
             (subset_rank(e.path().stem().string()) < 3 || name == "validated.tsv"))
      out.emplace_back(e.path().stem().string(), e.path());
  }
  if (out.empty())
    throw IoError(path, "no corpus here (expected speaker directories, a Kaldi data directory "
                        "(wav.scp, text), a .tsv manifest, or subsets such as train/dev/test)");
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return subset_rank(a.first) < subset_rank(b.first);
  });
  return out;
}

}  // namespace omnisparse
