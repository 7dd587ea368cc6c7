#include "core/audio/fbank.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numbers>
#include <optional>
#include <random>

#include "core/common/config_json.h"
#include "core/common/error.h"

namespace omnisparse {

namespace {

double mel_scale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
double inverse_mel_scale(double mel) { return 700.0 * (std::exp(mel / 1127.0) - 1.0); }

// Kaldi's VTLN warp (MelBanks::VtlnWarpFreq): frequencies between the cut-offs scale by
// 1 / warp; below and above them two linear pieces keep low_freq and high_freq fixed. The
// cut-offs: 100 Hz, and 500 Hz below the top of the filterbank (Kaldi's default counts the 500 Hz
// from Nyquist: the same with filters up to Nyquist; with a 7.6 kHz top it would squeeze the
// upper filters into 100 Hz, leaving some empty at strong warps).
double vtln_warp_hz(double hz, double warp, double low_freq, double high_freq) {
  if (hz < low_freq || hz > high_freq) return hz;
  const double l = 100.0 * std::max(1.0, warp);
  const double h = (high_freq - 500.0) * std::min(1.0, warp);
  const double scale = 1.0 / warp, fl = scale * l, fh = scale * h;
  if (hz < l) return low_freq + (fl - low_freq) / (l - low_freq) * (hz - low_freq);
  if (hz < h) return scale * hz;
  return high_freq + (high_freq - fh) / (high_freq - h) * (hz - high_freq);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Everything that depends only on the config, built once per thread and config.
struct Tables {
  at::Tensor window;  // [L] povey
  // The mel filters, sparse: filter m weighs FFT bins [mel_first[m], + mel_len[m]) with
  // mel_weights[mel_offset[m] ...].
  std::vector<int> mel_first, mel_len, mel_offset;
  std::vector<float> mel_weights;
};

Tables build_tables(const FbankConfig& cfg) {
  const int L = cfg.frame_length();
  const int P = cfg.padded_length();
  const int K = P / 2 + 1;
  Tables t;
  t.window = at::empty({L}, at::kFloat);
  auto w = t.window.accessor<float, 1>();
  const double a = 2 * std::numbers::pi / (L - 1);
  for (int i = 0; i < L; ++i) w[i] = static_cast<float>(std::pow(0.5 - 0.5 * std::cos(a * i), 0.85));
  const at::Tensor mel = mel_filterbank(cfg);  // [K, M]
  auto mw = mel.accessor<float, 2>();
  for (int m = 0; m < cfg.num_mel_bins; ++m) {
    int first = -1, last = -1;
    for (int k = 0; k < K; ++k)
      if (mw[k][m] > 0) {
        if (first < 0) first = k;
        last = k;
      }
    t.mel_first.push_back(std::max(first, 0));
    t.mel_len.push_back(first < 0 ? 0 : last - first + 1);
    t.mel_offset.push_back(static_cast<int>(t.mel_weights.size()));
    for (int k = first; first >= 0 && k <= last; ++k) t.mel_weights.push_back(mw[k][m]);
  }
  return t;
}

// [L, 2K]: cos | -sin columns of the DFT of length P, for SpectrumMethod::kMatmul only. Kept
// apart from Tables, which training rebuilds for every VTLP warp it draws.
const at::Tensor& dft_basis(int L, int P) {
  thread_local std::optional<std::pair<std::pair<int, int>, at::Tensor>> cache;
  if (!cache || cache->first != std::make_pair(L, P)) {
    const int K = P / 2 + 1;
    at::Tensor basis = at::empty({L, 2 * K}, at::kFloat);
    auto b = basis.accessor<float, 2>();
    for (int n = 0; n < L; ++n) {
      for (int k = 0; k < K; ++k) {
        // (n * k) mod P keeps the angle exact for large n * k.
        const double ang = 2 * std::numbers::pi * static_cast<double>((int64_t(n) * k) % P) / P;
        b[n][k] = static_cast<float>(std::cos(ang));
        b[n][K + k] = static_cast<float>(-std::sin(ang));
      }
    }
    cache.emplace(std::make_pair(L, P), basis);
  }
  return cache->second;
}

const Tables& tables_for(const FbankConfig& cfg) {
  thread_local std::optional<std::pair<FbankConfig, Tables>> cache;
  if (!cache || !(cache->first == cfg)) {
    cfg.Validate();  // here rather than per call: Validate builds the mel filters too
    cache.emplace(cfg, build_tables(cfg));
  }
  return cache->second;
}

// Noise for frame `frame` depends only on (seed, frame): offline and online agree.
void add_dither(float* row, int64_t n, const FbankConfig& cfg, int64_t frame) {
  std::mt19937_64 rng(splitmix64(cfg.dither_seed ^ splitmix64(uint64_t(frame))));
  std::normal_distribution<double> gauss(0.0, cfg.dither);
  for (int64_t i = 0; i < n; ++i) row[i] += static_cast<float>(gauss(rng));
}

}  // namespace

int FbankConfig::frame_length() const {
  return static_cast<int>(std::llround(sample_rate * 0.001 * frame_length_ms));
}
int FbankConfig::frame_shift() const {
  return static_cast<int>(std::llround(sample_rate * 0.001 * frame_shift_ms));
}
int FbankConfig::padded_length() const {
  int p = 1;
  while (p < frame_length()) p *= 2;
  return p;
}
double FbankConfig::effective_high_freq() const {
  return high_freq > 0 ? high_freq : 0.5 * sample_rate + high_freq;
}
namespace {
// Whole frames of n samples laid out from frame 0's first sample.
int64_t whole_frames(const FbankConfig& c, int64_t n) {
  return n < c.frame_length() ? 0 : 1 + (n - c.frame_length()) / c.frame_shift();
}
}  // namespace

int64_t FbankConfig::num_frames(int64_t n) const {
  if (snip_edges) return whole_frames(*this, n);
  return n <= 0 ? 0 : (n + frame_shift() / 2) / frame_shift();
}
int64_t FbankConfig::first_sample(int64_t frame) const {
  return frame * frame_shift() - (snip_edges ? 0 : (frame_length() - frame_shift()) / 2);
}

void FbankConfig::Validate() const {
  auto bad = [](const std::string& key, const std::string& why) {
    throw ConfigError("fbank." + key + ": " + why);
  };
  if (sample_rate <= 0) bad("sample_rate", "must be positive");
  if (frame_length() < 2) bad("frame_length_ms", "gives fewer than 2 samples per frame");
  if (frame_shift() < 1) bad("frame_shift_ms", "gives less than 1 sample between frames");
  if (num_mel_bins < 1) bad("num_mel_bins", "must be at least 1");
  if (!(preemph_coeff >= 0 && preemph_coeff <= 1)) bad("preemph_coeff", "must be in [0, 1]");
  if (!(dither >= 0)) bad("dither", "must be >= 0");
  if (!(vtln_warp >= 0.7 && vtln_warp <= 1.3)) bad("vtln_warp", "must be in [0.7, 1.3]");
  if (!(input_scale > 0)) bad("input_scale", "must be positive (32768 for Kaldi's int16 range)");
  if (!(mel_floor > 0)) bad("mel_floor", "must be positive (FLT_EPSILON as kaldi-native-fbank)");
  const double nyquist = 0.5 * sample_rate;
  if (!(low_freq >= 0 && low_freq < nyquist)) bad("low_freq", "must be in [0, Nyquist)");
  const double high = effective_high_freq();
  if (!(high > low_freq && high <= nyquist))
    bad("high_freq", "must resolve to (low_freq, Nyquist]; <= 0 counts back from Nyquist");
  // Every filter must cover at least one FFT bin, or its log energy is always the floor.
  const at::Tensor weights = mel_filterbank(*this);
  const at::Tensor covered = weights.gt(0).sum(0);
  for (int m = 0; m < num_mel_bins; ++m)
    if (covered[m].item<int64_t>() == 0)
      bad("num_mel_bins", std::to_string(num_mel_bins) + " filters are too narrow for a " +
                              std::to_string(padded_length()) + "-point FFT (filter " +
                              std::to_string(m) + " is empty); use fewer bins or longer frames");
}

nlohmann::json FbankConfig::to_json() const {
  nlohmann::json j = {{"sample_rate", sample_rate},     {"num_mel_bins", num_mel_bins},
          {"frame_length_ms", frame_length_ms}, {"frame_shift_ms", frame_shift_ms},
          {"preemph_coeff", preemph_coeff}, {"remove_dc_offset", remove_dc_offset},
          {"dither", dither},               {"dither_seed", dither_seed},
          {"low_freq", low_freq},           {"high_freq", high_freq},
          {"snip_edges", snip_edges},       {"input_scale", input_scale},
          {"mel_floor", mel_floor}};
  if (vtln_warp != 1.0) j["vtln_warp"] = vtln_warp;  // only written when used
  return j;
}

FbankConfig FbankConfig::from_settings_json(const nlohmann::json& j) {
  nlohmann::json full = j;
  if (j.is_object() && !j.contains("mel_floor")) full["mel_floor"] = kMelFloor;
  return from_json(full);
}

FbankConfig FbankConfig::from_json(const nlohmann::json& j) {
  FbankConfig c;
  JsonFields f(j, "fbank");
  f.get("sample_rate", c.sample_rate);
  f.get("num_mel_bins", c.num_mel_bins);
  f.get("frame_length_ms", c.frame_length_ms);
  f.get("frame_shift_ms", c.frame_shift_ms);
  f.get("preemph_coeff", c.preemph_coeff);
  f.get("remove_dc_offset", c.remove_dc_offset);
  f.get("dither", c.dither);
  f.get("dither_seed", c.dither_seed);
  f.get("low_freq", c.low_freq);
  f.get("high_freq", c.high_freq);
  f.get("vtln_warp", c.vtln_warp);
  f.get("snip_edges", c.snip_edges);
  f.get("input_scale", c.input_scale);
  // Saved before the key existed: Kaldi's FLT_EPSILON on the int16 scale.
  c.mel_floor = FLT_EPSILON / (c.input_scale * c.input_scale);
  f.get("mel_floor", c.mel_floor);
  f.finish();
  c.Validate();
  return c;
}

at::Tensor mel_filterbank(const FbankConfig& cfg) {
  const int P = cfg.padded_length();
  const int K = P / 2 + 1;
  const int M = cfg.num_mel_bins;
  const double bin_width = double(cfg.sample_rate) / P;
  const double mel_low = mel_scale(cfg.low_freq);
  const double mel_high = mel_scale(cfg.effective_high_freq());
  const double delta = (mel_high - mel_low) / (M + 1);
  auto warp = [&](double mel) {
    if (cfg.vtln_warp == 1.0) return mel;
    return mel_scale(vtln_warp_hz(inverse_mel_scale(mel), cfg.vtln_warp, cfg.low_freq,
                                  cfg.effective_high_freq()));
  };
  at::Tensor w = at::zeros({K, M}, at::kFloat);
  auto a = w.accessor<float, 2>();
  for (int m = 0; m < M; ++m) {
    const double left = warp(mel_low + m * delta), center = warp(mel_low + (m + 1) * delta),
                 right = warp(mel_low + (m + 2) * delta);
    for (int k = 0; k < K - 1; ++k) {  // Kaldi leaves the Nyquist bin out
      const double mel = mel_scale(bin_width * k);
      if (mel > left && mel < right)
        a[k][m] = static_cast<float>(mel <= center ? (mel - left) / (center - left)
                                                   : (right - mel) / (right - center));
    }
  }
  return w;
}

at::Tensor compute_fbank_raw(const float* samples, int64_t num_samples, const FbankConfig& cfg,
                             int64_t first_frame, SpectrumMethod method) {
  const int64_t L = cfg.frame_length(), S = cfg.frame_shift(), P = cfg.padded_length();
  const int64_t T = whole_frames(cfg, num_samples), M = cfg.num_mel_bins, K = P / 2 + 1;
  if (T == 0) return at::empty({0, M}, at::kFloat);
  const Tables& tab = tables_for(cfg);

  // Per-frame work is plain loops, and only the FFT is left to ATen: a frame's result must not
  // depend on how many frames are computed together (OnlineFbank == compute_fbank, bit for
  // bit). at::fft_rfft is row-independent; BLAS matmul and ATen's vectorised elementwise
  // kernels (tail handling, fused multiply-add) are not (measured: a [T,257]x[257,80] matmul
  // gives different bits for the same row at different T).
  at::Tensor frames = at::zeros({T, P}, at::kFloat);  // [T, P] windowed, zero-padded
  float* fp = frames.data_ptr<float>();
  const float scale = static_cast<float>(cfg.input_scale);
  const float c = static_cast<float>(cfg.preemph_coeff);
  const float* win = tab.window.data_ptr<float>();
  for (int64_t t = 0; t < T; ++t) {
    float* row = fp + t * P;
    const float* src = samples + t * S;
    for (int64_t i = 0; i < L; ++i) row[i] = src[i] * scale;
    if (cfg.dither > 0) add_dither(row, L, cfg, first_frame + t);
    if (cfg.remove_dc_offset) {
      double sum = 0;
      for (int64_t i = 0; i < L; ++i) sum += row[i];
      const float mean = static_cast<float>(sum / L);
      for (int64_t i = 0; i < L; ++i) row[i] -= mean;
    }
    if (c != 0) {  // y[i] = x[i] - c x[i-1], y[0] = x[0] - c x[0] (Kaldi's edge convention)
      for (int64_t i = L - 1; i > 0; --i) row[i] -= c * row[i - 1];
      row[0] -= c * row[0];
    }
    for (int64_t i = 0; i < L; ++i) row[i] *= win[i];
  }

  at::Tensor reim;  // [T, K, 2] or [T, 2K]: real and imaginary parts of the spectrum
  int64_t re_stride, im_offset;
  if (method == SpectrumMethod::kFft) {
    reim = at::view_as_real(at::fft_rfft(frames, P, 1)).contiguous();
    re_stride = 2;
    im_offset = 1;
  } else {
    reim = frames.narrow(1, 0, L).matmul(dft_basis(int(L), int(P))).contiguous();
    re_stride = 1;
    im_offset = K;
  }
  const float* rp = reim.data_ptr<float>();
  const int64_t row_len = 2 * K;

  at::Tensor out = at::empty({T, M}, at::kFloat);  // [T, M]
  float* op = out.data_ptr<float>();
  std::vector<float> power(K);
  const double floor = cfg.mel_floor * cfg.input_scale * cfg.input_scale;
  const float log_floor = static_cast<float>(std::log(floor));
  for (int64_t t = 0; t < T; ++t) {
    const float* r = rp + t * row_len;
    for (int64_t k = 0; k < K; ++k) {
      const float re = r[k * re_stride], im = r[k * re_stride + im_offset];
      power[k] = re * re + im * im;
    }
    for (int64_t m = 0; m < M; ++m) {
      double e = 0;
      const float* w = tab.mel_weights.data() + tab.mel_offset[m];
      for (int k = 0; k < tab.mel_len[m]; ++k) e += double(power[tab.mel_first[m] + k]) * w[k];
      op[t * M + m] = e > floor ? static_cast<float>(std::log(e)) : log_floor;
    }
  }
  return out;
}

namespace {
// Frames [f0, f0 + n) of the `total` samples whose part from absolute sample `start` on is
// `have` (have[j] is sample start + j), the indices outside [0, total) mirrored as Kaldi does
// (-1 -> 0, total -> total - 1, repeatedly for very short inputs).
at::Tensor frames_at(const float* have, int64_t start, int64_t total, int64_t f0, int64_t n,
                     const FbankConfig& cfg) {
  if (n <= 0) return at::empty({0, cfg.num_mel_bins}, at::kFloat);
  const int64_t from = cfg.first_sample(f0);
  const int64_t len = (n - 1) * cfg.frame_shift() + cfg.frame_length();
  if (from >= 0 && from + len <= total) return compute_fbank_raw(have + (from - start), len, cfg, f0);
  std::vector<float> laid(static_cast<size_t>(len));
  for (int64_t j = 0; j < len; ++j) {
    int64_t s = from + j;
    while (s < 0 || s >= total) s = s < 0 ? -s - 1 : 2 * total - 1 - s;
    laid[static_cast<size_t>(j)] = have[s - start];
  }
  return compute_fbank_raw(laid.data(), len, cfg, f0);
}
}  // namespace

at::Tensor compute_fbank(const std::vector<float>& samples, const FbankConfig& cfg) {
  const auto n = static_cast<int64_t>(samples.size());
  return frames_at(samples.data(), 0, n, 0, cfg.num_frames(n), cfg);
}

OnlineFbank::OnlineFbank(const FbankConfig& cfg) : cfg_(cfg) { cfg_.Validate(); }

void OnlineFbank::accept_waveform(const float* samples, size_t n) {
  if (finished_) throw InvalidArgument("OnlineFbank: audio after input_finished()");
  buffer_.insert(buffer_.end(), samples, samples + n);
  samples_ += static_cast<int64_t>(n);
}

void OnlineFbank::input_finished() { finished_ = true; }

int OnlineFbank::num_frames_ready() const {
  int64_t total = cfg_.num_frames(samples_);
  if (!finished_) {  // only frames whose last sample has arrived
    while (total > 0 && cfg_.first_sample(total - 1) + cfg_.frame_length() > samples_) --total;
  }
  return static_cast<int>(std::max<int64_t>(0, total - frames_popped_));
}

at::Tensor OnlineFbank::pop_frames() {
  const int64_t n = num_frames_ready();
  at::Tensor out = frames_at(buffer_.data(), buffer_start_, samples_, frames_popped_, n, cfg_);
  frames_popped_ += n;
  // Frames are independent, so the samples before the next frame can go (the mirrored start
  // needs only samples of the first frame's own span).
  const int64_t keep_from = std::clamp<int64_t>(cfg_.first_sample(frames_popped_), buffer_start_, samples_);
  buffer_.erase(buffer_.begin(), buffer_.begin() + (keep_from - buffer_start_));
  buffer_start_ = keep_from;
  return out;
}

void OnlineFbank::reset() {
  buffer_.clear();
  buffer_start_ = 0;
  samples_ = 0;
  frames_popped_ = 0;
  finished_ = false;
}

}  // namespace omnisparse
