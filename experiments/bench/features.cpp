// Feature extraction and augmentation speed, as multiples of real time (seconds of audio per
// second of compute; baseline = real time, measured in the same run). One torch thread.
//
//   build-*/bin/bench_features [seconds_of_audio=60]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/audio/fbank.h"
#include "core/audio/wave_augment.h"
#include "core/audio/wave_effects.h"

using namespace omnisparse;

namespace {

// Best of `reps` timings of fn(), in seconds.
double best_time(int reps, const std::function<void()>& fn) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void row(const char* name, double audio_s, double compute_s) {
  std::printf("%-34s %10.1f x real time   (%.2f ms per second of audio)\n", name,
              audio_s / compute_s, 1000.0 * compute_s / audio_s);
}

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 60.0;
  const size_t n = static_cast<size_t>(seconds * 16000);
  std::mt19937_64 rng(1);
  std::vector<float> x = coloured_noise(n, NoiseColour::kPink, rng);
  for (size_t i = 0; i < n; ++i) x[i] = 0.1f * x[i] + 0.3f * float(std::sin(0.15 * double(i)));

  std::printf("audio: %.0f s at 16 kHz, 1 thread\n", seconds);
  const FbankConfig cfg;
  compute_fbank(x, cfg);  // warm-up: tables, FFT plans
  const double t_fft = best_time(3, [&] { compute_fbank(x, cfg); });
  std::printf("fbank: %.0f x real time\n\n", seconds / t_fft);
  row("fbank (at::fft_rfft, default)", seconds, t_fft);
  const double t_mm = best_time(3, [&] {
    compute_fbank_raw(x.data(), int64_t(x.size()), cfg, 0, SpectrumMethod::kMatmul);
  });
  row("fbank (matmul with DFT basis)", seconds, t_mm);

  const double t_online = best_time(3, [&] {
    OnlineFbank online(cfg);
    for (size_t i = 0; i < n; i += 1600) {  // 100 ms chunks
      online.accept_waveform(x.data() + i, std::min<size_t>(1600, n - i));
      online.pop_frames();
    }
  });
  row("OnlineFbank, 100 ms chunks", seconds, t_online);

  // Augmentation on 10 s utterances (reverb FFT size grows with length).
  const std::vector<float> utt(x.begin(), x.begin() + std::min<size_t>(n, 160000));
  const double utt_s = utt.size() / 16000.0;
  auto time_aug = [&](const char* name, const WaveAugmentConfig& c) {
    std::mt19937_64 r(7);
    const int reps = 10;
    const double t = best_time(1, [&] {
      for (int i = 0; i < reps; ++i) augment_waveform(utt, c, r);
    });
    row(name, utt_s * reps, t);
  };
  time_aug("augment_waveform (default config)", WaveAugmentConfig{});
  auto only = [](auto set) {
    WaveAugmentConfig c = WaveAugmentConfig::none();
    set(c);
    return c;
  };
  time_aug("  speed perturbation only", only([](auto& c) {
             c.speed_prob = 1;
             c.speed_factors = {1.1};
           }));
  time_aug("  reverb only (RT60 0.6 s)", only([](auto& c) {
             c.reverb_prob = 1;
             c.rt60_min = c.rt60_max = 0.6;
           }));
  time_aug("  noise only", only([](auto& c) { c.noise_prob = 1; }));
  time_aug("  low-pass + high-pass only", only([](auto& c) { c.lowpass_prob = c.highpass_prob = 1; }));
  return 0;
}
