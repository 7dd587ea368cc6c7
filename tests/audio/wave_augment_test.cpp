// Waveform augmentation: each effect measured on known signals, then the whole chain.
#include "core/audio/wave_augment.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/audio/wave_effects.h"
#include "core/common/error.h"
#include "tests/audio/audio_test_util.h"

namespace omnisparse {
namespace {

constexpr int kSr = 16000;

double db(double ratio) { return 10 * std::log10(ratio); }

double snr_db(const std::vector<float>& clean, const std::vector<float>& noisy) {
  std::vector<float> n(clean.size());
  for (size_t i = 0; i < clean.size(); ++i) n[i] = noisy[i] - clean[i];
  return db(mean_square(clean) / mean_square(n));
}

// Mean power spectral density of x between lo and hi Hz.
double band_power(const std::vector<float>& x, double lo, double hi) {
  at::Tensor t = at::from_blob(const_cast<float*>(x.data()), {int64_t(x.size())}, at::kFloat);
  at::Tensor p = at::view_as_real(at::fft_rfft(t.to(at::kDouble))).square().sum(-1);
  const double bin = double(kSr) / x.size();
  return p.narrow(0, int64_t(lo / bin), int64_t((hi - lo) / bin)).mean().item<double>();
}

std::vector<float> speechish(size_t n) {  // a few harmonics with an envelope
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / kSr;
    x[i] = float((0.3 + 0.2 * std::sin(2 * M_PI * 3 * t)) *
                 (std::sin(2 * M_PI * 180 * t) + 0.5 * std::sin(2 * M_PI * 720 * t) +
                  0.25 * std::sin(2 * M_PI * 2300 * t)));
  }
  return x;
}

TEST(WaveEffects, NoiseIsAddedAtTheRequestedSnr) {
  const auto clean = speechish(32000);
  std::mt19937_64 rng(1);
  for (auto colour : {NoiseColour::kWhite, NoiseColour::kPink, NoiseColour::kBrown}) {
    for (double snr : {5.0, 12.3, 30.0}) {
      auto noisy = clean;
      add_noise_at_snr(noisy, coloured_noise(noisy.size(), colour, rng), snr);
      EXPECT_NEAR(snr_db(clean, noisy), snr, 0.01) << to_string(colour);
    }
  }
}

TEST(WaveEffects, NoiseColoursHaveTheirSpectralSlopes) {
  std::mt19937_64 rng(2);
  // Power from the 250-500 Hz octave to the 2-4 kHz octave, three octaves up:
  // white 0 dB, pink -3 dB/octave (-9), brown -6 dB/octave (-18).
  const std::pair<NoiseColour, double> expected[] = {
      {NoiseColour::kWhite, 0.0}, {NoiseColour::kPink, -9.0}, {NoiseColour::kBrown, -18.0}};
  for (auto [colour, slope] : expected) {
    const auto n = coloured_noise(1 << 17, colour, rng);
    EXPECT_NEAR(test::rms(n), 1.0, 1e-6);
    const double measured = db(band_power(n, 2000, 4000) / band_power(n, 250, 500));
    EXPECT_NEAR(measured, slope, 1.5) << to_string(colour);
  }
}

TEST(WaveEffects, SpeedFactorChangesLengthAndPitch) {
  const auto x = test::tone(1000, 0.5, kSr, 16000);
  const auto fast = speed_perturb(x, 1.1, kSr);
  EXPECT_NEAR(double(fast.size()), 16000 / 1.1, 1.0);
  EXPECT_NEAR(test::zero_crossing_frequency(fast, kSr), 1100.0, 2.0);
  const auto slow = speed_perturb(x, 0.9, kSr);
  EXPECT_NEAR(double(slow.size()), 16000 / 0.9, 1.0);
  EXPECT_NEAR(test::zero_crossing_frequency(slow, kSr), 900.0, 2.0);
  EXPECT_EQ(speed_perturb(x, 1.0, kSr), x);
}

TEST(WaveEffects, LowpassAttenuatesHighToneAndKeepsLowTone) {
  auto hi = test::tone(7000, 0.5, kSr, 16000), lo = test::tone(500, 0.5, kSr, 16000);
  const double hi_before = test::amplitude_at(hi, 7000, kSr), lo_before = test::amplitude_at(lo, 500, kSr);
  lowpass(hi, 3400, kSr);
  lowpass(lo, 3400, kSr);
  EXPECT_LT(20 * std::log10(test::amplitude_at(hi, 7000, kSr) / hi_before), -20.0);
  EXPECT_NEAR(20 * std::log10(test::amplitude_at(lo, 500, kSr) / lo_before), 0.0, 0.5);
  // Even the mildest drawn cut-off (7 kHz) takes 6 dB off at 7 kHz (two -3 dB sections).
  auto edge = test::tone(7000, 0.5, kSr, 16000);
  lowpass(edge, 7000, kSr);
  EXPECT_NEAR(20 * std::log10(test::amplitude_at(edge, 7000, kSr) / hi_before), -6.0, 0.5);
}

TEST(WaveEffects, HighpassRemovesRumbleAndKeepsSpeechBand) {
  auto rumble = test::tone(50, 0.5, kSr, 32000), voice = test::tone(2000, 0.5, kSr, 32000);
  highpass(rumble, 300, kSr);
  highpass(voice, 300, kSr);
  EXPECT_LT(20 * std::log10(test::amplitude_at(rumble, 50, kSr) / 0.5), -30.0);
  EXPECT_NEAR(20 * std::log10(test::amplitude_at(voice, 2000, kSr) / 0.5), 0.0, 0.5);
  EXPECT_THROW(highpass(voice, 9000, kSr), InvalidArgument);
}

TEST(WaveEffects, RoomImpulseResponseHasDrawnRt60AndDrr) {
  std::mt19937_64 rng(5);
  for (double rt60 : {0.1, 0.3, 0.6}) {
    const auto h = room_impulse_response(rt60, 6.0, kSr, rng);
    EXPECT_EQ(h.size(), size_t(rt60 * kSr));
    EXPECT_EQ(h[0], 1.0f);
    double tail = 0;
    for (size_t i = 1; i < h.size(); ++i) tail += double(h[i]) * h[i];
    EXPECT_NEAR(db(1.0 / tail), 6.0, 1e-6);
    // Schroeder backward integration: the -5 to -25 dB decay takes rt60 / 3 (T20 method).
    std::vector<double> edc(h.size() + 1, 0.0);
    for (size_t i = h.size(); i-- > 1;) edc[i] = edc[i + 1] + double(h[i]) * h[i];
    auto time_at = [&](double level_db) {
      size_t i = 1;
      while (i < h.size() && db(edc[i] / edc[1]) > level_db) ++i;
      return double(i) / kSr;
    };
    EXPECT_NEAR(3 * (time_at(-25) - time_at(-5)), rt60, 0.1 * rt60) << rt60;
  }
}

TEST(WaveEffects, FftConvolutionEqualsDirectConvolution) {
  std::mt19937_64 rng(6);
  const auto x = coloured_noise(1000, NoiseColour::kWhite, rng);
  const auto h = coloured_noise(77, NoiseColour::kPink, rng);
  const auto y = fft_convolve(x, h);
  ASSERT_EQ(y.size(), x.size());
  for (size_t n = 0; n < x.size(); ++n) {
    double s = 0;
    for (size_t k = 0; k < h.size() && k <= n; ++k) s += double(h[k]) * x[n - k];
    ASSERT_NEAR(y[n], s, 1e-4) << n;
  }
}

TEST(WaveEffects, G711CodecsKeepSpeechAtTheirQuantisationSnr) {
  // 8-bit logarithmic G.711: ~38 dB SNR for a loud signal, far above an 8-bit linear code at
  // low level. GSM 06.10 is a vocoder-like codec: the waveform is only roughly kept.
  std::vector<float> x = test::tone(440, 0.5, 8000, 8000);
  const auto t = test::tone(1250, 0.2, 8000, 8000);
  for (size_t i = 0; i < x.size(); ++i) x[i] += t[i];
  for (auto codec : {TelephoneCodec::kMuLaw, TelephoneCodec::kALaw}) {
    const auto y = codec_roundtrip(x, codec);
    ASSERT_EQ(y.size(), x.size());
    EXPECT_GT(snr_db(x, y), 30.0) << to_string(codec);
    EXPECT_LT(snr_db(x, y), 45.0) << to_string(codec);  // it is lossy
    std::vector<float> quiet(x);
    for (float& v : quiet) v *= 0.01f;
    EXPECT_GT(snr_db(quiet, codec_roundtrip(quiet, codec)), 20.0) << to_string(codec);
  }
  const auto g = codec_roundtrip(x, TelephoneCodec::kGsm);
  ASSERT_EQ(g.size(), x.size());
  EXPECT_NE(g, x);
  EXPECT_NEAR(test::rms(g), test::rms(x), 0.5 * test::rms(x));  // level kept within 6 dB
  EXPECT_EQ(telephone_codec_from_string("gsm"), TelephoneCodec::kGsm);
  EXPECT_THROW(telephone_codec_from_string("opus"), InvalidArgument);
  EXPECT_TRUE(codec_roundtrip({}, TelephoneCodec::kMuLaw).empty());
}

TEST(WaveEffects, TelephoneLineKeepsOnly300To3400Hz) {
  std::mt19937_64 rng(4);
  auto x = coloured_noise(32000, NoiseColour::kWhite, rng);
  for (float& v : x) v *= 0.1f;  // -20 dBFS: no clipping in the codec
  for (const char* name : {"ulaw", "alaw", "gsm"}) {
    const auto y = telephone_channel(x, telephone_codec_from_string(name), kSr);
    ASSERT_EQ(y.size(), x.size());
    const double in_band = band_power(y, 800, 3000) / band_power(x, 800, 3000);
    EXPECT_GT(db(in_band), -6.0) << name;
    EXPECT_LT(db(band_power(y, 4500, 7500) / band_power(x, 4500, 7500)), -40.0) << name;
    EXPECT_LT(db(band_power(y, 20, 120) / band_power(x, 20, 120)), -12.0) << name;
  }
}

TEST(WaveAugment, TelephoneAndVtlpAreDrawnOnlyWhenEnabled) {
  const auto x = speechish(16000);
  auto cfg = WaveAugmentConfig::none();
  cfg.telephone_prob = 1.0;
  cfg.telephone_codecs = {"alaw"};
  cfg.vtlp_prob = 1.0;
  std::set<double> warps;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    WaveAugmentDraw d;
    const auto y = augment_waveform(x, cfg, rng, &d);
    EXPECT_EQ(d.codec, "alaw");
    EXPECT_EQ(y, telephone_channel(x, TelephoneCodec::kALaw, kSr));
    EXPECT_GE(d.vtlp_warp, cfg.vtlp_min);
    EXPECT_LE(d.vtlp_warp, cfg.vtlp_max);
    warps.insert(d.vtlp_warp);
  }
  EXPECT_EQ(warps.size(), 10u);
  // Disabled steps draw nothing: the default chain's draws are those of a config without them.
  WaveAugmentConfig plain, with_off_steps;
  with_off_steps.telephone_codecs = {"gsm"};
  with_off_steps.vtlp_max = 1.2;
  std::mt19937_64 a(11), b(11);
  WaveAugmentDraw da, db_;
  EXPECT_EQ(augment_waveform(x, plain, a, &da), augment_waveform(x, with_off_steps, b, &db_));
  EXPECT_TRUE(db_.codec.empty());
  EXPECT_EQ(db_.vtlp_warp, 1.0);
}

TEST(WaveAugment, DrawnSnrIsTheMeasuredSnr) {
  auto cfg = WaveAugmentConfig::none();
  cfg.noise_prob = 1.0;
  const auto x = speechish(24000);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    WaveAugmentDraw d;
    const auto y = augment_waveform(x, cfg, rng, &d);
    ASSERT_FALSE(d.noise_colour.empty());
    EXPECT_GE(d.snr_db, cfg.snr_min_db);
    EXPECT_LE(d.snr_db, cfg.snr_max_db);
    EXPECT_NEAR(snr_db(x, y), d.snr_db, 1.0) << d.to_json().dump();
  }
}

TEST(WaveAugment, DeterministicUnderSeedAndParametersInRange) {
  const WaveAugmentConfig cfg;
  const auto x = speechish(20000);
  int changed = 0, speed_changed = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 a(seed), b(seed);
    WaveAugmentDraw d;
    const auto y = augment_waveform(x, cfg, a, &d);
    ASSERT_EQ(y, augment_waveform(x, cfg, b));
    EXPECT_NEAR(double(y.size()), x.size() / d.speed, 1.0);
    speed_changed += d.speed != 1.0;
    changed += y != x;
    EXPECT_TRUE(d.rt60_s == 0 || (d.rt60_s >= cfg.rt60_min && d.rt60_s <= cfg.rt60_max));
    EXPECT_TRUE(d.lowpass_hz == 0 || (d.lowpass_hz >= 3400 && d.lowpass_hz <= 7000));
    EXPECT_TRUE(d.highpass_hz == 0 || (d.highpass_hz >= 100 && d.highpass_hz <= 300));
    EXPECT_TRUE(d.gain_db >= cfg.gain_min_db && d.gain_db <= cfg.gain_max_db);
    float peak = 0;
    for (float v : y) {
      ASSERT_TRUE(std::isfinite(v));
      peak = std::max(peak, std::abs(v));
    }
    EXPECT_LE(peak, 1.0f);
  }
  EXPECT_GT(changed, 30);
  EXPECT_GT(speed_changed, 5);
  std::mt19937_64 r1(1), r2(2);
  EXPECT_NE(augment_waveform(x, cfg, r1), augment_waveform(x, cfg, r2));
  std::mt19937_64 r3(3);
  EXPECT_EQ(augment_waveform(x, WaveAugmentConfig::none(), r3), x);
}

TEST(WaveAugment, ReverbKeepsLoudnessAndSmearsEnergyIntoGaps) {
  auto cfg = WaveAugmentConfig::none();
  cfg.reverb_prob = 1.0;
  cfg.rt60_min = cfg.rt60_max = 0.5;
  cfg.drr_min_db = cfg.drr_max_db = 0.0;
  // A burst then silence: reverberation rings into the silence.
  std::vector<float> x = test::tone(1000, 0.5, kSr, 16000);
  for (size_t i = 4000; i < x.size(); ++i) x[i] = 0;
  std::mt19937_64 rng(9);
  const auto y = augment_waveform(x, cfg, rng);
  EXPECT_NEAR(test::rms(y), test::rms(x), 1e-3);
  const std::vector<float> gap_y(y.begin() + 4800, y.begin() + 6400);
  EXPECT_GT(test::rms(gap_y), 0.01);  // 50-150 ms after the burst ends
}

TEST(WaveAugment, ConfigJsonRoundTripAndValidation) {
  WaveAugmentConfig cfg;
  cfg.speed_factors = {0.95, 1.05};
  cfg.noise_colours = {"pink"};
  cfg.snr_min_db = 10;
  cfg.telephone_prob = 0.25;
  cfg.telephone_codecs = {"gsm", "ulaw"};
  cfg.vtlp_prob = 0.5;
  cfg.vtlp_min = 0.85;
  EXPECT_EQ(WaveAugmentConfig::from_json(cfg.to_json()), cfg);
  auto expect_key = [](nlohmann::json j, const std::string& key) {
    try {
      WaveAugmentConfig::from_json(j);
      ADD_FAILURE() << "accepted " << j.dump();
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_key({{"noise_prob", 1.5}}, "noise_prob");
  expect_key({{"snr_min_db", 40.0}}, "snr_min_db");
  expect_key({{"noise_colours", {"purple"}}}, "noise_colours");
  expect_key({{"lowpass_max_hz", 9000.0}}, "lowpass");
  expect_key({{"speed_factors", std::vector<double>{}}}, "speed_factors");
  expect_key({{"reverb", true}}, "reverb");
  expect_key({{"speed_prob", "high"}}, "speed_prob");
  expect_key({{"telephone_codecs", {"opus"}}}, "telephone_codecs");
  expect_key({{"telephone_prob", -0.1}}, "telephone_prob");
  expect_key({{"vtlp_min", 0.5}}, "vtlp_min");
  expect_key({{"vtlp_min", 1.2}, {"vtlp_max", 1.1}}, "vtlp_min");
}

}  // namespace
}  // namespace omnisparse
