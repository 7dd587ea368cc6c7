// Statistics of a corpus in LibriSpeech layout, for `omnisparse inspect`: per subset the
// utterances, hours, speakers, vocabulary (distinct words), characters, a duration histogram
// and, for synthetic corpora, the voices listed in SPEAKERS.TXT.
//
//   CorpusStats st = corpus_stats("corpus");   // a corpus root or a single subset
//   std::cout << format_corpus_stats(st);      // or st.to_json()
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
};

struct CorpusStats {
  std::filesystem::path root;
  std::vector<SubsetStats> subsets;
  nlohmann::json to_json() const;
};

// Throws what read_librispeech/list_subsets throw.
CorpusStats corpus_stats(const std::filesystem::path& path);

// A human-readable table with text-bar histograms.
std::string format_corpus_stats(const CorpusStats& stats);

}  // namespace omnisparse
