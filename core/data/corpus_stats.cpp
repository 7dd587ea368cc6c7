#include "core/data/corpus_stats.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#if FMT_VERSION >= 110000
#include <fmt/ranges.h>  // fmt::join (in format.h up to fmt 10; a pip LibTorch brings fmt 12)
#endif

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/corpus.h"
#include "core/data/speakers_file.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

// Decodes every file of `utts` to the end; "path: cause" for each one that fails.
std::vector<std::string> undecodable_files(const std::vector<Utterance>& utts, Progress& bar) {
  std::vector<std::string> bad;
  for (const auto& u : utts) {
    try {
      read_audio(u.audio);
    } catch (const Error& e) {
      bad.push_back(e.what());
    }
    bar.tick();
  }
  return bad;
}

}  // namespace

CorpusStats corpus_stats(const fs::path& path, const CorpusStatsOptions& options) {
  CorpusStats st;
  st.root = path;
  const auto subsets = list_subsets(path);
  // SPEAKERS.TXT sits at the corpus root (or above a single subset).
  std::vector<SpeakerEntry> speakers;
  for (const fs::path& p : {path / "SPEAKERS.TXT", path.parent_path() / "SPEAKERS.TXT"}) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) { speakers = read_speakers_txt(p); break; }
  }
  for (const auto& [name, dir] : subsets) {
    SubsetStats s;
    s.name = name;
    s.dir = dir;
    const auto utts = read_subset(dir);
    std::set<std::string> spk, words;
    double total = 0;
    s.min_s = utts.front().duration_s;
    for (const auto& u : utts) {
      spk.insert(u.speaker);
      std::istringstream ws(u.text);
      for (std::string w; ws >> w;) words.insert(w);
      s.characters += static_cast<int64_t>(u.text.size());
      total += u.duration_s;
      s.min_s = std::min(s.min_s, u.duration_s);
      s.max_s = std::max(s.max_s, u.duration_s);
      const size_t bin = static_cast<size_t>(u.duration_s);
      if (s.histogram.size() <= bin) s.histogram.resize(bin + 1, 0);
      ++s.histogram[bin];
    }
    s.utterances = static_cast<int64_t>(utts.size());
    s.speakers = static_cast<int64_t>(spk.size());
    s.vocabulary = static_cast<int64_t>(words.size());
    s.hours = total / 3600.0;
    s.mean_s = total / static_cast<double>(utts.size());
    std::set<std::string> voices;
    for (const auto& e : speakers)
      if (e.subset == name && spk.count(e.id)) voices.insert(e.synth + ":" + e.voice);
    s.voices.assign(voices.begin(), voices.end());
    if (options.decode) {
      Progress bar("decode " + name, static_cast<int64_t>(utts.size()), options.progress);
      s.undecodable = undecodable_files(utts, bar);
      bar.finish();
      s.decoded = true;
    }
    st.subsets.push_back(std::move(s));
  }
  return st;
}

nlohmann::json CorpusStats::to_json() const {
  nlohmann::json subs = nlohmann::json::object();
  for (const auto& s : subsets)
    subs[s.name] = {{"dir", s.dir.string()}, {"utterances", s.utterances}, {"hours", s.hours},
                    {"speakers", s.speakers}, {"vocabulary", s.vocabulary}, {"characters", s.characters},
                    {"duration_s", {{"min", s.min_s}, {"mean", s.mean_s}, {"max", s.max_s}}},
                    {"histogram_1s", s.histogram}, {"voices", s.voices},
                    {"decoded", s.decoded}, {"undecodable", s.undecodable}};
  return {{"root", root.string()}, {"subsets", subs}, {"undecodable", undecodable()}};
}

int64_t CorpusStats::undecodable() const {
  int64_t n = 0;
  for (const auto& s : subsets) n += static_cast<int64_t>(s.undecodable.size());
  return n;
}

std::string format_corpus_stats(const CorpusStats& st) {
  std::string out = fmt::format("{}\n{:<16} {:>8} {:>7} {:>8} {:>7} {:>10}  {}\n", st.root.string(), "subset",
                                "utts", "hours", "speakers", "vocab", "chars", "duration min/mean/max s");
  for (const auto& s : st.subsets)
    out += fmt::format("{:<16} {:>8} {:>7.2f} {:>8} {:>7} {:>10}  {:.1f} / {:.1f} / {:.1f}\n", s.name,
                       s.utterances, s.hours, s.speakers, s.vocabulary, s.characters, s.min_s, s.mean_s, s.max_s);
  for (const auto& s : st.subsets) {
    out += fmt::format("\n{}: duration histogram\n", s.name);
    const int64_t top = std::max<int64_t>(1, *std::max_element(s.histogram.begin(), s.histogram.end()));
    for (size_t b = 0; b < s.histogram.size(); ++b)
      out += fmt::format("  {:>3}-{:<3}s {:>7} {}\n", b, b + 1, s.histogram[b],
                         std::string(static_cast<size_t>(std::lround(40.0 * s.histogram[b] / top)), '#'));
    if (!s.voices.empty()) {  // all of them in --json; a taste here
      const size_t shown = std::min<size_t>(s.voices.size(), 8);
      out += fmt::format("  voices ({}): {}{}\n", s.voices.size(),
                         fmt::join(s.voices.begin(), s.voices.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                         shown < s.voices.size() ? ", ..." : "");
    }
  }
  for (const auto& s : st.subsets) {
    if (s.undecodable.empty()) continue;
    out += fmt::format("\n{}: {} of {} audio files cannot be decoded\n", s.name, s.undecodable.size(),
                       s.utterances);
    for (size_t i = 0; i < std::min<size_t>(s.undecodable.size(), 10); ++i) out += "  " + s.undecodable[i] + "\n";
    if (s.undecodable.size() > 10) out += fmt::format("  ... and {} more (all in --json)\n", s.undecodable.size() - 10);
  }
  return out;
}

}  // namespace omnisparse
