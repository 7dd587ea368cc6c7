// Kaldi-compatible log-mel filterbank features: what the encoder consumes.
//
//   std::vector<float> x = read_audio_16k("a.flac");
//   at::Tensor feats = compute_fbank(x);            // [T, 80] float32, T = 1 + (N - 400) / 160
//
//   OnlineFbank online;                             // streaming: same frames, bit for bit
//   online.accept_waveform(chunk.data(), chunk.size());
//   at::Tensor ready = online.pop_frames();         // [n, 80], n = online.num_frames_ready()
//
// Conventions (Kaldi `compute-fbank-feats` defaults, except dither = 0):
// - Input is float in [-1, 1] and is multiplied by `input_scale` = 32768 first, because Kaldi
//   reads WAV files as int16 values; with that scale our features match Kaldi's numerically
//   (a full-scale sine gives the same log-energies as in Kaldi, and the log floor sits at the
//   same relative level).
// - Frames: 25 ms (400 samples) every 10 ms (160), snip_edges: only whole frames, so frame t
//   covers samples [160 t, 160 t + 400). Frames are independent of each other, which is why
//   OnlineFbank can reproduce compute_fbank exactly by buffering the tail.
// - Per frame: (dither) -> remove DC offset -> pre-emphasis 0.97 (x[0] -= 0.97 x[0]) -> povey
//   window (Hann^0.85) -> zero-pad to 512 -> power spectrum |X|^2 -> 80 triangular mel filters
//   (mel = 1127 ln(1 + f/700), 20 Hz .. Nyquist, the Nyquist bin unused as in Kaldi) ->
//   log(max(energy, FLT_EPSILON)). Digital silence therefore gives log(FLT_EPSILON) = -15.9424.
// - Dither, when > 0, adds Gaussian noise (stddev `dither`, in int16 units) drawn from a
//   generator seeded by (dither_seed, absolute frame index): reproducible and still identical
//   between offline and online extraction.
//
// Thread-safety: compute_fbank is reentrant; an OnlineFbank belongs to one thread.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace omnisparse {

struct FbankConfig {
  int sample_rate = 16000;
  int num_mel_bins = 80;
  double frame_length_ms = 25.0;
  double frame_shift_ms = 10.0;
  double preemph_coeff = 0.97;
  bool remove_dc_offset = true;
  double dither = 0.0;          // int16 units; 0 at inference (and by default)
  uint64_t dither_seed = 0;
  double low_freq = 20.0;       // Hz
  double high_freq = -400.0;    // Hz; <= 0 means Nyquist + high_freq (Kaldi's convention):
                                // 7600 Hz at 16 kHz, as sherpa-onnx's front end
  bool snip_edges = true;       // only true is supported (streaming needs whole frames)
  double input_scale = 32768.0; // [-1, 1] floats -> int16 range, like Kaldi
  // Vocal-tract-length warp of the mel filters (Kaldi's VTLN: filter edges between 100 Hz and
  // high_freq - 500 Hz move by 1 / vtln_warp, the ends stay). 1: none. Training draws it per
  // utterance (WaveAugmentConfig::vtlp_*); saved models keep 1.
  double vtln_warp = 1.0;

  int frame_length() const;     // samples per frame (400)
  int frame_shift() const;      // samples between frames (160)
  int padded_length() const;    // FFT size: next power of two >= frame_length (512)
  double effective_high_freq() const;  // high_freq resolved against Nyquist, in Hz
  // Frames in n samples: 0 if n < frame_length, else 1 + (n - frame_length) / frame_shift.
  int64_t num_frames(int64_t num_samples) const;

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  static FbankConfig from_json(const nlohmann::json& j);  // validated
  bool operator==(const FbankConfig&) const = default;
};

// [T, num_mel_bins] float32 log-mel energies of 16 kHz (cfg.sample_rate) mono samples.
at::Tensor compute_fbank(const std::vector<float>& samples, const FbankConfig& cfg = {});

// The same features framed as Kaldi's snip_edges=false (kaldi-native-fbank as sherpa-onnx sets
// it up): (n + shift/2) / shift frames, frame i centred at sample i*shift + shift/2, samples
// beyond either end mirrored. cfg.snip_edges is ignored. Offline only (OnlineFbank keeps
// snip_edges=true); used to compare with sherpa-onnx's front end exactly.
at::Tensor compute_fbank_centered(const std::vector<float>& samples, const FbankConfig& cfg = {});

// [padded_length/2 + 1, num_mel_bins] triangular mel weights (float32): row k is FFT bin k.
at::Tensor mel_filterbank(const FbankConfig& cfg);

// How the power spectrum is computed. kFft (at::fft_rfft) is the default: it measured faster
// than a matmul with a precomputed [400, 2*257] DFT basis (experiments/bench/features.cpp), and
// its per-frame results do not depend on how many frames are batched, which OnlineFbank's
// exactness needs. kMatmul goes through BLAS, whose results for a row change with the row count.
enum class SpectrumMethod { kFft, kMatmul };

// compute_fbank over `num_samples` samples starting at `samples`, numbering its first frame
// `first_frame` (for dither seeding), with an explicit spectrum method. For OnlineFbank, tests
// and the benchmark.
at::Tensor compute_fbank_raw(const float* samples, int64_t num_samples, const FbankConfig& cfg,
                             int64_t first_frame = 0, SpectrumMethod method = SpectrumMethod::kFft);

// Streaming front end. Feed any chunk sizes; the frames popped, concatenated, equal
// compute_fbank on the concatenated audio exactly. Only the unfinished tail (< 400 samples
// plus the samples of frames not yet popped) is buffered.
class OnlineFbank {
 public:
  explicit OnlineFbank(const FbankConfig& cfg = {});

  void accept_waveform(const float* samples, size_t n);
  // Frames that pop_frames() would return now.
  int num_frames_ready() const;
  // [num_frames_ready(), num_mel_bins]; possibly [0, num_mel_bins].
  at::Tensor pop_frames();
  // Frames popped since construction or reset().
  int64_t frames_popped() const { return frames_popped_; }
  // Forget all audio (a new utterance).
  void reset();
  const FbankConfig& config() const { return cfg_; }

 private:
  FbankConfig cfg_;
  std::vector<float> buffer_;  // starts at sample frames_popped_ * frame_shift
  int64_t frames_popped_ = 0;
};

}  // namespace omnisparse
