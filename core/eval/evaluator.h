// Evaluating a recognizer (or a sub-network of the supernet: set its masks first) on a set of
// utterances: decode, score WER/CER with I/D/S against the references, and time the decoding.
// The trainer's periodic dev evaluation, `omnisparse eval` and `omnisparse pareto` all call
// evaluate(), so every number in the product comes from one code path.
//
//   EvalSet dev = EvalSet::Load(read_librispeech(resolve_subset(dir, "dev")), bundle.fbank, true);
//   ranks.apply(bundle.model->prunable_layers(), config);     // a sub-network
//   EvalReport r = evaluate(bundle, dev, {.beam = 4});
//   r.score.words.rate();   r.rtf;
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "core/audio/fbank.h"
#include "core/data/corpus.h"
#include "core/eval/model_bundle.h"
#include "core/eval/wer.h"

namespace omnisparse {

// Utterances with their (unnormalised) log-mel features computed once.
struct EvalSet {
  std::vector<Utterance> utts;
  std::vector<at::Tensor> feats;  // [T_i, 80] each
  double audio_s = 0;

  static EvalSet Load(const std::vector<Utterance>& utts, const FbankConfig& fbank, bool progress);
  // The first n utterances (a fixed subset for search fitness).
  EvalSet head(size_t n) const;
  size_t size() const { return utts.size(); }
};

struct EvalOptions {
  int beam = 0;                   // 0 or 1: greedy; > 1: beam search (core/decode/beam_search.h)
  int max_symbols_per_frame = 3;  // greedy and beam search
  int64_t batch_frames = 20000;   // encoder batching (frames per batch)
  bool progress = false;
};

struct EvalReport {
  CorpusScore score;
  std::vector<ScoredUtterance> utterances;  // id, ref, hyp
  double audio_s = 0;
  double decode_s = 0;  // wall time of feature normalisation + encoder + search
  double rtf = 0;       // decode_s / audio_s on this machine, one thread
  int64_t num_utts = 0;
};

// Decodes every utterance with the model as it is (masks set by the caller), in eval mode.
EvalReport evaluate(ModelBundle& bundle, const EvalSet& set, const EvalOptions& opts);

// Decodes a single utterance's features [T, 80] (unnormalised) to token ids.
std::vector<int64_t> decode_features(ModelBundle& bundle, const at::Tensor& feats,
                                     const EvalOptions& opts);

}  // namespace omnisparse
