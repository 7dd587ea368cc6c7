// Where speech starts in an utterance, from its log-mel features: the first frame whose total
// energy comes within `below_peak_db` of the utterance's loud frames (the 90th percentile of
// the frame energies, so one click does not set the scale).
//
//   int64_t f = speech_onset_frame(compute_fbank(samples, fbank));  // 10 ms frame index
//
// The trainer forbids label emissions before it (docs/DESIGN.md section 3): a transducer that
// may emit in the leading silence learns to announce the corpus's most common first word there,
// from its prior, before it has heard anything. Errors lean early: noise above the threshold
// (a low SNR) gives frame 0, that is no restriction at all.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace omnisparse {

inline constexpr double kOnsetBelowPeakDb = 30.0;

// logmel: [T, bins] natural-log mel energies (core/audio/fbank.h), T >= 0. Returns a frame in
// [0, T) (0 for an empty input).
int64_t speech_onset_frame(const at::Tensor& logmel, double below_peak_db = kOnsetBelowPeakDb);

}  // namespace omnisparse
