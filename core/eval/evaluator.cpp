#include "core/eval/evaluator.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/audio/audio_io.h"
#include "core/common/progress.h"
#include "core/decode/beam_search.h"
#include "core/decode/decoder.h"

namespace omnisparse {

EvalSet EvalSet::Load(const std::vector<Utterance>& utts, const FbankConfig& fbank, bool progress) {
  EvalSet set;
  set.utts = utts;
  set.feats.reserve(utts.size());
  Progress bar("features", static_cast<int64_t>(utts.size()), progress);
  for (const auto& u : utts) {
    set.feats.push_back(compute_fbank(read_utterance_16k(u), fbank));
    set.audio_s += u.duration_s;
    bar.tick();
  }
  bar.finish();
  return set;
}

EvalSet EvalSet::head(size_t n) const {
  EvalSet s;
  n = std::min(n, utts.size());
  s.utts.assign(utts.begin(), utts.begin() + static_cast<std::ptrdiff_t>(n));
  s.feats.assign(feats.begin(), feats.begin() + static_cast<std::ptrdiff_t>(n));
  for (const auto& u : s.utts) s.audio_s += u.duration_s;
  return s;
}

std::vector<int64_t> decode_features(ModelBundle& bundle, const at::Tensor& feats,
                                     const EvalOptions& opts) {
  torch::NoGradGuard no_grad;
  const auto device = bundle.model->parameters().front().device();
  auto x = bundle.stats.apply(feats).unsqueeze(0).to(device);  // [1, T, F]
  auto lens = torch::full({1}, feats.size(0), torch::dtype(torch::kInt64).device(device));
  EncoderOutput enc = bundle.model->encode(x, lens);
  auto e = enc.enc[0].narrow(0, 0, enc.lens[0].item<int64_t>());
  if (opts.beam > 1) return beam_search(bundle.model, e, {opts.beam, opts.max_symbols_per_frame}).tokens;
  return greedy_decode(bundle.model, e, {opts.max_symbols_per_frame}).tokens;
}

EvalReport evaluate(ModelBundle& bundle, const EvalSet& set, const EvalOptions& opts) {
  torch::NoGradGuard no_grad;
  const bool was_training = bundle.model->is_training();
  bundle.model->eval();
  const auto device = bundle.model->parameters().front().device();
  const auto start = std::chrono::steady_clock::now();

  // Sorting by length keeps encoder batches compact; results go back to input order.
  std::vector<size_t> order(set.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return set.feats[a].size(0) < set.feats[b].size(0); });
  std::vector<std::vector<int64_t>> tokens(set.size());
  Progress bar("decode", static_cast<int64_t>(set.size()), opts.progress);

  size_t i = 0;
  while (i < order.size()) {
    // One encoder batch: as many utterances as fit in batch_frames (padded).
    size_t j = i + 1;
    while (j < order.size() &&
           static_cast<int64_t>(j - i + 1) * set.feats[order[j]].size(0) <= opts.batch_frames)
      ++j;
    const int64_t B = static_cast<int64_t>(j - i);
    const int64_t T = set.feats[order[j - 1]].size(0);
    auto x = torch::zeros({B, T, set.feats[order[i]].size(1)});
    auto lens = torch::empty({B}, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) {
      const at::Tensor& f = set.feats[order[i + b]];
      x[b].narrow(0, 0, f.size(0)).copy_(bundle.stats.apply(f));
      lens[b] = f.size(0);
    }
    EncoderOutput enc = bundle.model->encode(x.to(device), lens.to(device));
    if (opts.beam > 1) {
      for (int64_t b = 0; b < B; ++b) {
        auto e = enc.enc[b].narrow(0, 0, enc.lens[b].item<int64_t>());
        tokens[order[i + b]] = beam_search(bundle.model, e, {opts.beam, opts.max_symbols_per_frame}).tokens;
      }
    } else {
      auto results = greedy_decode_batch(bundle.model, enc.enc, enc.lens, {opts.max_symbols_per_frame});
      for (int64_t b = 0; b < B; ++b) tokens[order[i + b]] = std::move(results[b].tokens);
    }
    bar.tick(B);
    i = j;
  }
  bar.finish();

  EvalReport r;
  r.decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.audio_s = set.audio_s;
  r.rtf = r.audio_s > 0 ? r.decode_s / r.audio_s : 0.0;
  r.num_utts = static_cast<int64_t>(set.size());
  r.utterances.reserve(set.size());
  for (size_t k = 0; k < set.size(); ++k)
    r.utterances.push_back({set.utts[k].id, set.utts[k].text, bundle.tokenizer.decode(tokens[k])});
  r.score = score_corpus(r.utterances);
  if (was_training) bundle.model->train();
  return r;
}

}  // namespace omnisparse
