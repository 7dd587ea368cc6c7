// Streaming sample-rate conversion of mono float audio (soxr), for microphone input that
// arrives in pieces: feed each piece as it comes, get the converted samples that are ready,
// and flush() at the end for the filter's tail. The concatenated output equals, within soxr's
// filter precision, what resample() in core/audio/audio_io.h gives for the whole buffer.
//
//   StreamResampler rs(48000, 16000);
//   while (mic) append(out16k, rs.process(piece.data(), piece.size()));
//   append(out16k, rs.flush());
//
// Runs in the consumer (worker) thread, never in an audio callback: soxr allocates and filters.
// One object per stream; not thread-safe. Equal rates pass samples through unchanged.
#pragma once

#include <cstddef>
#include <vector>

struct soxr;

namespace omnisparse {

class StreamResampler {
 public:
  StreamResampler(double in_rate, double out_rate);
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;

  double in_rate() const { return in_rate_; }
  double out_rate() const { return out_rate_; }

  // Converts n input samples; appends what is ready to `out` (soxr delays a few ms).
  void process(const float* in, size_t n, std::vector<float>& out);
  std::vector<float> process(const float* in, size_t n);

  // End of input: the samples still held in the filter. Further process() calls start a new
  // stream (the filter state is reset).
  std::vector<float> flush();

 private:
  double in_rate_;
  double out_rate_;
  soxr* soxr_ = nullptr;  // null when the rates are equal
};

}  // namespace omnisparse
