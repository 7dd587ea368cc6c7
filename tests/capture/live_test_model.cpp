#include "tests/capture/live_test_model.h"

#include <torch/torch.h>

#include "core/audio/fbank.h"
#include "tests/stream/emitting_model.h"

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
  make_emitting(m, stats.apply(feats).unsqueeze(0));  // calibrated on this recording's frames
  return b;
}

}  // namespace omnisparse::test
