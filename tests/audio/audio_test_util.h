// Small signal helpers shared by the audio tests: tones, a single-frequency DFT probe, and a
// libsndfile writer for formats that write_audio does not produce (24-bit, float, stereo).
#pragma once

#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace omnisparse::test {

inline std::vector<float> tone(double freq, double amplitude, int rate, size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq * i / rate));
  return x;
}

// Amplitude of the component at `freq` (a direct DFT, Hann-free, over whole signal).
inline double amplitude_at(const std::vector<float>& x, double freq, int rate) {
  double re = 0, im = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double ph = 2 * std::numbers::pi * freq * i / rate;
    re += x[i] * std::cos(ph);
    im -= x[i] * std::sin(ph);
  }
  return 2 * std::sqrt(re * re + im * im) / x.size();
}

// Frequency from the mean spacing of rising zero crossings (linear interpolation).
inline double zero_crossing_frequency(const std::vector<float>& x, int rate) {
  std::vector<double> crossings;
  for (size_t i = 1; i < x.size(); ++i)
    if (x[i - 1] < 0 && x[i] >= 0) crossings.push_back(i - 1 + x[i - 1] / (x[i - 1] - x[i]));
  if (crossings.size() < 2) return 0;
  return rate * (crossings.size() - 1) / (crossings.back() - crossings.front());
}

inline double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return x.empty() ? 0 : std::sqrt(s / x.size());
}

// Writes interleaved frames with libsndfile in any format (used to make test inputs).
inline void write_with_sndfile(const std::filesystem::path& path, const std::vector<float>& inter,
                               int channels, int rate, int format) {
  SF_INFO info{};
  info.channels = channels;
  info.samplerate = rate;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error(std::string("sf_open: ") + sf_strerror(nullptr));
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  sf_writef_float(f, inter.data(), static_cast<sf_count_t>(inter.size() / channels));
  sf_close(f);
}

}  // namespace omnisparse::test
