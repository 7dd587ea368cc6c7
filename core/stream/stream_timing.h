// How fast a model streams on this machine: the real-time factor and the compute latency per
// chunk of the streaming recognizer (sparse kernels on the CPU, the way `transcribe` and the
// live panel run it), measured on a few utterances of an evaluation set.
//
//   StreamTiming t = measure_streaming(rm.bundle, dev, {});   // masks of the sub-network set
//   t.rtf;  t.chunk_ms;  t.kernels;                          // 0.004, 1.3 ms, "kernels: 5 sparse / 7 dense layers"
//
// `omnisparse pareto` stores these in results.h5 (rtf, latency_ms), so the workbench's Pareto
// table shows what a sub-network costs when it streams, next to its size. chunk_ms is the time
// one decode() of a full chunk takes: what the recognizer adds to the end-of-speech latency on
// top of the chunk length itself.
#pragma once

#include <string>

#include "core/eval/evaluator.h"
#include "core/eval/model_bundle.h"
#include "core/io/results_store.h"
#include "core/stream/streaming_recognizer.h"

namespace omnisparse {

struct StreamTimingOptions {
  int max_utterances = 8;   // the first N of the set (enough for a stable median, cheap)
  StreamingOptions stream;  // chunk size, kernels (default: 320 ms, sparse kernels on CPU)
};

struct StreamTiming {
  double rtf = 0;          // decode wall time / audio duration
  double chunk_ms = 0;     // median wall time of one full-chunk decode(), ms
  double audio_s = 0;      // audio streamed
  int utterances = 0;
  int chunks = 0;          // full-chunk decode() calls timed
  std::string kernels;     // StreamingRecognizer::kernels_description()
  int64_t kernel_nnz = -1; // non-zero weights of the matrices the kernels ran (-1: torch path)
};

// Streams the first utterances of `set` through a recognizer built on `bundle` as it is now
// (its current masks). Throws InvalidArgument for an empty set.
StreamTiming measure_streaming(ModelBundle& bundle, const EvalSet& set,
                               const StreamTimingOptions& options = {});

// The hook `pareto` gives ParetoJobConfig::stream_timing: row.rtf = streaming RTF,
// row.latency_ms = median compute time per chunk (default options).
void time_subnet_streaming(ModelBundle& bundle, const EvalSet& set, SubnetResult& row);

}  // namespace omnisparse
