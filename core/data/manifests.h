// Users' own data besides the LibriSpeech layout (corpus.h reads all three through read_subset):
//
// Kaldi data directory (a subset): wav.scp "<recording-id> <path>" (plain paths; a piped command
// "... |" is refused), text "<utt-id> <transcript>", optional utt2spk "<utt-id> <speaker>"
// (every utterance of `text` must have a line), optional segments
// "<utt-id> <recording-id> <start-s> <end-s>" (end -1: to the end of the recording); without
// segments the utterance ids are the recording ids.
//
// TSV manifest (a subset): one utterance per line, "path<TAB>text[<TAB>speaker]", or Common
// Voice's shape: a header line naming the columns, of which `path` and `sentence` (or `text`)
// are read and `client_id` (or `speaker`) is the speaker, with the audio in clips/ beside it.
//
// Relative audio paths resolve against the directory holding wav.scp or the manifest (against
// its clips/ for Common Voice). Audio in any format libsndfile reads (WAV, FLAC, OGG, MP3).
// Every bad line is a FormatError naming the file and the line (no separator, an empty
// transcript, an unknown recording or utterance, bad times, a line that is not UTF-8, a
// duplicate id). Missing or unreadable audio files are all found before anything trains and
// reported in one error with their count and the first few; nothing fails mid-epoch.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/data/corpus.h"

namespace omnisparse {

// A Kaldi data directory holds wav.scp and text.
bool is_kaldi_dir(const std::filesystem::path& dir);
std::vector<Utterance> read_kaldi_dir(const std::filesystem::path& dir);

// A manifest is a regular file named *.tsv.
bool is_tsv_manifest(const std::filesystem::path& file);

// The name results and reports give a resolved subset: a directory's name ("dev", "test"), a
// manifest's stem ("b" for b.tsv).
std::string subset_name(const std::filesystem::path& resolved);
std::vector<Utterance> read_tsv_manifest(const std::filesystem::path& file);

}  // namespace omnisparse
