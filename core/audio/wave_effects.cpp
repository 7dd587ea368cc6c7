#include "core/audio/wave_effects.h"

#include <ATen/ATen.h>

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>

#include "core/audio/audio_io.h"
#include "core/audio/rng_util.h"
#include "core/common/error.h"

namespace omnisparse {

std::vector<float> speed_perturb(const std::vector<float>& x, double factor, int sample_rate) {
  if (!(factor > 0)) throw InvalidArgument("speed_perturb: factor must be positive");
  if (factor == 1.0) return x;
  // Declaring the audio to be at rate*factor and converting back to `rate` plays it faster.
  const int from = static_cast<int>(std::llround(sample_rate * factor));
  return resample(x, from, sample_rate);
}

NoiseColour noise_colour_from_string(const std::string& name) {
  if (name == "white") return NoiseColour::kWhite;
  if (name == "pink") return NoiseColour::kPink;
  if (name == "brown") return NoiseColour::kBrown;
  throw InvalidArgument("unknown noise colour '" + name + "' (white, pink, brown)");
}

std::string to_string(NoiseColour c) {
  switch (c) {
    case NoiseColour::kWhite: return "white";
    case NoiseColour::kPink: return "pink";
    case NoiseColour::kBrown: return "brown";
  }
  return "?";
}

double mean_square(const std::vector<float>& x) {
  if (x.empty()) return 0.0;
  double s = 0;
  for (float v : x) s += double(v) * v;
  return s / double(x.size());
}

std::vector<float> coloured_noise(size_t n, NoiseColour colour, std::mt19937_64& rng) {
  std::vector<double> y(n);
  double b0 = 0, b1 = 0, b2 = 0, brown = 0;
  for (size_t i = 0; i < n; ++i) {
    const double w = gaussian(rng);
    switch (colour) {
      case NoiseColour::kWhite:
        y[i] = w;
        break;
      case NoiseColour::kPink:  // Paul Kellet's economy 1/f filter (within 0.5 dB above 10 Hz)
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        y[i] = b0 + b1 + b2 + w * 0.1848;
        break;
      case NoiseColour::kBrown:  // leaky integrator: 1/f^2 above ~13 Hz, no drift
        brown = 0.995 * brown + w;
        y[i] = brown;
        break;
    }
  }
  double mean = 0;
  for (double v : y) mean += v;
  mean = n ? mean / double(n) : 0.0;
  double ms = 0;
  for (double& v : y) {
    v -= mean;
    ms += v * v;
  }
  const double scale = ms > 0 ? 1.0 / std::sqrt(ms / double(n)) : 0.0;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(y[i] * scale);
  return out;
}

void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& noise, double snr_db) {
  if (noise.size() < x.size()) throw InvalidArgument("add_noise_at_snr: noise shorter than signal");
  const double px = mean_square(x);
  const std::vector<float> head(noise.begin(), noise.begin() + static_cast<std::ptrdiff_t>(x.size()));
  const double pn = mean_square(head);
  if (px <= 0 || pn <= 0) return;
  const double g = std::sqrt(px / (pn * std::pow(10.0, snr_db / 10.0)));
  for (size_t i = 0; i < x.size(); ++i) x[i] += static_cast<float>(g * head[i]);
}

std::vector<float> room_impulse_response(double rt60_s, double drr_db, int sample_rate,
                                         std::mt19937_64& rng) {
  if (!(rt60_s > 0)) throw InvalidArgument("room_impulse_response: rt60 must be positive");
  const size_t n = std::max<size_t>(2, static_cast<size_t>(rt60_s * sample_rate));
  const size_t gap = static_cast<size_t>(uniform(rng, 0.001, 0.005) * sample_rate);
  std::vector<float> h(n, 0.0f);
  h[0] = 1.0f;
  // Amplitude falls by 10^-3 (60 dB) at t = rt60: exp(-ln(1000) t / rt60).
  const double decay = std::log(1000.0) / (rt60_s * sample_rate);
  double tail_energy = 0;
  std::vector<double> tail(n, 0.0);
  for (size_t i = std::min(gap, n - 1) + 1; i < n; ++i) {
    tail[i] = gaussian(rng) * std::exp(-decay * double(i));
    tail_energy += tail[i] * tail[i];
  }
  const double g = tail_energy > 0 ? std::sqrt(std::pow(10.0, -drr_db / 10.0) / tail_energy) : 0;
  for (size_t i = 1; i < n; ++i) h[i] = static_cast<float>(g * tail[i]);
  return h;
}

std::vector<float> fft_convolve(const std::vector<float>& x, const std::vector<float>& h) {
  if (x.empty() || h.empty()) return x;
  const int64_t full = int64_t(x.size() + h.size() - 1);
  int64_t nfft = 1;
  while (nfft < full) nfft *= 2;
  at::Tensor xt = at::from_blob(const_cast<float*>(x.data()), {int64_t(x.size())}, at::kFloat);
  at::Tensor ht = at::from_blob(const_cast<float*>(h.data()), {int64_t(h.size())}, at::kFloat);
  at::Tensor y = at::fft_irfft(at::fft_rfft(xt, nfft) * at::fft_rfft(ht, nfft), nfft);  // [nfft]
  y = y.narrow(0, 0, int64_t(x.size())).contiguous();
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + x.size());
}

namespace {

struct Biquad {
  double b0, b1, b2, a1, a2;  // normalised by a0
};

// Robert Bristow-Johnson's Audio EQ Cookbook, Q = 1/sqrt(2).
Biquad rbj(bool low, double cutoff_hz, int sample_rate) {
  if (!(cutoff_hz > 0 && cutoff_hz < 0.5 * sample_rate))
    throw InvalidArgument("filter cutoff " + std::to_string(cutoff_hz) + " Hz must be in (0, " +
                          std::to_string(sample_rate / 2) + ")");
  const double w0 = 2 * std::numbers::pi * cutoff_hz / sample_rate;
  const double alpha = std::sin(w0) / std::numbers::sqrt2;  // sin(w0) / (2 Q)
  const double c = std::cos(w0), a0 = 1 + alpha;
  Biquad q;
  if (low) {
    q.b0 = q.b2 = (1 - c) / 2 / a0;
    q.b1 = (1 - c) / a0;
  } else {
    q.b0 = q.b2 = (1 + c) / 2 / a0;
    q.b1 = -(1 + c) / a0;
  }
  q.a1 = -2 * c / a0;
  q.a2 = (1 - alpha) / a0;
  return q;
}

void run(const Biquad& q, std::vector<float>& x) {  // direct form I, double state
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (float& v : x) {
    const double y = q.b0 * v + q.b1 * x1 + q.b2 * x2 - q.a1 * y1 - q.a2 * y2;
    x2 = x1;
    x1 = v;
    y2 = y1;
    y1 = y;
    v = static_cast<float>(y);
  }
}

}  // namespace

void lowpass(std::vector<float>& x, double cutoff_hz, int sample_rate) {
  const Biquad q = rbj(true, cutoff_hz, sample_rate);
  run(q, x);
  run(q, x);
}

void highpass(std::vector<float>& x, double cutoff_hz, int sample_rate) {
  const Biquad q = rbj(false, cutoff_hz, sample_rate);
  run(q, x);
  run(q, x);
}

}  // namespace omnisparse

namespace omnisparse {

TelephoneCodec telephone_codec_from_string(const std::string& name) {
  if (name == "ulaw") return TelephoneCodec::kMuLaw;
  if (name == "alaw") return TelephoneCodec::kALaw;
  if (name == "gsm") return TelephoneCodec::kGsm;
  throw InvalidArgument("unknown telephone codec '" + name + "' (ulaw, alaw, gsm)");
}

std::string to_string(TelephoneCodec c) {
  switch (c) {
    case TelephoneCodec::kMuLaw: return "ulaw";
    case TelephoneCodec::kALaw: return "alaw";
    case TelephoneCodec::kGsm: return "gsm";
  }
  return "?";
}

namespace {

// A growable in-memory file for libsndfile's virtual I/O.
struct MemoryFile {
  std::vector<char> bytes;
  sf_count_t pos = 0;

  static sf_count_t size(void* self) { return sf_count_t(static_cast<MemoryFile*>(self)->bytes.size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* self) {
    auto* m = static_cast<MemoryFile*>(self);
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : sf_count_t(m->bytes.size());
    m->pos = std::max<sf_count_t>(0, base + offset);
    return m->pos;
  }
  static sf_count_t read(void* dst, sf_count_t n, void* self) {
    auto* m = static_cast<MemoryFile*>(self);
    const sf_count_t avail = std::max<sf_count_t>(0, sf_count_t(m->bytes.size()) - m->pos);
    const sf_count_t k = std::min(n, avail);
    if (k > 0) std::memcpy(dst, m->bytes.data() + m->pos, size_t(k));
    m->pos += k;
    return k;
  }
  static sf_count_t write(const void* src, sf_count_t n, void* self) {
    auto* m = static_cast<MemoryFile*>(self);
    if (m->pos + n > sf_count_t(m->bytes.size())) m->bytes.resize(size_t(m->pos + n));
    std::memcpy(m->bytes.data() + m->pos, src, size_t(n));
    m->pos += n;
    return n;
  }
  static sf_count_t tell(void* self) { return static_cast<MemoryFile*>(self)->pos; }
};

struct VirtualSndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

}  // namespace

std::vector<float> codec_roundtrip(const std::vector<float>& x_8k, TelephoneCodec codec) {
  if (x_8k.empty()) return {};
  int subtype = SF_FORMAT_ULAW;
  if (codec == TelephoneCodec::kALaw) subtype = SF_FORMAT_ALAW;
  if (codec == TelephoneCodec::kGsm) subtype = SF_FORMAT_GSM610;
  SF_VIRTUAL_IO io{&MemoryFile::size, &MemoryFile::seek, &MemoryFile::read, &MemoryFile::write,
                   &MemoryFile::tell};
  MemoryFile mem;
  const std::string what = "telephone codec " + to_string(codec);
  {
    SF_INFO info{};
    info.samplerate = 8000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | subtype;
    std::unique_ptr<SNDFILE, VirtualSndfileCloser> f(sf_open_virtual(&io, SFM_WRITE, &info, &mem));
    if (!f) throw Error(what + ": libsndfile cannot encode (" + sf_strerror(nullptr) + ")");
    sf_command(f.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t n = sf_count_t(x_8k.size());
    if (sf_writef_float(f.get(), x_8k.data(), n) != n)
      throw Error(what + ": encoding failed (" + sf_strerror(f.get()) + ")");
  }
  mem.pos = 0;
  SF_INFO info{};
  std::unique_ptr<SNDFILE, VirtualSndfileCloser> f(sf_open_virtual(&io, SFM_READ, &info, &mem));
  if (!f) throw Error(what + ": libsndfile cannot decode its own output (" + sf_strerror(nullptr) + ")");
  std::vector<float> y(x_8k.size(), 0.0f);
  // GSM frames are 160 samples: the decoded stream may end up to a frame longer (padding).
  const sf_count_t got = sf_readf_float(f.get(), y.data(), sf_count_t(y.size()));
  if (got < 0) throw Error(what + ": decoding failed (" + sf_strerror(f.get()) + ")");
  return y;
}

std::vector<float> telephone_channel(const std::vector<float>& x, TelephoneCodec codec,
                                     int sample_rate) {
  if (x.empty()) return x;
  std::vector<float> y = x;
  highpass(y, 300.0, sample_rate);
  y = resample(y, sample_rate, 8000);
  lowpass(y, 3400.0, 8000);
  y = resample(codec_roundtrip(y, codec), 8000, sample_rate);
  y.resize(x.size(), 0.0f);
  return y;
}

}  // namespace omnisparse
