#include "core/audio/wave_augment.h"

#include <algorithm>
#include <cmath>

#include "core/common/config_json.h"
#include "core/audio/rng_util.h"
#include "core/audio/wave_effects.h"
#include "core/common/error.h"

namespace omnisparse {

WaveAugmentConfig WaveAugmentConfig::none() {
  WaveAugmentConfig c;
  c.speed_prob = c.reverb_prob = c.noise_prob = c.lowpass_prob = c.highpass_prob = c.gain_prob = 0;
  c.telephone_prob = c.vtlp_prob = 0;
  return c;
}

void WaveAugmentConfig::Validate() const {
  auto bad = [](const std::string& key, const std::string& why) {
    throw ConfigError("wave_augment." + key + ": " + why);
  };
  auto prob = [&](const char* key, double p) {
    if (!(p >= 0 && p <= 1)) bad(key, "probability must be in [0, 1]");
  };
  auto range = [&](const char* lo_key, double lo, double hi) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
      bad(lo_key, "range minimum must be finite and <= its maximum");
  };
  if (sample_rate <= 0) bad("sample_rate", "must be positive");
  const double nyquist = 0.5 * sample_rate;
  prob("speed_prob", speed_prob);
  if (speed_factors.empty()) bad("speed_factors", "must list at least one factor");
  for (double f : speed_factors)
    if (!(f >= 0.5 && f <= 2.0)) bad("speed_factors", "each factor must be in [0.5, 2]");
  prob("reverb_prob", reverb_prob);
  range("rt60_min", rt60_min, rt60_max);
  if (!(rt60_min > 0 && rt60_max <= 2.0)) bad("rt60_min", "RT60 must be in (0, 2] seconds");
  range("drr_min_db", drr_min_db, drr_max_db);
  prob("noise_prob", noise_prob);
  range("snr_min_db", snr_min_db, snr_max_db);
  // A list of names, each one `parse` accepts.
  auto names = [&](const char* key, const std::vector<std::string>& list, const char* choices,
                   auto parse) {
    if (list.empty()) bad(key, std::string("must list at least one of ") + choices);
    for (const auto& name : list) {
      try {
        parse(name);
      } catch (const InvalidArgument& e) {
        bad(key, e.what());
      }
    }
  };
  names("noise_colours", noise_colours, "white, pink, brown", noise_colour_from_string);
  prob("lowpass_prob", lowpass_prob);
  range("lowpass_min_hz", lowpass_min_hz, lowpass_max_hz);
  if (!(lowpass_min_hz > 0 && lowpass_max_hz < nyquist))
    bad("lowpass_min_hz", "cut-offs must be in (0, Nyquist)");
  prob("highpass_prob", highpass_prob);
  range("highpass_min_hz", highpass_min_hz, highpass_max_hz);
  if (!(highpass_min_hz > 0 && highpass_max_hz < nyquist))
    bad("highpass_min_hz", "cut-offs must be in (0, Nyquist)");
  prob("telephone_prob", telephone_prob);
  names("telephone_codecs", telephone_codecs, "ulaw, alaw, gsm", telephone_codec_from_string);
  prob("vtlp_prob", vtlp_prob);
  range("vtlp_min", vtlp_min, vtlp_max);
  if (!(vtlp_min >= 0.7 && vtlp_max <= 1.3)) bad("vtlp_min", "warp factors must be in [0.7, 1.3]");
  prob("gain_prob", gain_prob);
  range("gain_min_db", gain_min_db, gain_max_db);
}

nlohmann::json WaveAugmentConfig::to_json() const {
  return {{"sample_rate", sample_rate},     {"speed_prob", speed_prob},
          {"speed_factors", speed_factors}, {"reverb_prob", reverb_prob},
          {"rt60_min", rt60_min},           {"rt60_max", rt60_max},
          {"drr_min_db", drr_min_db},       {"drr_max_db", drr_max_db},
          {"noise_prob", noise_prob},       {"snr_min_db", snr_min_db},
          {"snr_max_db", snr_max_db},       {"noise_colours", noise_colours},
          {"lowpass_prob", lowpass_prob},   {"lowpass_min_hz", lowpass_min_hz},
          {"lowpass_max_hz", lowpass_max_hz}, {"highpass_prob", highpass_prob},
          {"highpass_min_hz", highpass_min_hz}, {"highpass_max_hz", highpass_max_hz},
          {"telephone_prob", telephone_prob}, {"telephone_codecs", telephone_codecs},
          {"vtlp_prob", vtlp_prob},         {"vtlp_min", vtlp_min},
          {"vtlp_max", vtlp_max},
          {"gain_prob", gain_prob},         {"gain_min_db", gain_min_db},
          {"gain_max_db", gain_max_db}};
}

WaveAugmentConfig WaveAugmentConfig::from_json(const nlohmann::json& j) {
  WaveAugmentConfig c;
  JsonFields f(j, "wave_augment");
  f.get("sample_rate", c.sample_rate);
  f.get("speed_prob", c.speed_prob);
  f.get("speed_factors", c.speed_factors);
  f.get("reverb_prob", c.reverb_prob);
  f.get("rt60_min", c.rt60_min);
  f.get("rt60_max", c.rt60_max);
  f.get("drr_min_db", c.drr_min_db);
  f.get("drr_max_db", c.drr_max_db);
  f.get("noise_prob", c.noise_prob);
  f.get("snr_min_db", c.snr_min_db);
  f.get("snr_max_db", c.snr_max_db);
  f.get("noise_colours", c.noise_colours);
  f.get("lowpass_prob", c.lowpass_prob);
  f.get("lowpass_min_hz", c.lowpass_min_hz);
  f.get("lowpass_max_hz", c.lowpass_max_hz);
  f.get("highpass_prob", c.highpass_prob);
  f.get("highpass_min_hz", c.highpass_min_hz);
  f.get("highpass_max_hz", c.highpass_max_hz);
  f.get("telephone_prob", c.telephone_prob);
  f.get("telephone_codecs", c.telephone_codecs);
  f.get("vtlp_prob", c.vtlp_prob);
  f.get("vtlp_min", c.vtlp_min);
  f.get("vtlp_max", c.vtlp_max);
  f.get("gain_prob", c.gain_prob);
  f.get("gain_min_db", c.gain_min_db);
  f.get("gain_max_db", c.gain_max_db);
  f.finish();
  c.Validate();
  return c;
}

nlohmann::json WaveAugmentDraw::to_json() const {
  return {{"speed", speed},       {"rt60_s", rt60_s},           {"drr_db", drr_db},
          {"noise_colour", noise_colour}, {"snr_db", snr_db},   {"lowpass_hz", lowpass_hz},
          {"highpass_hz", highpass_hz},   {"codec", codec},     {"vtlp_warp", vtlp_warp},
          {"gain_db", gain_db},           {"limiter_scale", limiter_scale}};
}

std::vector<float> augment_waveform(const std::vector<float>& x, const WaveAugmentConfig& cfg,
                                    std::mt19937_64& rng, WaveAugmentDraw* drawn) {
  WaveAugmentDraw d;
  std::vector<float> y = x;
  const int sr = cfg.sample_rate;

  if (bernoulli(rng, cfg.speed_prob)) {
    d.speed = cfg.speed_factors[uniform_int(rng, 0, int64_t(cfg.speed_factors.size()) - 1)];
    y = speed_perturb(y, d.speed, sr);
  }
  if (bernoulli(rng, cfg.reverb_prob) && !y.empty()) {
    d.rt60_s = uniform(rng, cfg.rt60_min, cfg.rt60_max);
    d.drr_db = uniform(rng, cfg.drr_min_db, cfg.drr_max_db);
    const double before = mean_square(y);
    y = fft_convolve(y, room_impulse_response(d.rt60_s, d.drr_db, sr, rng));
    // Keep the loudness: reverberation should change the sound, not the level.
    const double after = mean_square(y);
    if (after > 0) {
      const float g = static_cast<float>(std::sqrt(before / after));
      for (float& v : y) v *= g;
    }
  }
  if (bernoulli(rng, cfg.noise_prob) && !y.empty()) {
    const auto colour = noise_colour_from_string(
        cfg.noise_colours[uniform_int(rng, 0, int64_t(cfg.noise_colours.size()) - 1)]);
    d.noise_colour = to_string(colour);
    d.snr_db = uniform(rng, cfg.snr_min_db, cfg.snr_max_db);
    add_noise_at_snr(y, coloured_noise(y.size(), colour, rng), d.snr_db);
  }
  if (bernoulli(rng, cfg.highpass_prob)) {
    d.highpass_hz = uniform(rng, cfg.highpass_min_hz, cfg.highpass_max_hz);
    highpass(y, d.highpass_hz, sr);
  }
  if (bernoulli(rng, cfg.lowpass_prob)) {
    d.lowpass_hz = uniform(rng, cfg.lowpass_min_hz, cfg.lowpass_max_hz);
    lowpass(y, d.lowpass_hz, sr);
  }
  if (bernoulli(rng, cfg.telephone_prob)) {
    const auto codec = telephone_codec_from_string(
        cfg.telephone_codecs[uniform_int(rng, 0, int64_t(cfg.telephone_codecs.size()) - 1)]);
    d.codec = to_string(codec);
    y = telephone_channel(y, codec, sr);
  }
  if (bernoulli(rng, cfg.gain_prob)) {
    d.gain_db = uniform(rng, cfg.gain_min_db, cfg.gain_max_db);
    const float g = static_cast<float>(std::pow(10.0, d.gain_db / 20.0));
    for (float& v : y) v *= g;
  }
  float peak = 0;
  for (float v : y) peak = std::max(peak, std::abs(v));
  if (peak > 1.0f) {
    d.limiter_scale = 1.0 / peak;
    for (float& v : y) v /= peak;
  }
  if (bernoulli(rng, cfg.vtlp_prob)) d.vtlp_warp = uniform(rng, cfg.vtlp_min, cfg.vtlp_max);
  if (drawn) *drawn = d;
  return y;
}

}  // namespace omnisparse
