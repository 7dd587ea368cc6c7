// A randomly initialised model bundle that emits tokens on real speech features, for live
// transcription tests (no trained run needed): tests/stream's make_emitting calibrated on the
// fbank features of a given recording, with feature statistics from that recording.
#pragma once

#include <cstdint>
#include <vector>

#include "core/eval/model_bundle.h"

namespace omnisparse::test {

ModelBundle live_test_bundle(const std::vector<float>& calibration16k, uint64_t seed);

}  // namespace omnisparse::test
