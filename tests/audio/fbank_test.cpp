// Filterbank features against an independent double-precision reference and analytic cases.
#include "core/audio/fbank.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <numbers>
#include <random>

#include "core/common/error.h"
#include "tests/audio/audio_test_util.h"

namespace omnisparse {
namespace {

constexpr double kPi = std::numbers::pi;

double mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
double inv_mel(double m) { return 700.0 * (std::exp(m / 1127.0) - 1.0); }

// Kaldi's algorithm written out with loops in double: framing (snip_edges true: whole frames
// from sample 0; false: frame t centred at 160 t + 80, indices outside the signal mirrored, -1 ->
// 0 and n -> n - 1), DC removal, pre-emphasis, povey window, naive DFT, triangular mel filters,
// log with the floor FLT_EPSILON on the [-1, 1] scale (kaldi-native-fbank's, sherpa-onnx's).
std::vector<std::vector<double>> reference_fbank(const std::vector<float>& x, bool snip_edges = false) {
  const int L = 400, S = 160, P = 512, M = 80;
  const double lo = mel(20), hi = mel(7600), d = (hi - lo) / (M + 1);  // sherpa-onnx's top
  const auto n = static_cast<int64_t>(x.size());
  const int64_t frames = snip_edges ? (n < L ? 0 : 1 + (n - L) / S) : (n + S / 2) / S;
  auto sample = [&](int64_t i) {
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
    return x[static_cast<size_t>(i)];
  };
  std::vector<std::vector<double>> out;
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t start = t * S - (snip_edges ? 0 : (L - S) / 2);
    std::vector<double> f(L);
    double mean = 0;
    for (int i = 0; i < L; ++i) mean += (f[i] = 32768.0 * sample(start + i));
    mean /= L;
    for (auto& v : f) v -= mean;
    for (int i = L - 1; i > 0; --i) f[i] -= 0.97 * f[i - 1];
    f[0] -= 0.97 * f[0];
    for (int i = 0; i < L; ++i) f[i] *= std::pow(0.5 - 0.5 * std::cos(2 * kPi * i / (L - 1)), 0.85);
    std::vector<double> power(P / 2);
    for (int k = 0; k < P / 2; ++k) {
      double re = 0, im = 0;
      for (int n = 0; n < L; ++n) {
        re += f[n] * std::cos(2 * kPi * k * n / P);
        im -= f[n] * std::sin(2 * kPi * k * n / P);
      }
      power[k] = re * re + im * im;
    }
    std::vector<double> row(M);
    for (int m = 0; m < M; ++m) {
      const double l = lo + m * d, c = l + d, r = c + d;
      double e = 0;
      for (int k = 0; k < P / 2; ++k) {
        const double mk = mel(16000.0 * k / P);
        if (mk > l && mk < r) e += power[k] * (mk <= c ? (mk - l) / (c - l) : (r - mk) / (r - c));
      }
      row[m] = std::log(std::max(e, double(FLT_EPSILON) * 32768.0 * 32768.0));
    }
    out.push_back(row);
  }
  return out;
}

double max_abs_diff(const at::Tensor& feats, const std::vector<std::vector<double>>& ref) {
  EXPECT_EQ(feats.size(0), int64_t(ref.size()));
  EXPECT_EQ(feats.size(1), 80);
  auto a = feats.accessor<float, 2>();
  double worst = 0;
  for (size_t t = 0; t < ref.size(); ++t)
    for (int m = 0; m < 80; ++m) worst = std::max(worst, std::abs(a[t][m] - ref[t][m]));
  return worst;
}

// Noise with a slowly varying level plus a gliding tone: every band gets real energy, some
// frames are quiet.
std::vector<float> test_signal(size_t n, double level, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const double env = 0.5 + 0.5 * std::sin(2 * kPi * i / 5000.0);
    const double f = 200 + 3000.0 * i / n;
    x[i] = static_cast<float>(level * (0.3 * env * g(rng) + 0.5 * std::sin(2 * kPi * f * i / 16000)));
  }
  return x;
}

TEST(Fbank, MatchesDoublePrecisionReference) {
  FbankConfig snip;
  snip.snip_edges = true;
  for (double level : {0.9, 0.01, 1e-4}) {
    SCOPED_TRACE(level);
    const auto x = test_signal(5 * 160 + 400 + 77, level, 7);
    const auto centred = reference_fbank(x);
    ASSERT_EQ(centred.size(), 8u);
    EXPECT_LT(max_abs_diff(compute_fbank(x), centred), 1e-3);
    const auto whole = reference_fbank(x, /*snip_edges=*/true);
    ASSERT_EQ(whole.size(), 6u);
    EXPECT_LT(max_abs_diff(compute_fbank(x, snip), whole), 1e-3);
    EXPECT_LT(max_abs_diff(compute_fbank_raw(x.data(), x.size(), {}, 0, SpectrumMethod::kMatmul), whole),
              1e-3);
  }
  // Shorter than one frame: mirrored, repeatedly if need be.
  const auto tiny = test_signal(100, 0.5, 3);
  EXPECT_LT(max_abs_diff(compute_fbank(tiny), reference_fbank(tiny)), 1e-3);
}

TEST(Fbank, FrameCountFollowsSnipEdges) {
  FbankConfig snip;
  snip.snip_edges = true;
  EXPECT_EQ(snip.frame_length(), 400);
  EXPECT_EQ(snip.frame_shift(), 160);
  EXPECT_EQ(snip.padded_length(), 512);
  for (auto [n, t] : std::vector<std::pair<size_t, int64_t>>{
           {0, 0}, {399, 0}, {400, 1}, {559, 1}, {560, 2}, {16000, 98}, {16000 * 3 + 5, 298}}) {
    EXPECT_EQ(compute_fbank(std::vector<float>(n, 0.1f), snip).size(0), t) << n;
    EXPECT_EQ(snip.num_frames(n), t) << n;
  }
  const FbankConfig centred;  // the default: (n + 80) / 160
  for (auto [n, t] : std::vector<std::pair<size_t, int64_t>>{
           {0, 0}, {79, 0}, {80, 1}, {239, 1}, {240, 2}, {16000, 100}, {16000 * 3 + 5, 300}}) {
    EXPECT_EQ(compute_fbank(std::vector<float>(n, 0.1f)).size(0), t) << n;
    EXPECT_EQ(centred.num_frames(n), t) << n;
  }
  EXPECT_EQ(centred.first_sample(0), -120);
  EXPECT_EQ(snip.first_sample(3), 480);
  EXPECT_EQ(compute_fbank({}).sizes(), (std::vector<int64_t>{0, 80}));
}

TEST(Fbank, PureToneLandsInItsMelBand) {
  const double lo = mel(20), hi = mel(7600), d = (hi - lo) / 81;
  for (int band : {3, 10, 25, 40, 55, 70, 78}) {
    const double f = inv_mel(lo + (band + 1) * d);  // the band's centre frequency
    const auto feats = compute_fbank(test::tone(f, 0.5, 16000, 8000));
    const auto argmax = feats.argmax(1);
    for (int64_t t = 0; t < feats.size(0); ++t)
      ASSERT_EQ(argmax[t].item<int64_t>(), band) << f << " Hz, frame " << t;
  }
}

TEST(Fbank, DigitalSilenceSitsExactlyAtTheFloor) {
  // The default floor is FLT_EPSILON on the [-1, 1] scale: ln(2^-23 * 2^30) = 7 ln 2 in ours.
  const float floor = static_cast<float>(std::log(128.0));
  ASSERT_FLOAT_EQ(floor, 4.8520303f);
  // A front end saved before mel_floor existed reads back with Kaldi's int16-scale floor.
  nlohmann::json old = FbankConfig().to_json();
  old.erase("mel_floor");
  const FbankConfig legacy = FbankConfig::from_json(old);
  EXPECT_EQ(legacy.mel_floor * 32768.0 * 32768.0, double(FLT_EPSILON));
  for (float dc : {0.0f, 0.5f, -0.25f}) {  // a constant is silence once DC is removed
    const auto feats = compute_fbank(std::vector<float>(4000, dc));
    ASSERT_EQ(feats.size(0), 25);
    EXPECT_TRUE(feats.eq(floor).all().item<bool>()) << "dc " << dc << " min "
                                                    << feats.min().item<float>();
    EXPECT_TRUE(compute_fbank(std::vector<float>(4000, dc), legacy).eq(std::log(FLT_EPSILON)).all().item<bool>());
  }
}

TEST(Fbank, LouderSignalRaisesEveryBandByTheGainInLogPower) {
  const auto x = test_signal(4000, 0.1, 3);
  std::vector<float> y(x);
  for (auto& v : y) v *= 4;
  const at::Tensor fx = compute_fbank(x), fy = compute_fbank(y);
  // Where the quiet signal is above the floor (most bands); at the floor only louder.
  const at::Tensor above = fx.gt(std::log(128.0) + 1e-3);
  EXPECT_GT(above.to(at::kFloat).mean().item<float>(), 0.9f);
  const at::Tensor diff = (fy - fx).masked_select(above);
  EXPECT_LT((diff - std::log(16.0)).abs().max().item<float>(), 1e-3);
  EXPECT_TRUE(fy.ge(fx).all().item<bool>());
}

TEST(Fbank, OnlineEqualsOfflineExactlyForAnyChunking) {
  for (bool snip_edges : {false, true}) {
    FbankConfig cfg;
    cfg.snip_edges = snip_edges;
    for (size_t n : {size_t(16000 + 333), size_t(300), size_t(50)}) {
      const auto x = test_signal(n, 0.3, 11);
      const at::Tensor offline = compute_fbank(x, cfg);
      for (size_t chunk : {1, 37, 160, 401, 1000}) {
        SCOPED_TRACE(::testing::Message() << "snip_edges " << snip_edges << " n " << n << " chunk " << chunk);
        OnlineFbank online(cfg);
        std::vector<at::Tensor> parts;
        for (size_t i = 0; i < x.size(); i += chunk) {
          online.accept_waveform(x.data() + i, std::min(chunk, x.size() - i));
          const int ready = online.num_frames_ready();
          parts.push_back(online.pop_frames());
          ASSERT_EQ(parts.back().size(0), ready);
          ASSERT_EQ(online.num_frames_ready(), 0);
          // A frame is out only once its last sample is in.
          if (online.frames_popped() > 0) {
            ASSERT_LE(cfg.first_sample(online.frames_popped() - 1) + 400, int64_t(std::min(x.size(), i + chunk)));
          }
        }
        online.input_finished();  // without snip_edges: the frames that reach past the end
        EXPECT_EQ(online.num_frames_ready() > 0, !snip_edges && n > 100);
        parts.push_back(online.pop_frames());
        const at::Tensor streamed = at::cat(parts, 0);
        EXPECT_EQ(online.frames_popped(), offline.size(0));
        ASSERT_EQ(streamed.sizes(), offline.sizes());
        EXPECT_TRUE(at::equal(streamed, offline));
        EXPECT_THROW(online.accept_waveform(x.data(), 1), InvalidArgument);
      }
    }
  }
}

TEST(Fbank, OnlineResetStartsANewUtterance) {
  const auto a = test_signal(3000, 0.3, 1), b = test_signal(2500, 0.2, 2);
  OnlineFbank online;
  online.accept_waveform(a.data(), a.size());
  online.pop_frames();
  online.accept_waveform(a.data(), 100);  // a partial frame that must not leak into b
  online.input_finished();
  online.reset();
  online.accept_waveform(b.data(), b.size());
  online.input_finished();
  EXPECT_TRUE(at::equal(online.pop_frames(), compute_fbank(b)));
}

TEST(Fbank, DitherIsSeededPerFrameAndStreamsIdentically) {
  FbankConfig cfg;
  cfg.dither = 1.0;
  cfg.dither_seed = 42;
  const std::vector<float> silence(3200, 0.0f);
  const at::Tensor a = compute_fbank(silence, cfg);
  EXPECT_TRUE(at::equal(a, compute_fbank(silence, cfg)));
  EXPECT_GT(a.min().item<float>(), std::log(128.0));  // dither lifts silence off the floor
  cfg.dither_seed = 43;
  EXPECT_FALSE(at::equal(a, compute_fbank(silence, cfg)));
  cfg.dither_seed = 42;
  OnlineFbank online(cfg);
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < silence.size(); i += 333) {
    online.accept_waveform(silence.data() + i, std::min<size_t>(333, silence.size() - i));
    parts.push_back(online.pop_frames());
  }
  online.input_finished();
  parts.push_back(online.pop_frames());
  EXPECT_TRUE(at::equal(at::cat(parts, 0), a));
}

TEST(Fbank, MelFilterbankIsKaldiShaped) {
  const at::Tensor w = mel_filterbank({});
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{257, 80}));
  EXPECT_EQ(w[256].abs().sum().item<float>(), 0.0f);  // Nyquist bin unused
  EXPECT_EQ(w[0].abs().sum().item<float>(), 0.0f);    // DC is below 20 Hz
  EXPECT_LE(w.max().item<float>(), 1.0f);
  EXPECT_TRUE(w.gt(0).sum(0).ge(1).all().item<bool>());  // every filter sees some bin
}

TEST(Fbank, VtlnWarpMovesTheFiltersAndKeepsTheEnds) {
  // warp > 1 lowers every filter's centre by ~1/warp between the cut-offs (Kaldi's VTLN), so a
  // tone lands in a higher band; warp < 1 the opposite; 1 is the plain filterbank.
  FbankConfig up, down, one;
  up.vtln_warp = 1.1;
  down.vtln_warp = 0.9;
  one.vtln_warp = 1.0;
  EXPECT_TRUE(mel_filterbank(one).equal(mel_filterbank({})));
  const auto tone = test::tone(2000, 0.5, 16000, 8000);
  const int64_t b1 = compute_fbank(tone).argmax(1)[5].item<int64_t>();
  const int64_t bu = compute_fbank(tone, up).argmax(1)[5].item<int64_t>();
  const int64_t bd = compute_fbank(tone, down).argmax(1)[5].item<int64_t>();
  EXPECT_GT(bu, b1);
  EXPECT_LT(bd, b1);
  // The centre of gravity of a mid filter moves by the warp: filter 40 in Hz.
  auto centre_hz = [](const FbankConfig& c, int m) {
    const at::Tensor w = mel_filterbank(c).select(1, m).to(at::kDouble);
    const at::Tensor hz = at::arange(w.size(0), at::kDouble) * (16000.0 / 512);
    return (w * hz).sum().item<double>() / w.sum().item<double>();
  };
  EXPECT_NEAR(centre_hz(up, 40) / centre_hz(one, 40), 1 / 1.1, 0.02);
  EXPECT_NEAR(centre_hz(down, 40) / centre_hz(one, 40), 1 / 0.9, 0.02);
  // Every warp the augmentation may draw keeps every filter non-empty (Validate checks it).
  for (int i = 0; i <= 12; ++i) {
    const double w = (70 + 5 * i) / 100.0;
    FbankConfig c;
    c.vtln_warp = w;
    EXPECT_NO_THROW(c.Validate()) << w;
  }
}

TEST(Fbank, ConfigJsonRoundTripAndValidation) {
  FbankConfig cfg;
  cfg.num_mel_bins = 40;
  cfg.high_freq = -400;
  cfg.dither = 0.5;
  EXPECT_EQ(FbankConfig::from_json(cfg.to_json()), cfg);
  EXPECT_DOUBLE_EQ(cfg.effective_high_freq(), 7600.0);
  auto expect_config_error = [](nlohmann::json j, const std::string& key) {
    try {
      FbankConfig::from_json(j);
      ADD_FAILURE() << "accepted " << j.dump();
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_config_error({{"num_mel_bin", 80}}, "num_mel_bin");
  expect_config_error({{"num_mel_bins", "80"}}, "num_mel_bins");
  expect_config_error({{"num_mel_bins", 400}}, "num_mel_bins");
  expect_config_error({{"mel_floor", 0.0}}, "mel_floor");
  expect_config_error({{"snip_edges", 1.5}}, "snip_edges");
  expect_config_error({{"high_freq", 9000.0}}, "high_freq");
  expect_config_error({{"low_freq", -1.0}}, "low_freq");
  expect_config_error({{"preemph_coeff", 1.5}}, "preemph_coeff");
  expect_config_error({{"vtln_warp", 1.5}}, "vtln_warp");
  EXPECT_FALSE(FbankConfig().to_json().contains("vtln_warp"));  // saved models: no warp key
  FbankConfig warped;
  warped.vtln_warp = 0.92;
  EXPECT_EQ(FbankConfig::from_json(warped.to_json()), warped);
  FbankConfig bad;
  bad.num_mel_bins = 0;
  EXPECT_THROW(compute_fbank(std::vector<float>(1000), bad), ConfigError);
}

}  // namespace
}  // namespace omnisparse
