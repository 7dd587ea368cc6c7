#include "tests/capture/live_test_model.h"

#include <torch/torch.h>

#include "core/audio/fbank.h"

namespace omnisparse::test {

ModelBundle live_test_bundle(const std::vector<float>& audio, uint64_t seed) {
  torch::manual_seed(seed);
  TransducerConfig c;
  c.input_dim = 48;
  c.encoder_layers = 2;
  c.encoder_hidden = 64;
  c.encoder_dim = 48;
  c.predictor_embed = 16;
  c.predictor_hidden = 48;
  c.joiner_dim = 48;
  c.vocab_size = CharTokenizer().vocab_size();
  c.dropout = 0.0;
  const at::Tensor feats = compute_fbank(audio);  // [T, 80]
  FeatureStats stats(80);
  stats.accumulate(feats);
  stats.finalize();
  ModelBundle b = ModelBundle::Create(c, stats);
  Transducer m = b.model;
  m->eval();
  torch::NoGradGuard ng;
  const int64_t V = c.vocab_size;
  m->joiner->pred_proj->weight[0].zero_();
  m->joiner->pred_proj->bias[0].zero_();
  m->joiner->out->weight.mul_(6.0);
  m->joiner->out->bias.mul_(6.0);
  m->joiner->out->weight[0].zero_();
  m->joiner->out->weight[0][0] = 8.0;
  const at::Tensor x = stats.apply(feats).unsqueeze(0);  // [1, T, 80]
  auto enc = m->encode(x, torch::tensor({x.size(1)})).enc[0];  // [T/4, D]
  {
    auto u0 = m->joiner->project_enc(enc).select(1, 0);
    const double mu = u0.mean().item<double>(), sd = u0.std().item<double>();
    m->joiner->enc_proj->weight[0].mul_(2.0 / sd);
    m->joiner->enc_proj->bias[0] = (m->joiner->enc_proj->bias[0] - mu) * (2.0 / sd);
  }
  auto ep = m->joiner->project_enc(enc).unsqueeze(1);  // [T/4, 1, J]
  std::vector<torch::Tensor> preds;
  for (int64_t i = 0; i < 12; ++i) {
    auto hist = torch::randint(1, V, {1, 1 + i % 6});
    hist[0][0] = 0;
    auto pred = m->predict(hist).pred[0];  // [U+1, Dp]
    preds.push_back(pred[pred.size(0) - 1]);
  }
  auto pp = m->joiner->project_pred(torch::stack(preds)).unsqueeze(0);  // [1, 12, J]
  auto logits = m->joiner->combine(ep, pp).reshape({-1, V});
  auto margin = std::get<0>(logits.narrow(1, 1, V - 1).max(1)) - logits.select(1, 0);
  m->joiner->out->bias[0] += margin.median();
  return b;
}

}  // namespace omnisparse::test
