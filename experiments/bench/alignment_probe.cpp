// Alignment probe (a diagnostic, not a benchmark): for a few utterances of a subset, a run's
// RNN-T loss, the CTC head's greedy output frame by frame, RNN-T greedy decoding, and the frame
// at which each reference character is most likely emitted under the RNN-T posteriors.
//
//   build/bin/bench_alignment_probe RUN CORPUS/train [N=6] [MAX_SYMBOLS=3] [PAD=0]
//
// PAD prepends PAD copies of the first 0.2 s of audio. This is what showed that a model with a
// low loss decoded the wrong sentence: it emitted the first character at frame 0 from its prior
// (experiments/learning_curve/README.md).
#include <cstdio>
#include "core/audio/audio_io.h"
#include "core/audio/fbank.h"
#include "core/data/corpus.h"
#include "core/decode/decoder.h"
#include "core/eval/run_model.h"
#include "core/model/rnnt_loss.h"
using namespace omnisparse;
int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s RUN SUBSET_DIR [N] [MAX_SYMBOLS] [PAD]\n", argv[0]);
    return 2;
  }
  torch::set_num_threads(1);
  try {
  auto rm = RunModel::Load(argv[1]);
  auto utts = read_librispeech(argv[2]);
  int n = argc > 3 ? atoi(argv[3]) : 6;
  auto& m = rm.bundle.model;
  m->eval();
  torch::NoGradGuard ng;
  for (int i = 0; i < n; ++i) {
    auto& u = utts[i * 37 % utts.size()];
    auto w = read_audio_16k(u.audio);
    int pad = argc > 5 ? atoi(argv[5]) : 0;
    std::vector<float> head(w.begin(), w.begin() + 3200);
    for (int k = 0; k < pad; ++k) w.insert(w.begin(), head.begin(), head.end());
    auto f = rm.bundle.stats.apply(compute_fbank(w, rm.bundle.fbank)).unsqueeze(0);
    auto lens = torch::full({1}, f.size(1), torch::kLong);
    auto enc = m->encode(f, lens);
    auto toks = rm.bundle.tokenizer.encode(u.text);
    auto tg = torch::tensor(toks, torch::kLong).unsqueeze(0);
    auto sos = torch::zeros({1, 1}, torch::kLong);
    auto pred = m->predict(torch::cat({sos, tg}, 1));
    auto logits = m->joint(enc.enc, pred.pred);
    auto tl = torch::full({1}, (int64_t)toks.size(), torch::kLong);
    double loss = rnnt_loss(logits, tg, enc.lens, tl, 0, Reduction::Mean).item<double>();
    std::string ctc_hyp;
    if (m->has_ctc_head()) {
      auto a = m->ctc_logits(enc.enc)[0].argmax(-1);
      std::vector<int64_t> ids; int64_t prev = -1;
      for (int64_t t = 0; t < a.size(0); ++t) { int64_t k = a[t].item<int64_t>(); if (k != prev && k != 0) ids.push_back(k); prev = k; }
      ctc_hyp = rm.bundle.tokenizer.decode(ids);
      std::string fr;
      for (int64_t t = 0; t < a.size(0); ++t) { int64_t k = a[t].item<int64_t>(); fr += k == 0 ? std::string(".") : rm.bundle.tokenizer.decode({k}); if (k > 0 && rm.bundle.tokenizer.decode({k}).empty()) fr += "_"; }
      std::printf(" CTC frames: %s\n", fr.c_str());
    }
    auto r = greedy_decode(m, enc.enc[0], {argc > 4 ? atoi(argv[4]) : 3});
    {
      auto lp = torch::log_softmax(logits[0].to(torch::kDouble), -1);  // [T, U1, V]
      int64_t T = lp.size(0), U = toks.size();
      auto a = lp.accessor<double, 3>();
      std::vector<double> al(T * (U + 1), -1e30), be(T * (U + 1), -1e30);
      auto N = [&](int64_t t, int64_t u) { return t * (U + 1) + u; };
      auto la = [](double x, double y) { double m = std::max(x, y); return m < -1e29 ? -1e30 : m + std::log(std::exp(x - m) + std::exp(y - m)); };
      for (int64_t t = 0; t < T; ++t) for (int64_t u = 0; u <= U; ++u) {
        if (t == 0 && u == 0) { al[0] = 0; continue; }
        double x = t > 0 ? al[N(t - 1, u)] + a[t - 1][u][0] : -1e30;
        double y = u > 0 ? al[N(t, u - 1)] + a[t][u - 1][toks[u - 1]] : -1e30;
        al[N(t, u)] = la(x, y);
      }
      for (int64_t t = T - 1; t >= 0; --t) for (int64_t u = U; u >= 0; --u) {
        double d = t + 1 < T ? be[N(t + 1, u)] : (u == U ? 0.0 : -1e30);
        double r = u < U ? be[N(t, u + 1)] : -1e30;
        be[N(t, u)] = la(d + a[t][u][0], r + (u < U ? a[t][u][toks[u]] : 0));
      }
      double lpz = be[0];
      std::printf(" logp %.3f  emission frame per label:", lpz);
      for (int64_t u = 0; u < U; ++u) {
        double best = -1e30; int64_t bt = -1;
        for (int64_t t = 0; t < T; ++t) { double o = al[N(t, u)] + a[t][u][toks[u]] + be[N(t, u + 1)] - lpz; if (o > best) { best = o; bt = t; } }
        std::printf(" %ld", (long)bt);
      }
      std::printf("\n greedy frames:");
      for (auto fr : r.frames) std::printf(" %ld", (long)fr);
      std::printf("\n");
    }
    std::printf("T'=%ld U=%zu loss %.2f\n REF  %s\n CTC  %s\n RNNT %s\n", (long)enc.enc.size(1), toks.size(), loss,
                u.text.c_str(), ctc_hyp.c_str(), rm.bundle.tokenizer.decode(r.tokens).c_str());
  }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "alignment_probe: %s\n", e.what());
    return 1;
  }
}
