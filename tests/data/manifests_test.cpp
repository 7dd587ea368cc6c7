// Users' own data (core/data/manifests.h): a Kaldi data directory and TSV manifests made here,
// with real audio files (WAV, FLAC, OGG, MP3 through libsndfile), good lines and each bad one.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <fstream>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/data/corpus.h"
#include "core/data/manifests.h"
#include "tests/test_support.h"

using namespace omnisparse;
namespace fs = std::filesystem;
using omnisparse::test::TempDir;

namespace {

std::vector<float> manifest_tone(double seconds, double hz = 440) {
  std::vector<float> x(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * static_cast<float>(std::sin(2 * M_PI * hz * i / 16000));
  return x;
}

using omnisparse::test::write_text;

// OGG Vorbis or MP3 through libsndfile (write_audio writes FLAC and WAV only).
void write_compressed(const fs::path& p, const std::vector<float>& x, int format) {
  fs::create_directories(p.parent_path());
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = format;
  SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
  sf_close(f);
}

template <class E = FormatError>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

// data/train: three recordings (one by an absolute path), utt2spk, no segments.
fs::path make_kaldi(const TempDir& tmp) {
  const fs::path d = tmp / "data" / "train";
  write_audio(tmp / "audio" / "a.wav", manifest_tone(1.0), 16000);
  write_audio(tmp / "audio" / "b.flac", manifest_tone(1.5), 16000);
  write_audio(tmp / "abs" / "c.wav", manifest_tone(0.25, 300), 8000);  // 4000 samples: 0.5 s at 8 kHz
  write_text(d / "wav.scp", "utt-a ../../audio/a.wav\nutt-b ../../audio/b.flac\nutt-c " +
                                (tmp / "abs" / "c.wav").string() + "\n");
  write_text(d / "text", "utt-b SET A TIMER\nutt-a turn on the lights\r\nutt-c what's up\n");
  write_text(d / "utt2spk", "utt-a spk1\nutt-b spk1\nutt-c spk2\n");
  return d;
}

}  // namespace

TEST(KaldiDir, ReadsRelativeAndAbsolutePathsSpeakersAndDurations) {
  TempDir tmp;
  const fs::path d = make_kaldi(tmp);
  ASSERT_TRUE(is_kaldi_dir(d));
  const auto u = read_subset(d);  // the corpus entry point dispatches on the format
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0].id, "utt-a");
  EXPECT_EQ(u[0].text, "turn on the lights");
  EXPECT_EQ(u[0].speaker, "spk1");
  EXPECT_NEAR(u[0].duration_s, 1.0, 1e-6);
  EXPECT_EQ(u[1].text, "set a timer");
  EXPECT_EQ(u[2].speaker, "spk2");
  EXPECT_EQ(u[2].text, "what's up");
  EXPECT_EQ(read_utterance_16k(u[2]).size(), 8000u);  // 8 kHz file, resampled
  // The data root resolves to its train subset, and inspect's lister finds it.
  EXPECT_EQ(resolve_subset(tmp / "data", "train"), d);
  EXPECT_EQ(list_subsets(tmp / "data").at(0).first, "train");
}

TEST(KaldiDir, SegmentsCutTheRecording) {
  TempDir tmp;
  const fs::path d = tmp / "seg";
  std::vector<float> rec = manifest_tone(1.0, 200);
  const auto second = manifest_tone(1.0, 800);
  rec.insert(rec.end(), second.begin(), second.end());
  write_audio(d / "rec.flac", rec, 16000);
  write_text(d / "wav.scp", "r1 rec.flac\n");
  write_text(d / "segments", "u1 r1 0.0 1.0\nu2 r1 1.0 -1\n");
  write_text(d / "text", "u1 one\nu2 two\n");
  const auto u = read_kaldi_dir(d);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_NEAR(u[0].duration_s, 1.0, 1e-6);
  EXPECT_NEAR(u[1].duration_s, 1.0, 1e-3);
  const auto a = read_utterance_16k(u[0]), b = read_utterance_16k(u[1]);
  EXPECT_EQ(a.size(), 16000u);
  EXPECT_EQ(b.size(), 16000u);
  EXPECT_NEAR(b[101], second[101], 1e-3);  // the second half of the recording
  EXPECT_GT(std::fabs(second[101]), 0.05f);

  write_text(d / "segments", "u1 r1 0.0 1.0\nu2 r1 1.5 9.0\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("1 of 2 utterances have missing or unreadable audio"),
            std::string::npos);
  write_text(d / "segments", "u1 r1 0.0 1.0\nu2 r9 0 1\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("segments: line 2: recording 'r9' is not in wav.scp"),
            std::string::npos);
  write_text(d / "segments", "u1 r1 0.0 1.0\nu2 r1 1.0 0.5\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("segments: line 2: times"), std::string::npos);
}

TEST(KaldiDir, EveryBadLineNamesTheFileAndLine) {
  TempDir tmp;
  const fs::path d = make_kaldi(tmp);
  // Missing audio: all are counted before anything trains.
  write_text(d / "wav.scp", "utt-a ../../audio/a.wav\nutt-b ../../audio/gone.flac\nutt-c nowhere.wav\n");
  const std::string missing = error_of([&] { read_kaldi_dir(d); });
  EXPECT_NE(missing.find("wav.scp: 2 of 3 utterances have missing or unreadable audio"), std::string::npos) << missing;
  EXPECT_NE(missing.find("gone.flac: no such file"), std::string::npos) << missing;

  make_kaldi(tmp);
  write_text(d / "text", "utt-b SET A TIMER\nutt-a\nutt-c what's up\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("text: line 2: empty transcript for 'utt-a'"), std::string::npos);
  write_text(d / "text", "utt-b SET A TIMER\nutt-a hi\nutt-c what's up\nutt-d who\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("text: line 4: utterance 'utt-d' is not in wav.scp"),
            std::string::npos);
  write_text(d / "text", "utt-b SET A TIMER\nutt-a caf\xe9 time\nutt-c what's up\n");  // Latin-1
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("text: line 2: not UTF-8 text"), std::string::npos);

  make_kaldi(tmp);
  write_text(d / "utt2spk", "utt-a spk1\nutt-c spk2\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("text: line 1: utterance 'utt-b' has no speaker in utt2spk"),
            std::string::npos);
  write_text(d / "utt2spk", "utt-a spk1\nutt-b spk1\nutt-c spk2\nutt-x spk3\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("utt2spk: line 4: utterance 'utt-x' is not in text"),
            std::string::npos);

  make_kaldi(tmp);
  write_text(d / "wav.scp", "utt-a sox in.wav -t wav - |\nutt-b b.flac\nutt-c c.wav\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("wav.scp: line 1: a piped command"), std::string::npos);
  write_text(d / "wav.scp", "utt-a\n");
  EXPECT_NE(error_of([&] { read_kaldi_dir(d); }).find("wav.scp: line 1: expected '<recording-id> <path>'"),
            std::string::npos);
}

TEST(TsvManifest, PlainAndCommonVoiceShapesInEveryFormat) {
  TempDir tmp;
  write_audio(tmp / "m" / "one.wav", manifest_tone(0.6), 16000);
  write_compressed(tmp / "m" / "sub" / "two.ogg", manifest_tone(0.8), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  write_compressed(tmp / "m" / "three.mp3", manifest_tone(1.2), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  write_text(tmp / "m" / "train.tsv", "one.wav\tTurn it up.\tann\nsub/two.ogg\tturn it down\n" +
                                          (tmp / "m" / "three.mp3").string() + "\tstop\tbob\n");
  const auto u = read_subset(tmp / "m" / "train.tsv");
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0].id, "one");
  EXPECT_EQ(u[0].text, "turn it up");
  EXPECT_EQ(u[0].speaker, "ann");
  EXPECT_EQ(u[1].id, "three");
  EXPECT_NEAR(u[1].duration_s, 1.2, 0.06);  // MP3 frames pad a little
  EXPECT_EQ(u[2].speaker, "unknown");
  EXPECT_NEAR(read_utterance_16k(u[2]).size() / 16000.0, 0.8, 0.01);
  // The root holds train.tsv: it is the train subset.
  EXPECT_EQ(resolve_subset(tmp / "m", "train"), tmp / "m" / "train.tsv");

  // Common Voice: a header, clips/ beside the manifest, client_id as the speaker.
  const fs::path cv = tmp / "cv";
  write_compressed(cv / "clips" / "common_voice_en_1.mp3", manifest_tone(0.9), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  write_compressed(cv / "clips" / "common_voice_en_2.mp3", manifest_tone(0.7), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  write_text(cv / "validated.tsv",
             "client_id\tpath\tsentence\tup_votes\tdown_votes\n"
             "abc\tcommon_voice_en_1.mp3\tHello there!\t2\t0\n"
             "def\tcommon_voice_en_2.mp3\tGood-bye.\t3\t0\n");
  const auto c = read_tsv_manifest(cv / "validated.tsv");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].text, "hello there");
  EXPECT_EQ(c[1].text, "good bye");
  EXPECT_EQ(c[1].speaker, "def");
  EXPECT_EQ(list_subsets(cv).at(0).first, "validated");
}

TEST(TsvManifest, EveryBadLineNamesTheFileAndLine) {
  TempDir tmp;
  write_audio(tmp / "one.wav", manifest_tone(0.6), 16000);
  const fs::path m = tmp / "x.tsv";
  write_text(m, "one.wav\tok\nno-tab-here\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("x.tsv: line 2: expected 'path<TAB>text[<TAB>speaker]'"),
            std::string::npos);
  write_text(m, "one.wav\t\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("x.tsv: line 1: empty transcript for 'one'"), std::string::npos);
  write_text(m, "one.wav\tok\none.wav\tagain\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("utterance 'one' appears twice"), std::string::npos);
  write_text(m, "one.wav\tok\nmissing.wav\tgone\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("x.tsv: 1 of 2 utterances have missing or unreadable audio"),
            std::string::npos);
  write_text(m, "one.wav\tna\xefve\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("x.tsv: line 1: not UTF-8 text"), std::string::npos);
  write_text(m, "client_id\tpath\tup_votes\nabc\tone.wav\t1\n");
  EXPECT_NE(error_of([&] { read_tsv_manifest(m); }).find("line 1: the header names no 'sentence' or 'text' column"),
            std::string::npos);
}
