#include "tests/stream/emitting_model.h"

namespace omnisparse::test {

Transducer emitting_model(uint64_t seed, int64_t vocab) {
  torch::manual_seed(seed);
  Transducer m(emitting_config(vocab));
  m->eval();
  make_emitting(m, torch::randn({1, 400, 80}));
  return m;
}

ModelBundle emitting_bundle(uint64_t seed, int64_t vocab) {
  Transducer src = emitting_model(seed, vocab);
  FeatureStats stats(80);
  stats.accumulate(at::randn({50, 80}));
  stats.finalize();
  ModelBundle b = ModelBundle::Create(emitting_config(vocab), stats);
  torch::NoGradGuard ng;
  auto from = src->named_parameters();
  for (auto& p : b.model->named_parameters()) p.value().copy_(from[p.key()]);
  b.model->eval();
  return b;
}

void make_emitting(Transducer& m, const at::Tensor& features) {
  torch::NoGradGuard ng;
  const int64_t vocab = m->config().vocab_size;
  // Blank must depend on the frame, not on the history: otherwise a history after which
  // blank always wins traps greedy search for the rest of the utterance. Joiner unit 0 sees
  // only the encoder (strongly), and the blank logit reads only that unit.
  m->joiner->pred_proj->weight[0].zero_();
  m->joiner->pred_proj->bias[0].zero_();
  m->joiner->out->weight.mul_(6.0);
  m->joiner->out->bias.mul_(6.0);
  m->joiner->out->weight[0].zero_();
  m->joiner->out->weight[0][0] = 8.0;
  auto enc = m->encode(features, torch::tensor({features.size(1)})).enc[0];  // [T/4, D]
  // A random LSTM stack barely varies from frame to frame: standardise unit 0 over the
  // frames (mean 0, std 2) so that tanh of it, and so blank, swings with the frame.
  {
    auto u0 = m->joiner->project_enc(enc).select(1, 0);  // [T/4]
    const double mu = u0.mean().item<double>(), sd = u0.std().item<double>();
    m->joiner->enc_proj->weight[0].mul_(2.0 / sd);
    m->joiner->enc_proj->bias[0] = (m->joiner->enc_proj->bias[0] - mu) * (2.0 / sd);
  }
  auto ep = m->joiner->project_enc(enc).unsqueeze(1);  // [T/4, 1, J]
  // Predictor outputs after 12 random token histories of length 0..5.
  std::vector<torch::Tensor> preds;
  for (int64_t i = 0; i < 12; ++i) {
    auto hist = torch::randint(1, vocab, {1, 1 + i % 6});
    hist[0][0] = 0;
    auto pred = m->predict(hist).pred[0];  // [U+1, Dp]
    preds.push_back(pred[pred.size(0) - 1]);
  }
  auto pp = m->joiner->project_pred(torch::stack(preds)).unsqueeze(0);  // [1, 12, J]
  auto logits = m->joiner->combine(ep, pp).reshape({-1, vocab});          // [T/4 * 12, V]
  auto margin = std::get<0>(logits.narrow(1, 1, vocab - 1).max(1)) - logits.select(1, 0);
  m->joiner->out->bias[0] += margin.median();
}

}  // namespace omnisparse::test
