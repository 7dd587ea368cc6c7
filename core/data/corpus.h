// The one reader for corpora in LibriSpeech layout (DESIGN.md section 4, a contract), and the
// entry point for the other two formats (Kaldi data directories, TSV manifests: manifests.h):
//
//   <subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac   (or .wav)
//   <subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt     "<utt-id> TRANSCRIPT" per line
//
// A real LibriSpeech subset (LibriSpeech/dev-clean) and the synthetic corpus of `omnisparse synth`
// (subsets train/dev/test) read the same way:
//
//   auto subset = resolve_subset("corpus", "train");   // corpus/train, or LibriSpeech/train-clean-100
//   for (const Utterance& u : read_subset(subset)) ... u.audio, u.text, u.duration_s
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
  double duration_s = 0;  // from the audio header, no decoding (of the segment, if any)
  // A segment of a longer recording (Kaldi `segments`): from offset_s, length_s seconds long;
  // length_s < 0 means the whole file.
  double offset_s = 0;
  double length_s = -1;
};

// The utterance's audio at 16 kHz mono: the whole file, or its segment. Throws like
// read_audio_16k, and FormatError when the segment lies outside the recording.
std::vector<float> read_utterance_16k(const Utterance& u);

// Every utterance of one subset directory, sorted by id. Throws IoError/FormatError.
std::vector<Utterance> read_librispeech(const std::filesystem::path& subset_dir);

// Every utterance of a subset in any of the three formats: a LibriSpeech-layout directory, a
// Kaldi data directory or a TSV manifest (manifests.h), sorted by id.
std::vector<Utterance> read_subset(const std::filesystem::path& subset);

// The subset a data argument means: `path` itself when it is a subset (holds speaker
// directories, is a Kaldi data directory or a .tsv manifest); otherwise its child named
// `default_subset` ("train", "dev", "test": a directory, or a manifest `<name>.tsv` as Common
// Voice names them), or the first LibriSpeech-named child starting with it ("dev" -> dev-clean
// before dev-other). Throws IoError naming what was found.
std::filesystem::path resolve_subset(const std::filesystem::path& path,
                                     const std::string& default_subset);

// The subsets under a corpus root as (name, path), in train/dev/test order then by name: child
// directories that are subsets, and manifests train/dev/test/validated.tsv; just (name of path,
// path) when `path` is a subset itself. Throws IoError when there are none.
std::vector<std::pair<std::string, std::filesystem::path>> list_subsets(
    const std::filesystem::path& path);

// Duration of an audio file from its header (frames / rate). Throws FormatError.
double audio_duration_s(const std::filesystem::path& audio);

}  // namespace omnisparse
