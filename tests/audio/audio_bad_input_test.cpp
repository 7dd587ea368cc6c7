// Every kind of bad audio file gives a typed error whose message names the file and the cause.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "tests/audio/audio_test_util.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put16(std::string& s, uint16_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char(v >> 8));
}
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}

// A canonical 44-byte PCM WAV header followed by `data`.
std::string wav_bytes(uint16_t channels, uint32_t rate, const std::string& data) {
  std::string s = "RIFF";
  put32(s, 36 + uint32_t(data.size()));
  s += "WAVEfmt ";
  put32(s, 16);
  put16(s, 1);  // PCM
  put16(s, channels);
  put32(s, rate);
  put32(s, rate * channels * 2);
  put16(s, uint16_t(channels * 2));
  put16(s, 16);
  s += "data";
  put32(s, uint32_t(data.size()));
  return s + data;
}

// Expects `fn` to throw E (or a subclass) naming `path`'s file name and containing `cause`.
template <class E, class Fn>
void expect_error(Fn fn, const fs::path& path, const std::string& cause) {
  try {
    fn();
    ADD_FAILURE() << "no exception for " << path;
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.filename().string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(cause), std::string::npos) << msg;
    EXPECT_EQ(e.path(), path);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << path << ": " << e.what();
  }
}

TEST(AudioBadInput, MissingFileIsIoError) {
  TempDir dir;
  const fs::path p = dir / "nothere.flac";
  expect_error<IoError>([&] { read_audio(p); }, p, "no such file");
}

TEST(AudioBadInput, EmptyFileIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "empty.wav";
  write_bytes(p, "");
  expect_error<FormatError>([&] { read_audio_16k(p); }, p, "empty");
}

TEST(AudioBadInput, TextRenamedFlacIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "notes.flac";
  write_bytes(p, "hello, this is not audio at all\nreally, just text\n");
  expect_error<FormatError>([&] { read_audio(p); }, p, "not a readable FLAC or WAV");
}

TEST(AudioBadInput, TruncatedWavIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "cut.wav";
  write_audio(p, test::tone(300, 0.5, 16000, 16000), 16000);
  const std::string full = read_bytes(p);
  write_bytes(p, full.substr(0, full.size() / 2));
  expect_error<FormatError>([&] { read_audio(p); }, p, "truncated");
}

TEST(AudioBadInput, TruncatedFlacIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "cut.flac";
  // Noise does not compress, so half the file is half the samples.
  std::vector<float> x(32000);
  uint32_t s = 1;
  for (auto& v : x) v = float(int32_t(s = s * 1664525u + 1013904223u)) / 4.3e9f;
  write_audio(p, x, 16000);
  const std::string full = read_bytes(p);
  write_bytes(p, full.substr(0, full.size() / 2));
  expect_error<FormatError>([&] { read_audio(p); }, p, "truncated");
}

TEST(AudioBadInput, HeaderOnlyFlacIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "stub.flac";
  write_audio(p, test::tone(300, 0.5, 16000, 16000), 16000);
  write_bytes(p, read_bytes(p).substr(0, 60));
  expect_error<FormatError>([&] { read_audio(p); }, p, "libsndfile");
}

TEST(AudioBadInput, ZeroChannelsIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "zero_channels.wav";
  write_bytes(p, wav_bytes(0, 16000, std::string(320, '\0')));
  expect_error<FormatError>([&] { read_audio(p); }, p, "zero");
}

TEST(AudioBadInput, NanAndInfSamplesAreFormatError) {
  TempDir dir;
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    const fs::path p = dir / "bad_float.wav";
    std::vector<float> x(1000, 0.1f);
    x[517] = bad;
    test::write_with_sndfile(p, x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    expect_error<FormatError>([&] { read_audio(p); }, p, "non-finite");
  }
}

TEST(AudioBadInput, ZeroLengthAudioIsFormatError) {
  TempDir dir;
  const fs::path p = dir / "silence0.wav";
  write_bytes(p, wav_bytes(1, 16000, ""));
  expect_error<FormatError>([&] { read_audio(p); }, p, "no audio");
  // write_audio refuses to make such a file in the first place.
  EXPECT_THROW(write_audio(dir / "zero.flac", {}, 16000), InvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "zero.flac"));
}

TEST(AudioBadInput, DirectoryIsIoError) {
  TempDir dir;
  expect_error<IoError>([&] { read_audio(dir.path()); }, dir.path(), "not a regular file");
}

TEST(AudioBadInput, UnknownWriteExtensionIsIoErrorAndWritesNothing) {
  TempDir dir;
  const fs::path p = dir / "x.mp3";
  expect_error<IoError>([&] { write_audio(p, {0.1f}, 16000); }, p, "unknown extension");
  EXPECT_FALSE(fs::exists(p));
}

}  // namespace
}  // namespace omnisparse
