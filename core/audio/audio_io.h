// Reading and writing audio files. Everything the recognizer sees is 16 kHz mono float in
// [-1, 1]: read_audio_16k converts any rate (soxr, high quality) and any channel count (the
// channels are averaged). WAV (PCM 8/16/24/32-bit, float) and FLAC go through libsndfile.
//
// Bad input (missing, empty, truncated, not audio, zero channels, NaN/Inf samples) throws
// IoError / FormatError naming the file and the cause; nothing here crashes or exits.
#pragma once

#include <filesystem>
#include <vector>

namespace omnisparse {

inline constexpr int kSampleRate = 16000;

struct Audio {
  std::vector<float> samples;  // mono, interleaving already removed
  int sample_rate = 0;
  int source_channels = 0;     // channels in the file before downmixing
};

// The file as stored, downmixed to mono, at its own rate.
Audio read_audio(const std::filesystem::path& path);

// The file at 16 kHz mono: what features and models consume.
std::vector<float> read_audio_16k(const std::filesystem::path& path);

// Resamples mono float audio (soxr). Identity when the rates match.
std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate);

// Writes mono float audio; the format follows the extension (.flac: FLAC 16-bit, .wav: PCM
// 16-bit). Atomic (temp + rename). Samples are clipped to [-1, 1].
void write_audio(const std::filesystem::path& path, const std::vector<float>& samples,
                 int sample_rate);

}  // namespace omnisparse
