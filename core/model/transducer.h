// The streaming RNN-T built from maskable layers (DESIGN.md sections 2-3).
//
//   Transducer model(preset("tiny"));
//   auto [enc, enc_lens] = model->encode(feats, feat_lens);  // [B, T, 80] -> [B, T/4, D]
//   auto [pred, _] = model->predict(tokens_with_leading_blank);  // [B, U+1] -> [B, U+1, Dp]
//   auto logits = model->joint(enc, pred);                    // [B, T/4, U+1, V] for the loss
//   for (auto& l : model->prunable_layers()) ...             // what the sparsity engine masks
//
// Pipeline: stack 4 frames ([B, T, 80] -> [B, floor(T/4), 320]; the last T mod 4 frames are
// dropped, in streaming too) -> input_proj (Linear, not pruned) -> masked LSTM encoder ->
// encoder_proj (prunable) -> enc. Predictor: embedding (not pruned; blank = 0 is also the
// start symbol) -> masked LSTM, or with model.predictor "stateless": the embeddings of the last
// context_size tokens (blanks before the start), concatenated -> predictor_context (prunable
// Linear) -> ReLU. Joiner: see joiner.h. Optional CTC head (Linear on enc, not
// pruned: training only) when config.ctc_weight > 0.
//
// Prunable layers, in this stable order (names -> parameters):
//   encoder.lstm<l>.w_ih / .w_hh  -> encoder.weight_ih_l<l> / encoder.weight_hh_l<l>
//   encoder.proj                  -> encoder_proj.weight
//   predictor.lstm<l>.w_ih / .w_hh-> predictor.weight_ih_l<l> / predictor.weight_hh_l<l>
//   (stateless instead) predictor.context -> predictor_context.weight
//   joiner.enc_proj, joiner.pred_proj, joiner.out -> joiner.<same>.weight
//
// Streaming: encode_chunk() over any split of the frames gives the same encoder frames as
// encode() on the whole utterance (call model->eval() first: dropout would differ).
// Device-agnostic: move with model->to(device); inputs must be on the same device.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <tuple>

#include "core/model/joiner.h"
#include "core/model/masked_linear.h"
#include "core/model/masked_lstm.h"
#include "core/model/prunable.h"
#include "core/model/transducer_config.h"

namespace omnisparse {

struct EncoderOutput {
  torch::Tensor enc;   // [B, T', D]
  torch::Tensor lens;  // [B] int64, floor(feat_len / frame_stacking)
};

// The predictor's state after the last token. LSTM predictor: h, c [L, B, Hp]. Stateless
// predictor: h holds the last context_size - 1 tokens [1, B, context_size - 1] (int64) and c is
// empty [1, B, 0], so decoders select, concatenate and narrow states along dimension 1 alike.
struct PredictorOutput {
  torch::Tensor pred;  // [B, U+1, Dp]
  LSTMState state;
};

// What the encoder carries between chunks of one utterance.
struct EncoderStreamState {
  std::optional<LSTMState> lstm;  // [L, 1, H]; empty before the first encoder frame
  torch::Tensor pending;          // [k, feat_dim], k < frame_stacking: frames not yet stacked
  int64_t frames_out = 0;         // encoder frames produced so far
};

class TransducerImpl : public torch::nn::Module {
 public:
  explicit TransducerImpl(const TransducerConfig& config);

  // feats [B, T, F] (padded), feat_lens [B] int64 -> enc [B, floor(T/4), D], lens.
  EncoderOutput encode(const torch::Tensor& feats, const torch::Tensor& feat_lens);

  // feats [1, t, F] (any t >= 0) -> enc [1, t', D] with the frames now complete.
  torch::Tensor encode_chunk(const torch::Tensor& feats, EncoderStreamState& state);

  // tokens [B, U+1] int64 with a leading blank; state defaults to zeros.
  PredictorOutput predict(const torch::Tensor& tokens, const std::optional<LSTMState>& state = {});

  // enc [B, T', D], pred [B, U+1, Dp] -> logits [B, T', U+1, V]
  torch::Tensor joint(const torch::Tensor& enc, const torch::Tensor& pred);

  // enc [B, T', D] -> [B, T' * k, V] unnormalised CTC logits (blank = 0), k = ctc_upsample
  // (encoder frame t gives CTC frames t*k .. t*k+k-1). Throws InvalidArgument
  // when the config has no CTC head (ctc_weight == 0).
  torch::Tensor ctc_logits(const torch::Tensor& enc);
  bool has_ctc_head() const { return !ctc_head.is_empty(); }

  PrunableLayers prunable_layers() const;
  int64_t num_parameters() const;
  const TransducerConfig& config() const { return config_; }

  torch::nn::Linear input_proj{nullptr};
  MaskedLSTM encoder{nullptr};
  MaskedLinear encoder_proj{nullptr};
  torch::nn::Embedding embedding{nullptr};
  MaskedLSTM predictor{nullptr};            // model.predictor "lstm"
  MaskedLinear predictor_context{nullptr};  // model.predictor "stateless"
  Joiner joiner{nullptr};
  torch::nn::Linear ctc_head{nullptr};

 private:
  // [B, n*stacking, F] -> [B, n, D] through projection, LSTM and output projection.
  std::tuple<torch::Tensor, LSTMState> encode_stacked(const torch::Tensor& feats,
                                                      const std::optional<LSTMState>& state);
  TransducerConfig config_;
};
TORCH_MODULE(Transducer);

}  // namespace omnisparse
