// Kaldi-compatible log-mel filterbank features: what the encoder consumes.
//
//   std::vector<float> x = read_audio_16k("a.flac");
//   at::Tensor feats = compute_fbank(x);            // [T, 80] float32, T = (N + 80) / 160
//
//   OnlineFbank online;                             // streaming: same frames, bit for bit
//   online.accept_waveform(chunk.data(), chunk.size());
//   at::Tensor ready = online.pop_frames();         // [n, 80], n = online.num_frames_ready()
//   online.input_finished();                        // the last frames (mirrored end)
//
// The defaults are kaldi-native-fbank's as sherpa-onnx sets it up (samples in [-1, 1], dither 0,
// filters 20 Hz .. 7.6 kHz, snip_edges false), so a model trained on them hears exactly what it
// hears inside sherpa-onnx (docs/DESIGN.md, "Exports"):
// - Input is float in [-1, 1] and is multiplied by `input_scale` = 32768 first, because Kaldi
//   reads WAV files as int16 values; every log energy is then 2 ln 32768 above the [-1, 1]
//   scale's (the sherpa-onnx export adds that constant inside its encoder).
// - Frames: 25 ms (400 samples) every 10 ms (160). snip_edges false (default): (N + 80) / 160
//   frames, frame t centred at sample 160 t + 80 (it starts at 160 t - 120), samples before the
//   start and, once the input is finished, after the end mirrored (Kaldi's convention).
//   snip_edges true (models saved before the default changed): whole frames only, 1 + (N - 400)
//   / 160 of them, frame t covers [160 t, 160 t + 400). Either way frames are independent of each
//   other, which is why OnlineFbank reproduces compute_fbank exactly by buffering the tail.
// - Per frame: (dither) -> remove DC offset -> pre-emphasis 0.97 (x[0] -= 0.97 x[0]) -> povey
//   window (Hann^0.85) -> zero-pad to 512 -> power spectrum |X|^2 -> 80 triangular mel filters
//   (mel = 1127 ln(1 + f/700), low_freq .. high_freq, the Nyquist bin unused as in Kaldi) ->
//   log(max(energy, mel_floor * input_scale^2)). The floor is FLT_EPSILON on the [-1, 1] scale
//   (kaldi-native-fbank's), so digital silence gives ln(FLT_EPSILON) + 2 ln 32768 = 4.8520.
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
  bool snip_edges = false;      // false: centred frames, mirrored edges (sherpa-onnx's framing)
  double input_scale = 32768.0; // [-1, 1] floats -> int16 range, like Kaldi
  // Floor of every mel energy before the log, on the [-1, 1] sample scale (applied as
  // mel_floor * input_scale^2). FLT_EPSILON: kaldi-native-fbank fed [-1, 1] samples. A saved
  // front end without this key floored at FLT_EPSILON on the int16 scale: from_json reads it as
  // FLT_EPSILON / input_scale^2, so old models keep their features bit for bit.
  double mel_floor = kMelFloor;
  static constexpr double kMelFloor = 1.1920928955078125e-07;  // FLT_EPSILON
  // Vocal-tract-length warp of the mel filters (Kaldi's VTLN: filter edges between 100 Hz and
  // high_freq - 500 Hz move by 1 / vtln_warp, the ends stay). 1: none. Training draws it per
  // utterance (WaveAugmentConfig::vtlp_*); saved models keep 1.
  double vtln_warp = 1.0;

  int frame_length() const;     // samples per frame (400)
  int frame_shift() const;      // samples between frames (160)
  int padded_length() const;    // FFT size: next power of two >= frame_length (512)
  double effective_high_freq() const;  // high_freq resolved against Nyquist, in Hz
  // Frames compute_fbank gives for n samples: snip_edges false: (n + shift/2) / shift;
  // true: 0 if n < frame_length, else 1 + (n - frame_length) / frame_shift.
  int64_t num_frames(int64_t num_samples) const;
  // First sample of frame t: t * shift, minus (frame_length - shift) / 2 without snip_edges.
  int64_t first_sample(int64_t frame) const;

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  // A saved front end (model and checkpoint metadata): a key it lacks predates the key (see
  // mel_floor). validated.
  static FbankConfig from_json(const nlohmann::json& j);
  // A user's settings (a training config's "fbank" block): missing keys take today's defaults.
  static FbankConfig from_settings_json(const nlohmann::json& j);
  bool operator==(const FbankConfig&) const = default;
};

// [T, num_mel_bins] float32 log-mel energies of 16 kHz (cfg.sample_rate) mono samples.
at::Tensor compute_fbank(const std::vector<float>& samples, const FbankConfig& cfg = {});

// [padded_length/2 + 1, num_mel_bins] triangular mel weights (float32): row k is FFT bin k.
at::Tensor mel_filterbank(const FbankConfig& cfg);

// How the power spectrum is computed. kFft (at::fft_rfft) is the default: it measured faster
// than a matmul with a precomputed [400, 2*257] DFT basis (experiments/bench/features.cpp), and
// its per-frame results do not depend on how many frames are batched, which OnlineFbank's
// exactness needs. kMatmul goes through BLAS, whose results for a row change with the row count.
enum class SpectrumMethod { kFft, kMatmul };

// The whole frames of `num_samples` samples starting at `samples` (1 + (n - frame_length) /
// frame_shift of them, whatever cfg.snip_edges says: the caller lays the samples out), numbering
// the first `first_frame` (for dither seeding), with an explicit spectrum method. For
// compute_fbank, OnlineFbank, tests and the benchmark.
at::Tensor compute_fbank_raw(const float* samples, int64_t num_samples, const FbankConfig& cfg,
                             int64_t first_frame = 0, SpectrumMethod method = SpectrumMethod::kFft);

// Streaming front end. Feed any chunk sizes; the frames popped, concatenated, followed by those
// popped after input_finished(), equal compute_fbank on the concatenated audio exactly. Before
// the input is finished a frame is ready once its last sample has arrived (without snip_edges
// the last frames reach past the end and wait for input_finished, which mirrors the end as
// Kaldi does). Only the unfinished tail (< 400 samples plus the samples of frames not yet
// popped) is buffered.
class OnlineFbank {
 public:
  explicit OnlineFbank(const FbankConfig& cfg = {});

  // Throws InvalidArgument after input_finished() (reset() starts a new utterance).
  void accept_waveform(const float* samples, size_t n);
  // No more audio: the frames that reach past the end become ready.
  void input_finished();
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
  std::vector<float> buffer_;  // samples from buffer_start_ on
  int64_t buffer_start_ = 0;   // absolute index of buffer_[0]
  int64_t samples_ = 0;        // samples accepted
  int64_t frames_popped_ = 0;
  bool finished_ = false;
};

}  // namespace omnisparse
