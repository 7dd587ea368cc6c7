#include "core/stream/streaming_recognizer.h"

#include <cmath>

#include "core/common/error.h"

namespace omnisparse {

struct StreamingRecognizer::Shared {
  Transducer model;
  TokensToText to_text;
  StreamingOptions options;
  FeatureTransform normalize;
};

void StreamingOptions::Validate() const {
  if (!(frame_shift_ms > 0)) {
    throw InvalidArgument("streaming frame_shift_ms must be positive, got " +
                          std::to_string(frame_shift_ms));
  }
  if (!(chunk_ms >= frame_shift_ms)) {
    throw InvalidArgument("streaming chunk_ms must be at least one frame (" +
                          std::to_string(frame_shift_ms) + " ms), got " + std::to_string(chunk_ms));
  }
  greedy.Validate();
}

int64_t StreamingOptions::chunk_frames() const {
  return std::max<int64_t>(1, std::llround(chunk_ms / frame_shift_ms));
}

TokensToText symbol_table(std::vector<std::string> symbols) {
  return [symbols = std::move(symbols)](const std::vector<int64_t>& ids) {
    std::string text;
    for (int64_t id : ids) {
      if (id < 0 || id >= static_cast<int64_t>(symbols.size())) {
        throw InvalidArgument("token id " + std::to_string(id) + " outside the symbol table of " +
                              std::to_string(symbols.size()));
      }
      text += symbols[id];
    }
    return text;
  };
}

StreamingRecognizer::StreamingRecognizer(Transducer model, TokensToText to_text,
                                         StreamingOptions options, FeatureTransform normalize) {
  options.Validate();
  if (!to_text) throw InvalidArgument("StreamingRecognizer needs a tokens-to-text function");
  model->eval();
  shared_ = std::make_shared<const Shared>(
      Shared{std::move(model), std::move(to_text), options, std::move(normalize)});
}

std::unique_ptr<OnlineStream> StreamingRecognizer::create_stream() const {
  return std::make_unique<OnlineStream>(shared_);
}

const StreamingOptions& StreamingRecognizer::options() const { return shared_->options; }

OnlineStream::OnlineStream(std::shared_ptr<const StreamingRecognizer::Shared> shared)
    : shared_(std::move(shared)), search_(shared_->model, shared_->options.greedy) {}

void OnlineStream::accept_features(const at::Tensor& feats) {
  if (finished_) throw InvalidArgument("accept_features after input_finished()");
  const int64_t F = shared_->model->config().feat_dim;
  if (feats.dim() != 2 || feats.size(1) != F) {
    throw InvalidArgument("accept_features: expected [t, " + std::to_string(F) + "], got " +
                          c10::str(feats.sizes()));
  }
  const auto& w = shared_->model->encoder_proj->weight;
  auto f = feats.to(w.device(), w.scalar_type());
  buffer_ = buffer_.defined() && buffer_.size(0) > 0 ? at::cat({buffer_, f}, 0) : f;
}

void OnlineStream::input_finished() { finished_ = true; }

bool OnlineStream::is_ready() const {
  const int64_t n = buffer_.defined() ? buffer_.size(0) : 0;
  return n >= shared_->options.chunk_frames() || (finished_ && n > 0);
}

void OnlineStream::decode() {
  torch::NoGradGuard ng;
  Transducer model = shared_->model;  // the holder is const, the module is not
  while (is_ready()) {
    const int64_t n = std::min(buffer_.size(0), shared_->options.chunk_frames());
    auto chunk = buffer_.narrow(0, 0, n);  // [n, F]
    buffer_ = buffer_.narrow(0, n, buffer_.size(0) - n);
    if (shared_->normalize) chunk = shared_->normalize(chunk);
    auto enc = model->encode_chunk(chunk.unsqueeze(0), encoder_state_);  // [1, n', D]
    search_.advance(enc);
    frames_decoded_ += n;
  }
}

RecognitionResult OnlineStream::result() const {
  RecognitionResult r;
  const auto& d = search_.result();
  r.tokens = d.tokens;
  const double frame_s = static_cast<double>(shared_->model->config().frame_stacking) *
                         shared_->options.frame_shift_ms / 1000.0;
  for (int64_t f : d.frames) r.timestamps.push_back(static_cast<double>(f) * frame_s);
  r.text = shared_->to_text(r.tokens);
  r.final = finished_ && !is_ready();
  return r;
}

}  // namespace omnisparse
