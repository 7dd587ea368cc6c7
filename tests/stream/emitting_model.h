// A small randomly initialised transducer that emits symbols: the blank logit depends on the
// encoder frame only, and its bias is calibrated so that blank wins about half of the
// (frame, token history) pairs; which symbol wins depends on the history.
// Decoding tests need outputs with both blanks and symbols, and ties are unlikely.
#pragma once

#include "core/eval/model_bundle.h"
#include "core/model/transducer.h"

namespace omnisparse::test {

inline TransducerConfig emitting_config(int64_t vocab = 7) {
  TransducerConfig c;
  c.input_dim = 32;
  c.encoder_layers = 2;
  c.encoder_hidden = 24;
  c.encoder_dim = 20;
  c.predictor_embed = 8;
  c.predictor_layers = 1;
  c.predictor_hidden = 16;
  c.joiner_dim = 18;
  c.vocab_size = vocab;
  c.dropout = 0.0;
  return c;
}

// Defined in emitting_model.cpp (one translation unit to recompile when tuning it).
Transducer emitting_model(uint64_t seed, int64_t vocab = 7);

// emitting_model(seed, vocab) as a bundle (the character tokenizer's 29 symbols by default),
// with feature statistics of random features, in eval mode.
ModelBundle emitting_bundle(uint64_t seed, int64_t vocab = 29);

// The calibration itself, on any model in eval mode: blank reads one frame-dependent joiner
// unit, standardised over the encoder frames of `features` ([1, T, input_dim]), and its bias
// is set at the median margin, so blank wins about half of the (frame, history) pairs there.
void make_emitting(Transducer& m, const at::Tensor& features);

}  // namespace omnisparse::test
