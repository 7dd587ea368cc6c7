// Reading every WAV sample format and FLAC, downmixing and resampling to 16 kHz mono.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "tests/audio/audio_test_util.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

using test::TempDir;

struct FormatCase {
  const char* name;
  int format;
  double quantum;  // one step of the format, for tolerances
};

const FormatCase kFormats[] = {
    {"pcm_u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1.0 / 128},
    {"pcm_16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1.0 / 32768},
    {"pcm_24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1.0 / 8388608},
    {"pcm_32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 1.0 / 2147483648.0},
    {"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1e-7},
    {"pcm_16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1.0 / 32768},
    {"pcm_24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1.0 / 8388608},
};

// 44.1 kHz stereo, left a 1 kHz tone at 0.8, right silent: mono is a 1 kHz tone at 0.4.
TEST(AudioRead, EveryFormatAt44kStereoBecomes16kMonoToneAtSameFrequency) {
  TempDir dir;
  const int rate = 44100;
  const size_t frames = rate;  // 1 s
  const auto left = test::tone(1000, 0.8, rate, frames);
  std::vector<float> inter(frames * 2, 0.0f);
  for (size_t i = 0; i < frames; ++i) inter[2 * i] = left[i];
  for (const auto& c : kFormats) {
    SCOPED_TRACE(c.name);
    test::write_with_sndfile(dir / c.name, inter, 2, rate, c.format);
    const Audio raw = read_audio(dir / c.name);
    EXPECT_EQ(raw.sample_rate, rate);
    EXPECT_EQ(raw.source_channels, 2);
    ASSERT_EQ(raw.samples.size(), frames);

    const auto mono = read_audio_16k(dir / c.name);
    EXPECT_NEAR(double(mono.size()), 16000.0, 1.0);
    EXPECT_NEAR(test::zero_crossing_frequency(mono, kSampleRate), 1000.0, 1.0);
    EXPECT_NEAR(test::amplitude_at(mono, 1000, kSampleRate), 0.4, 0.01);
    // Nothing leaks to other frequencies (e.g. an aliased or wrongly scaled rate).
    EXPECT_LT(test::amplitude_at(mono, 1000.0 * 16000 / 44100, kSampleRate), 0.01);
    EXPECT_LT(test::amplitude_at(mono, 2000, kSampleRate), 0.01);
  }
}

// Different content per channel: the mono sample is exactly the channel mean.
TEST(AudioRead, ChannelsAreAveraged) {
  TempDir dir;
  const int rate = 16000;
  const size_t frames = 4000;
  const auto a = test::tone(300, 0.5, rate, frames);
  const auto b = test::tone(2100, 0.3, rate, frames);
  const auto c = test::tone(5000, 0.1, rate, frames);
  std::vector<float> inter(frames * 3);
  for (size_t i = 0; i < frames; ++i) {
    inter[3 * i] = a[i];
    inter[3 * i + 1] = b[i];
    inter[3 * i + 2] = c[i];
  }
  test::write_with_sndfile(dir / "three.wav", inter, 3, rate, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Audio audio = read_audio(dir / "three.wav");
  EXPECT_EQ(audio.source_channels, 3);
  ASSERT_EQ(audio.samples.size(), frames);
  for (size_t i = 0; i < frames; ++i)
    ASSERT_NEAR(audio.samples[i], (a[i] + b[i] + c[i]) / 3.0, 1e-6) << "frame " << i;
  // 16 kHz input is returned unchanged by read_audio_16k.
  EXPECT_EQ(read_audio_16k(dir / "three.wav"), audio.samples);
}

TEST(AudioRead, FlacAndWavRoundTripWithin16BitQuantisation) {
  TempDir dir;
  const auto x = test::tone(440, 0.9, kSampleRate, 12345);
  for (const char* name : {"a.flac", "b.wav", "C.FLAC"}) {
    SCOPED_TRACE(name);
    write_audio(dir / name, x, kSampleRate);
    const Audio back = read_audio(dir / name);
    EXPECT_EQ(back.sample_rate, kSampleRate);
    EXPECT_EQ(back.source_channels, 1);
    ASSERT_EQ(back.samples.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(back.samples[i], x[i], 1.0 / 32767);
  }
  // FLAC is really FLAC (the magic), not a WAV with the wrong name.
  const std::string bytes = [&] {
    std::ifstream in(dir / "a.flac", std::ios::binary);
    std::string s(4, '\0');
    in.read(s.data(), 4);
    return s;
  }();
  EXPECT_EQ(bytes, "fLaC");
}

TEST(AudioRead, WriteClipsOutOfRangeSamplesAndLeavesNoTemporary) {
  TempDir dir;
  write_audio(dir / "sub/clip.wav", {2.0f, -3.0f, 0.5f}, 8000);
  const Audio back = read_audio(dir / "sub/clip.wav");
  ASSERT_EQ(back.samples.size(), 3u);
  EXPECT_NEAR(back.samples[0], 1.0, 1e-4);
  EXPECT_NEAR(back.samples[1], -1.0, 1e-4);
  EXPECT_NEAR(back.samples[2], 0.5, 1e-4);
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "sub")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(AudioRead, ResampleChangesLengthByRateRatioAndKeepsTone) {
  const auto x = test::tone(500, 0.5, 8000, 8000);
  const auto y = resample(x, 8000, 16000);
  EXPECT_EQ(y.size(), 16000u);
  EXPECT_NEAR(test::zero_crossing_frequency(y, 16000), 500.0, 0.5);
  EXPECT_EQ(resample(x, 8000, 8000), x);
  EXPECT_THROW(resample(x, 0, 16000), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
