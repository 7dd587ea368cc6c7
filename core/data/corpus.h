// The one reader for corpora in LibriSpeech layout (DESIGN.md section 4, a contract):
//
//   <subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac   (or .wav)
//   <subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt     "<utt-id> TRANSCRIPT" per line
//
// A real LibriSpeech subset (LibriSpeech/dev-clean) and the synthetic corpus of `omnisparse synth`
// (subsets train/dev/test) read the same way:
//
//   auto subset = resolve_subset("corpus", "train");   // corpus/train, or LibriSpeech/train-clean-100
//   for (const Utterance& u : read_librispeech(subset)) ... u.audio, u.text, u.duration_s
//
// Every inconsistency is an error naming the file and the cause (one line): a transcript line
// with no audio file, an audio file with no transcript line, an unparseable line, a missing or
// unreadable directory, a subset with no utterances. Nothing is silently skipped.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace omnisparse {

struct Utterance {
  std::string id;       // "<speaker>-<chapter>-<utt>"
  std::string speaker;  // directory names, numeric in LibriSpeech
  std::string chapter;
  std::filesystem::path audio;
  std::string text;     // normalize_transcript() of the transcript line
  double duration_s = 0;  // from the audio header, no decoding
};

// Every utterance of one subset directory, sorted by id. Throws IoError/FormatError.
std::vector<Utterance> read_librispeech(const std::filesystem::path& subset_dir);

// The subset a data argument means: `path` itself when it holds speaker directories; otherwise
// its child named `default_subset` ("train", "dev", "test"), or the first LibriSpeech-named child
// starting with it ("dev" -> dev-clean before dev-other). Throws IoError naming what was found.
std::filesystem::path resolve_subset(const std::filesystem::path& path,
                                     const std::string& default_subset);

// The subsets under a corpus root as (name, dir), in train/dev/test order then by name; just
// (name of path, path) when `path` is a subset itself. Throws IoError when there are none.
std::vector<std::pair<std::string, std::filesystem::path>> list_subsets(
    const std::filesystem::path& path);

// Duration of an audio file from its header (frames / rate). Throws FormatError.
double audio_duration_s(const std::filesystem::path& audio);

}  // namespace omnisparse
