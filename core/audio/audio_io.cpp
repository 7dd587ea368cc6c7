#include "core/audio/audio_io.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "core/common/atomic_file.h"
#include "core/common/error.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

uint32_t le32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// libsndfile silently shortens a WAV whose `data` chunk claims more bytes than the file holds,
// so a truncated download would look like a shorter utterance. Walk the RIFF chunks ourselves.
// Streaming writers put 0 or 0xFFFFFFFF in the size field; those are accepted.
void check_wav_not_truncated(const fs::path& path, uintmax_t file_size) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 12> riff{};
  if (!in.read(reinterpret_cast<char*>(riff.data()), riff.size())) return;
  if (std::memcmp(riff.data(), "RIFF", 4) != 0 || std::memcmp(riff.data() + 8, "WAVE", 4) != 0)
    return;  // RF64, W64, ...: leave to libsndfile
  uint64_t offset = 12;
  std::array<unsigned char, 8> chunk{};
  while (offset + 8 <= file_size) {
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(reinterpret_cast<char*>(chunk.data()), chunk.size())) return;
    const uint32_t size = le32(chunk.data() + 4);
    if (std::memcmp(chunk.data(), "data", 4) == 0) {
      if (size != 0 && size != 0xFFFFFFFFu && offset + 8 + size > file_size) {
        throw FormatError(path, "truncated WAV: the data chunk declares " + std::to_string(size) +
                                    " bytes but the file holds " +
                                    std::to_string(file_size - offset - 8));
      }
      return;
    }
    offset += 8 + uint64_t(size) + (size & 1u);
  }
}

}  // namespace

Audio read_audio(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw IoError(path, "no such file");
  if (!fs::is_regular_file(status)) throw IoError(path, "not a regular file");
  const uintmax_t file_size = fs::file_size(path, ec);
  if (ec) throw IoError(path, "cannot stat: " + ec.message());
  if (file_size == 0) throw FormatError(path, "empty file (0 bytes)");
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw IoError(path, "cannot open for reading: " + std::string(std::strerror(errno)));
  }

  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) {
    throw FormatError(path, std::string("not a readable FLAC or WAV file (libsndfile: ") +
                                sf_strerror(nullptr) + ")");
  }
  if (info.channels <= 0) throw FormatError(path, "the header declares zero channels");
  if (info.samplerate <= 0) throw FormatError(path, "the header declares no sample rate");
  const int major = info.format & SF_FORMAT_TYPEMASK;
  if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX) check_wav_not_truncated(path, file_size);

  // Read in blocks until EOF rather than trusting `frames` for the allocation: a corrupt
  // header must not make us allocate gigabytes.
  const int channels = info.channels;
  constexpr sf_count_t kBlock = 8192;
  std::vector<float> block(static_cast<size_t>(kBlock) * channels);
  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.source_channels = channels;
  sf_count_t total = 0;
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), block.data(), kBlock);
    if (got <= 0) break;
    for (sf_count_t f = 0; f < got; ++f) {
      const float* frame = block.data() + f * channels;
      double sum = 0.0;
      for (int c = 0; c < channels; ++c) {
        if (!std::isfinite(frame[c])) {
          throw FormatError(path, "non-finite sample (NaN or Inf) at frame " +
                                      std::to_string(total + f) + ", channel " + std::to_string(c));
        }
        sum += frame[c];
      }
      audio.samples.push_back(static_cast<float>(sum / channels));
    }
    total += got;
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR) {
    throw FormatError(path, std::string("decoding failed after ") + std::to_string(total) +
                                " frames (libsndfile: " + sf_strerror(file.get()) + ")");
  }
  if (info.frames > 0 && info.frames != SF_COUNT_MAX && total < info.frames) {
    throw FormatError(path, "truncated: the header declares " + std::to_string(info.frames) +
                                " frames but only " + std::to_string(total) + " could be decoded");
  }
  if (audio.samples.empty()) throw FormatError(path, "contains no audio (zero samples)");
  return audio;
}

std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) {
    throw InvalidArgument("resample: sample rates must be positive (got " +
                          std::to_string(from_rate) + " -> " + std::to_string(to_rate) + ")");
  }
  if (from_rate == to_rate || samples.empty()) return samples;
  const double ratio = static_cast<double>(to_rate) / from_rate;
  const size_t out_len = static_cast<size_t>(std::llround(samples.size() * ratio));
  std::vector<float> out(out_len);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  size_t done = 0;
  soxr_error_t err = soxr_oneshot(from_rate, to_rate, 1, samples.data(), samples.size(), nullptr,
                                  out.data(), out.size(), &done, &io, &quality, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
  out.resize(done);
  return out;
}

std::vector<float> read_audio_16k(const fs::path& path) {
  Audio audio = read_audio(path);
  return resample(audio.samples, audio.sample_rate, kSampleRate);
}

void write_audio(const fs::path& path, const std::vector<float>& samples, int sample_rate) {
  const std::string ext = lower_extension(path);
  int format = 0;
  if (ext == ".flac") {
    format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  } else if (ext == ".wav") {
    format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  } else {
    throw IoError(path, "cannot write audio: unknown extension '" + ext + "' (use .flac or .wav)");
  }
  if (sample_rate <= 0) {
    throw InvalidArgument("write_audio: sample rate must be positive for " + path.string());
  }
  if (samples.empty()) {
    throw InvalidArgument("write_audio: no samples to write to " + path.string() +
                          " (an empty audio file cannot be read back)");
  }
  std::vector<float> clipped(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i])) {
      throw InvalidArgument("write_audio: non-finite sample at index " + std::to_string(i) +
                            " for " + path.string());
    }
    clipped[i] = std::clamp(samples[i], -1.0f, 1.0f);
  }
  // The temporary has a name like `.x.flac.tmp.N`, so the format is given, not inferred.
  write_path_atomic(path, [&](const fs::path& tmp) {
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = 1;
    info.format = format;
    SndfilePtr file(sf_open(tmp.c_str(), SFM_WRITE, &info));
    if (!file) {
      throw IoError(path, std::string("cannot open for writing (libsndfile: ") +
                              sf_strerror(nullptr) + ")");
    }
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t n = static_cast<sf_count_t>(clipped.size());
    if (sf_writef_float(file.get(), clipped.data(), n) != n) {
      throw IoError(path, std::string("write failed (libsndfile: ") + sf_strerror(file.get()) +
                              ")");
    }
    if (sf_close(file.release()) != 0) throw IoError(path, "closing the file failed");
  });
}

}  // namespace omnisparse
