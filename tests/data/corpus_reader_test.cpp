// The LibriSpeech-layout reader on folders made here: the happy path and each bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/data/corpus.h"
#include "tests/test_support.h"

using namespace omnisparse;
namespace fs = std::filesystem;
using omnisparse::test::TempDir;

namespace {

std::vector<float> tone(double seconds, int rate = 16000) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(2 * M_PI * 440 * i / rate);
  return x;
}

using omnisparse::test::write_text;

// subset/19/198/{19-198-0000.flac (1.5 s), 19-198-0001.wav (0.5 s @ 8 kHz)} and
// subset/26/495/26-495-0000.flac (2 s), with transcripts as LibriSpeech writes them.
fs::path make_subset(const TempDir& tmp) {
  const fs::path s = tmp / "dev-clean";
  write_audio(s / "19/198/19-198-0000.flac", tone(1.5), 16000);
  write_audio(s / "19/198/19-198-0001.wav", tone(0.5, 8000), 8000);
  write_text(s / "19/198/19-198.trans.txt",
             "19-198-0000 NORTHANGER ABBEY\n19-198-0001 THIS LITTLE WORK WAS FINISHED IN THE YEAR EIGHTEEN O THREE\n");
  write_audio(s / "26/495/26-495-0000.flac", tone(2.0), 16000);
  write_text(s / "26/495/26-495.trans.txt", "26-495-0000 DON'T YOU SEE, SIR?\r\n");
  return s;
}

template <class E>
std::string error_of(const fs::path& dir) {
  try {
    read_librispeech(dir);
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(CorpusReader, ReadsHandMadeLibriSpeechFolder) {
  TempDir tmp;
  const auto utts = read_librispeech(make_subset(tmp));
  ASSERT_EQ(utts.size(), 3u);
  EXPECT_EQ(utts[0].id, "19-198-0000");
  EXPECT_EQ(utts[0].speaker, "19");
  EXPECT_EQ(utts[0].chapter, "198");
  EXPECT_EQ(utts[0].text, "northanger abbey");
  EXPECT_NEAR(utts[0].duration_s, 1.5, 1e-9);
  EXPECT_EQ(utts[1].audio.extension(), ".wav");
  EXPECT_NEAR(utts[1].duration_s, 0.5, 1e-9);
  EXPECT_EQ(utts[2].id, "26-495-0000");
  EXPECT_EQ(utts[2].text, "don't you see sir");
  EXPECT_NEAR(utts[2].duration_s, 2.0, 1e-9);
}

TEST(CorpusReader, ResolveSubsetPicksByName) {
  TempDir tmp;
  const fs::path subset = make_subset(tmp);
  EXPECT_EQ(resolve_subset(subset, "train"), subset);  // a subset itself
  EXPECT_EQ(resolve_subset(tmp.path(), "dev"), tmp / "dev-clean");  // LibriSpeech name
  fs::create_directories(tmp / "dev-other/1/2");
  EXPECT_EQ(resolve_subset(tmp.path(), "dev"), tmp / "dev-clean");  // clean first
  fs::create_directories(tmp / "dev");
  EXPECT_EQ(resolve_subset(tmp.path(), "dev"), tmp / "dev");  // exact name wins
  try {
    resolve_subset(tmp.path(), "test");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("dev-clean"), std::string::npos) << e.what();
  }
  const auto subsets = list_subsets(tmp.path());
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_EQ(subsets[0].first, "dev-clean");
}

TEST(CorpusReader, TranscriptLineWithoutAudioNamesTranscriptAndUtterance) {
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  fs::remove(s / "19/198/19-198-0001.wav");
  const std::string msg = error_of<FormatError>(s);
  EXPECT_NE(msg.find("19-198.trans.txt: line 2: utterance '19-198-0001' has no audio file"), std::string::npos) << msg;
}

TEST(CorpusReader, AudioWithoutTranscriptLineNamesAudioFile) {
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  write_audio(s / "26/495/26-495-0001.flac", tone(0.2), 16000);
  const std::string msg = error_of<FormatError>(s);
  EXPECT_NE(msg.find("26-495-0001.flac: no transcript line"), std::string::npos) << msg;
}

TEST(CorpusReader, AudioWithoutTranscriptFileNamesAudioFile) {
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  fs::remove(s / "26/495/26-495.trans.txt");
  const std::string msg = error_of<FormatError>(s);
  EXPECT_NE(msg.find("26-495-0000.flac: no transcript file 26-495.trans.txt"), std::string::npos) << msg;
}

TEST(CorpusReader, EmptyAndUnparseableTranscriptLinesAreErrors) {
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  const fs::path t = s / "26/495/26-495.trans.txt";
  write_text(t, "26-495-0000 HELLO\n\n");
  EXPECT_NE(error_of<FormatError>(s).find("line 2: empty line"), std::string::npos);
  write_text(t, "26-495-0000\n");
  EXPECT_NE(error_of<FormatError>(s).find("line 1: expected '<utt-id> TRANSCRIPT'"), std::string::npos);
  write_text(t, "27-495-0000 HELLO\n");
  EXPECT_NE(error_of<FormatError>(s).find("is not of the form '26-495-<number>'"), std::string::npos);
  write_text(t, "26-495-0000 ...\n");
  EXPECT_NE(error_of<FormatError>(s).find("empty transcript"), std::string::npos);
  write_text(t, "");
  EXPECT_NE(error_of<FormatError>(s).find("26-495.trans.txt: empty transcript file"), std::string::npos);
}

TEST(CorpusReader, NotAudioRenamedFlacIsFormatError) {
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  write_text(s / "26/495/26-495-0000.flac", "this is text, not audio\n");
  const std::string msg = error_of<FormatError>(s);
  EXPECT_NE(msg.find("26-495-0000.flac: not a readable FLAC or WAV file"), std::string::npos) << msg;
  write_text(s / "26/495/26-495-0000.flac", "");
  EXPECT_NE(error_of<FormatError>(s).find("26-495-0000.flac: empty file"), std::string::npos);
}

TEST(CorpusReader, MissingDirectoryIsIoError) {
  TempDir tmp;
  EXPECT_NE(error_of<IoError>(tmp / "nope").find("nope: no such directory"), std::string::npos);
}

TEST(CorpusReader, RegularFileInPlaceOfDirectoryIsIoError) {
  TempDir tmp;
  write_text(tmp / "file", "x");
  EXPECT_NE(error_of<IoError>(tmp / "file").find("file: not a directory"), std::string::npos);
}

TEST(CorpusReader, DanglingSymlinkIsIoError) {
  TempDir tmp;
  fs::create_directory_symlink(tmp / "gone", tmp / "link");
  EXPECT_NE(error_of<IoError>(tmp / "link").find("link: dangling symbolic link"), std::string::npos);
}

TEST(CorpusReader, UnreadableDirectoryIsIoError) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: chmod 000 does not stop root from reading";
  TempDir tmp;
  const fs::path s = make_subset(tmp);
  fs::permissions(s / "19", fs::perms::none);
  const std::string msg = error_of<IoError>(s);
  fs::permissions(s / "19", fs::perms::owner_all);
  EXPECT_NE(msg.find("cannot list directory"), std::string::npos) << msg;
}

TEST(CorpusReader, SubsetWithoutUtterancesIsFormatError) {
  TempDir tmp;
  fs::create_directories(tmp / "empty");
  EXPECT_NE(error_of<FormatError>(tmp / "empty").find("empty: no speaker directories"), std::string::npos);
  fs::create_directories(tmp / "hollow/19/198");
  EXPECT_NE(error_of<FormatError>(tmp / "hollow").find("no utterances"), std::string::npos);
}
