// Waveform augmentation for training: what lets a model trained on synthetic voices survive a
// real microphone in a real room. Applied to 16 kHz mono audio before features.
//
//   WaveAugmentConfig cfg;                    // every effect has a probability and a range
//   std::mt19937_64 rng(seed);
//   WaveAugmentDraw drawn;                    // optional: what was applied (logs, tests)
//   std::vector<float> y = augment_waveform(x, cfg, rng, &drawn);
//
// The chain, each step applied with its own probability:
//   speed perturbation (factor from speed_factors; length / factor, pitch * factor)
//   -> room reverberation (synthetic exponentially decaying IR, RT60 and direct-to-reverberant
//      ratio drawn; FFT convolution)
//   -> additive noise (white, pink or brown, SNR drawn in dB against the whole signal)
//   -> band-limiting (high-pass ~100-300 Hz and/or low-pass ~3.4-7 kHz: a phone or laptop mic)
//   -> a telephone line (300-3400 Hz at 8 kHz through a G.711 or GSM codec, back to 16 kHz)
//   -> random gain (dB); if the peak then exceeds 1 it is scaled to 1, like a recorder's limiter.
// Vocal-tract-length perturbation (VTLP, Jaitly & Hinton 2013) is drawn here but acts on the
// features: the caller passes drawn.vtlp_warp to the filterbank (FbankConfig::vtln_warp), which
// moves the mel filters' edges by Kaldi's piecewise-linear VTLN warp, so formants move and the
// pitch and tempo stay.
// Deterministic given the rng state; a step with probability 0 draws nothing, so enabling one
// step leaves the draws of a config without it unchanged. Building blocks are in wave_effects.h.
#pragma once

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

namespace omnisparse {

struct WaveAugmentConfig {
  int sample_rate = 16000;

  double speed_prob = 0.6;
  std::vector<double> speed_factors = {0.9, 1.0, 1.1};

  double reverb_prob = 0.3;
  double rt60_min = 0.1, rt60_max = 0.6;  // seconds
  double drr_min_db = 0.0, drr_max_db = 12.0;

  double noise_prob = 0.5;
  double snr_min_db = 5.0, snr_max_db = 30.0;
  std::vector<std::string> noise_colours = {"white", "pink", "brown"};

  double lowpass_prob = 0.3;
  double lowpass_min_hz = 3400.0, lowpass_max_hz = 7000.0;
  double highpass_prob = 0.3;
  double highpass_min_hz = 100.0, highpass_max_hz = 300.0;

  double telephone_prob = 0.0;
  std::vector<std::string> telephone_codecs = {"ulaw", "alaw", "gsm"};

  double vtlp_prob = 0.0;
  double vtlp_min = 0.9, vtlp_max = 1.1;  // warp factor (1: none)

  double gain_prob = 0.5;
  double gain_min_db = -12.0, gain_max_db = 6.0;

  // A config that changes nothing (all probabilities 0): evaluation, or a base to enable one.
  static WaveAugmentConfig none();

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  static WaveAugmentConfig from_json(const nlohmann::json& j);  // validated
  bool operator==(const WaveAugmentConfig&) const = default;
};

// What augment_waveform drew. A field at its neutral value means the step was skipped.
struct WaveAugmentDraw {
  double speed = 1.0;
  double rt60_s = 0.0;       // 0: no reverberation
  double drr_db = 0.0;
  std::string noise_colour;  // empty: no noise
  double snr_db = 0.0;
  double lowpass_hz = 0.0;   // 0: none
  double highpass_hz = 0.0;  // 0: none
  std::string codec;         // empty: no telephone line
  double vtlp_warp = 1.0;    // for the filterbank; 1: none
  double gain_db = 0.0;
  double limiter_scale = 1.0;  // < 1 when the limiter acted
  nlohmann::json to_json() const;
};

std::vector<float> augment_waveform(const std::vector<float>& x, const WaveAugmentConfig& cfg,
                                    std::mt19937_64& rng, WaveAugmentDraw* drawn = nullptr);

}  // namespace omnisparse
