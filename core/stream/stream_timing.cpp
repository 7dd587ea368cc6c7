#include "core/stream/stream_timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/common/error.h"

namespace omnisparse {

StreamTiming measure_streaming(ModelBundle& bundle, const EvalSet& set,
                               const StreamTimingOptions& options) {
  if (set.size() == 0) throw InvalidArgument("measure_streaming: the evaluation set is empty");
  using Clock = std::chrono::steady_clock;
  // Text is not needed for timing; the token search runs all the same.
  StreamingRecognizer rec(bundle.model, [](const std::vector<int64_t>&) { return std::string(); },
                          options.stream, [&bundle](const at::Tensor& f) { return bundle.stats.apply(f); });
  StreamTiming t;
  t.kernels = rec.kernels_description();
  if (const SparseTransducer* e = rec.engine()) {
    t.kernel_nnz = 0;
    for (const auto& l : e->layers()) t.kernel_nnz += l.nnz;
  }
  const int64_t chunk = options.stream.chunk_frames();
  const size_t n = std::min(set.size(), static_cast<size_t>(std::max(1, options.max_utterances)));
  std::vector<double> chunk_s;
  double total_s = 0;
  for (size_t i = 0; i < n; ++i) {
    const at::Tensor& f = set.feats[i];  // [T, F]
    auto stream = rec.create_stream();
    for (int64_t s = 0; s < f.size(0); s += chunk) {
      const int64_t len = std::min(chunk, f.size(0) - s);
      stream->accept_features(f.narrow(0, s, len));
      if (len == chunk && stream->is_ready()) {
        const auto t0 = Clock::now();
        stream->decode();
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        chunk_s.push_back(dt);
        total_s += dt;
      }
    }
    stream->input_finished();
    const auto t0 = Clock::now();
    stream->decode();
    total_s += std::chrono::duration<double>(Clock::now() - t0).count();
    t.audio_s += static_cast<double>(f.size(0)) * options.stream.frame_shift_ms / 1000.0;
    ++t.utterances;
  }
  t.chunks = static_cast<int>(chunk_s.size());
  t.rtf = t.audio_s > 0 ? total_s / t.audio_s : 0.0;
  if (!chunk_s.empty()) {
    std::nth_element(chunk_s.begin(), chunk_s.begin() + chunk_s.size() / 2, chunk_s.end());
    t.chunk_ms = 1000.0 * chunk_s[chunk_s.size() / 2];
  }
  return t;
}

void time_subnet_streaming(ModelBundle& bundle, const EvalSet& set, SubnetResult& row) {
  const StreamTiming t = measure_streaming(bundle, set);
  row.rtf = t.rtf;
  row.latency_ms = t.chunks > 0 ? t.chunk_ms : NAN;
}

}  // namespace omnisparse
