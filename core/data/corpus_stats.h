// Statistics of a corpus in LibriSpeech layout, for `omnisparse inspect`: per subset the
// utterances, hours, speakers, vocabulary (distinct words), characters, a duration histogram
// and, for synthetic corpora, the voices listed in SPEAKERS.TXT. Every audio file is decoded
// to the end (what training will do), so a file whose header reads but whose data does not is
// found here, listed with its cause, rather than when training starts.
//
//   CorpusStats st = corpus_stats("corpus");   // a corpus root or a single subset
//   std::cout << format_corpus_stats(st);      // or st.to_json()
//   if (st.undecodable() > 0) ...              // the CLI's `inspect` then exits 1
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace omnisparse {

struct SubsetStats {
  std::string name;
  std::filesystem::path dir;
  int64_t utterances = 0, speakers = 0, vocabulary = 0, characters = 0;
  double hours = 0, min_s = 0, max_s = 0, mean_s = 0;
  std::vector<int64_t> histogram;  // utterances per 1-second bin: [0,1), [1,2), ...
  std::vector<std::string> voices;  // from SPEAKERS.TXT ("espeak:en-us+m3"); empty if absent
  bool decoded = false;             // every file was decoded (CorpusStatsOptions::decode)
  std::vector<std::string> undecodable;  // "path: cause", one per file that fails to decode
};

struct CorpusStatsOptions {
  bool decode = true;     // decode every audio file; false: headers only (fast on huge corpora)
  bool progress = false;  // a progress bar on stderr while decoding
};

struct CorpusStats {
  std::filesystem::path root;
  std::vector<SubsetStats> subsets;
  nlohmann::json to_json() const;
  int64_t undecodable() const;  // files that failed to decode, all subsets
};

// Throws what read_librispeech/list_subsets throw (a bad transcript line, a missing audio
// file); a file that fails to decode is collected in SubsetStats::undecodable instead.
CorpusStats corpus_stats(const std::filesystem::path& path, const CorpusStatsOptions& options = {});

// A human-readable table with text-bar histograms, and the undecodable files (up to 10 per
// subset) after it.
std::string format_corpus_stats(const CorpusStats& stats);

}  // namespace omnisparse
