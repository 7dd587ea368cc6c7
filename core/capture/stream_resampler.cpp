#include "core/capture/stream_resampler.h"

#include <soxr.h>

#include <cmath>
#include <string>

#include "core/common/error.h"

namespace omnisparse {

StreamResampler::StreamResampler(double in_rate, double out_rate)
    : in_rate_(in_rate), out_rate_(out_rate) {
  if (!(in_rate > 0) || !(out_rate > 0))
    throw InvalidArgument("StreamResampler: rates must be positive (got " +
                          std::to_string(in_rate) + " -> " + std::to_string(out_rate) + ")");
  if (in_rate == out_rate) return;
  // Same quality as the whole-buffer resample() so that live and file input match.
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = nullptr;
  soxr_ = soxr_create(in_rate, out_rate, 1, &err, &io, &quality, nullptr);
  if (err || !soxr_)
    throw Error(std::string("StreamResampler: soxr_create failed: ") + (err ? err : "null"));
}

StreamResampler::~StreamResampler() {
  if (soxr_) soxr_delete(soxr_);
}

void StreamResampler::process(const float* in, size_t n, std::vector<float>& out) {
  // soxr reads a null input pointer as end-of-stream, and an empty vector's data() may be
  // null: an empty piece must never reach soxr_process.
  if (n == 0) return;
  if (!soxr_) {
    out.insert(out.end(), in, in + n);
    return;
  }
  // soxr may not consume all input in one call when the output space runs out: loop.
  size_t offset = 0;
  do {
    const size_t room = static_cast<size_t>(std::ceil((n - offset) * out_rate_ / in_rate_)) + 64;
    const size_t start = out.size();
    out.resize(start + room);
    size_t idone = 0, odone = 0;
    soxr_error_t err =
        soxr_process(soxr_, in + offset, n - offset, &idone, out.data() + start, room, &odone);
    out.resize(start + odone);
    if (err) throw Error(std::string("StreamResampler: soxr_process failed: ") + err);
    offset += idone;
    if (idone == 0 && odone == 0) break;  // nothing moved: soxr holds the rest internally
  } while (offset < n);
}

std::vector<float> StreamResampler::process(const float* in, size_t n) {
  std::vector<float> out;
  process(in, n, out);
  return out;
}

std::vector<float> StreamResampler::flush() {
  std::vector<float> out;
  if (!soxr_) return out;
  // A null input marks the end; soxr then drains its delay line over one or more calls.
  for (;;) {
    const size_t start = out.size();
    const size_t room = 4096;
    out.resize(start + room);
    size_t odone = 0;
    soxr_error_t err = soxr_process(soxr_, nullptr, 0, nullptr, out.data() + start, room, &odone);
    out.resize(start + odone);
    if (err) throw Error(std::string("StreamResampler: soxr flush failed: ") + err);
    if (odone == 0) break;
  }
  soxr_clear(soxr_);
  return out;
}

}  // namespace omnisparse
