#include "core/model/transducer.h"

#include "core/common/error.h"

namespace omnisparse {

TransducerImpl::TransducerImpl(const TransducerConfig& config) : config_(config) {
  config_.Validate();
  const auto& c = config_;
  input_proj = register_module(
      "input_proj", torch::nn::Linear(c.feat_dim * c.frame_stacking, c.input_dim));
  encoder = register_module(
      "encoder", MaskedLSTM(MaskedLSTMOptions{c.input_dim, c.encoder_hidden, c.encoder_layers,
                                              c.dropout}));
  encoder_proj = register_module("encoder_proj", MaskedLinear(c.encoder_hidden, c.encoder_dim));
  embedding = register_module("embedding", torch::nn::Embedding(c.vocab_size, c.predictor_embed));
  if (c.stateless()) {
    predictor_context = register_module(
        "predictor_context", MaskedLinear(c.context_size * c.predictor_embed, c.predictor_hidden));
  } else {
    predictor = register_module(
        "predictor", MaskedLSTM(MaskedLSTMOptions{c.predictor_embed, c.predictor_hidden,
                                                  c.predictor_layers, c.dropout}));
  }
  joiner = register_module(
      "joiner", Joiner(c.encoder_dim, c.predictor_hidden, c.joiner_dim, c.vocab_size));
  if (c.ctc_weight > 0) {
    ctc_head = register_module("ctc_head",
                               torch::nn::Linear(c.encoder_dim, c.vocab_size * c.ctc_upsample));
  }
}

std::tuple<torch::Tensor, LSTMState> TransducerImpl::encode_stacked(
    const torch::Tensor& feats, const std::optional<LSTMState>& state) {
  const int64_t B = feats.size(0);
  const int64_t n = feats.size(1) / config_.frame_stacking;
  auto stacked = feats.reshape({B, n, config_.feat_dim * config_.frame_stacking});  // [B, n, 320]
  auto [h, s] = encoder->forward(input_proj->forward(stacked), state);             // [B, n, H]
  return {encoder_proj->forward(h), s};                                             // [B, n, D]
}

EncoderOutput TransducerImpl::encode(const torch::Tensor& feats, const torch::Tensor& feat_lens) {
  if (feats.dim() != 3 || feats.size(2) != config_.feat_dim) {
    throw InvalidArgument("encode: expected features [B, T, " + std::to_string(config_.feat_dim) +
                          "], got " + c10::str(feats.sizes()));
  }
  // floor: a trailing partial stack never becomes a frame, so padding never leaks into a
  // valid frame and streaming (which cannot know the end in advance) agrees.
  const int64_t n = feats.size(1) / config_.frame_stacking;
  auto used = feats.narrow(1, 0, n * config_.frame_stacking);  // [B, 4n, F]
  auto [enc, state] = encode_stacked(used, std::nullopt);
  return {enc, torch::div(feat_lens.to(torch::kLong), config_.frame_stacking, "floor")};
}

torch::Tensor TransducerImpl::encode_chunk(const torch::Tensor& feats, EncoderStreamState& state) {
  if (feats.dim() != 3 || feats.size(0) != 1 || feats.size(2) != config_.feat_dim) {
    throw InvalidArgument("encode_chunk: expected features [1, t, " +
                          std::to_string(config_.feat_dim) + "], got " + c10::str(feats.sizes()));
  }
  auto frames = feats[0];  // [t, F]
  if (state.pending.defined() && state.pending.size(0) > 0) {
    frames = torch::cat({state.pending, frames}, 0);
  }
  const int64_t k = config_.frame_stacking;
  const int64_t n = frames.size(0) / k;
  state.pending = frames.narrow(0, n * k, frames.size(0) - n * k).clone();  // [< k, F]
  if (n == 0) {
    return torch::zeros({1, 0, config_.encoder_dim}, encoder_proj->weight.options());
  }
  auto [enc, s] = encode_stacked(frames.narrow(0, 0, n * k).unsqueeze(0), state.lstm);
  state.lstm = s;
  state.frames_out += n;
  return enc;  // [1, n, D]
}

PredictorOutput TransducerImpl::predict(const torch::Tensor& tokens,
                                        const std::optional<LSTMState>& state) {
  if (!config_.stateless()) {
    auto [pred, s] = predictor->forward(embedding->forward(tokens), state);  // [B, U+1, Hp]
    return {pred, s};
  }
  const int64_t B = tokens.size(0), U1 = tokens.size(1), ctx = config_.context_size;
  torch::Tensor history = state ? state->h.select(0, 0).to(torch::kLong)  // [B, ctx-1]
                                : torch::full({B, ctx - 1}, TransducerConfig::kBlank,
                                              tokens.options().dtype(torch::kLong));
  auto all = torch::cat({history, tokens.to(torch::kLong)}, 1);  // [B, ctx-1+U+1]
  auto windows = all.unfold(1, ctx, 1);                          // [B, U+1, ctx]
  auto x = embedding->forward(windows).reshape({B, U1, ctx * config_.predictor_embed});
  auto pred = torch::relu(predictor_context->forward(x));  // [B, U+1, Hp]
  LSTMState next{all.narrow(1, all.size(1) - (ctx - 1), ctx - 1).unsqueeze(0),
                 torch::zeros({1, B, 0}, pred.options())};
  return {pred, next};
}

torch::Tensor TransducerImpl::joint(const torch::Tensor& enc, const torch::Tensor& pred) {
  return joiner->forward(enc, pred);
}

torch::Tensor TransducerImpl::ctc_logits(const torch::Tensor& enc) {
  if (!has_ctc_head()) {
    throw InvalidArgument("this model has no CTC head (model.ctc_weight is 0)");
  }
  auto logits = ctc_head->forward(enc);  // [B, T', V * k]
  return logits.reshape({enc.size(0), enc.size(1) * config_.ctc_upsample, config_.vocab_size});
}

PrunableLayers TransducerImpl::prunable_layers() const {
  PrunableLayers out = encoder->prunable("encoder", "encoder");
  out.push_back(encoder_proj->prunable("encoder.proj", "encoder"));
  if (config_.stateless()) {
    out.push_back(predictor_context->prunable("predictor.context", "predictor"));
  } else {
    for (auto& l : predictor->prunable("predictor", "predictor")) out.push_back(l);
  }
  for (auto& l : joiner->prunable()) out.push_back(l);
  return out;
}

int64_t TransducerImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace omnisparse
