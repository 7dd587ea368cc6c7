#include "core/stream/streaming_recognizer.h"

#include <cmath>

#include "core/common/error.h"
#include "core/stream/sparse_beam_search.h"
#include "core/stream/sparse_greedy_search.h"

namespace omnisparse {

struct StreamingRecognizer::Shared {
  Transducer model;
  TokensToText to_text;
  StreamingOptions options;
  FeatureTransform normalize;
  std::shared_ptr<const SparseTransducer> engine;  // null: LibTorch path
};

struct OnlineStream::KernelPath {
  SparseTransducer::EncoderState encoder;
  std::optional<SparseGreedySearch> search;  // one of the two
  std::optional<SparseBeamSearch> beam;
  std::vector<float> enc;  // [D, n] scratch
};

const char* kernels_name(Kernels k) {
  switch (k) {
    case Kernels::kAuto: return "auto";
    case Kernels::kTorch: return "torch";
    case Kernels::kDense: return "dense";
  }
  return "?";
}

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
  if (beam < 0) throw InvalidArgument("streaming beam must be 0 (greedy) or more, got " + std::to_string(beam));
}

int64_t StreamingOptions::chunk_frames() const {
  return std::max<int64_t>(1, std::llround(chunk_ms / frame_shift_ms));
}

std::string StreamingOptions::search_name() const {
  return beam > 1 ? "beam " + std::to_string(beam) : "greedy";
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
  std::shared_ptr<const SparseTransducer> engine;
  const auto& w = model->encoder_proj->weight;
  const bool cpu_float = w.device().is_cpu() && w.scalar_type() == at::kFloat;
  if (options.kernels == Kernels::kDense || (options.kernels == Kernels::kAuto && cpu_float)) {
    SparseEngineOptions eo;
    // The encoder matrices see a chunk of stacked frames per multiply: calibrate at that batch.
    eo.batch = std::max<int64_t>(1, options.chunk_frames() / model->config().frame_stacking);
    if (options.kernels == Kernels::kDense) eo.force = kernels::Format::kDense;
    engine = std::make_shared<const SparseTransducer>(model, eo);
  }
  shared_ = std::make_shared<const Shared>(Shared{std::move(model), std::move(to_text), options,
                                                  std::move(normalize), std::move(engine)});
}

const SparseTransducer* StreamingRecognizer::engine() const { return shared_->engine.get(); }

std::string StreamingRecognizer::kernels_description() const {
  return "kernels: " + (shared_->engine ? kernel_summary(shared_->engine->layers()) : "torch");
}

std::unique_ptr<OnlineStream> StreamingRecognizer::create_stream() const {
  return std::make_unique<OnlineStream>(shared_);
}

const StreamingOptions& StreamingRecognizer::options() const { return shared_->options; }

OnlineStream::OnlineStream(std::shared_ptr<const StreamingRecognizer::Shared> shared)
    : shared_(std::move(shared)) {
  const StreamingOptions& o = shared_->options;
  const BeamSearchOptions bo{o.beam, o.greedy.max_symbols_per_frame};
  if (const SparseTransducer* e = shared_->engine.get()) {
    kernel_.reset(new KernelPath{e->start_encoder(), {}, {}, {}});
    if (o.beam > 1) kernel_->beam.emplace(*e, bo);
    else kernel_->search.emplace(*e, o.greedy);
  } else if (o.beam > 1) {
    beam_.emplace(shared_->model, bo);
  } else {
    search_.emplace(shared_->model, o.greedy);
  }
}

OnlineStream::~OnlineStream() = default;

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
  while (is_ready()) {
    const int64_t n = std::min(buffer_.size(0), shared_->options.chunk_frames());
    auto chunk = buffer_.narrow(0, 0, n);  // [n, F]
    buffer_ = buffer_.narrow(0, n, buffer_.size(0) - n);
    if (shared_->normalize) chunk = shared_->normalize(chunk);
    if (kernel_) {
      decode_kernels(chunk);
    } else {
      decode_torch(chunk);
    }
    frames_decoded_ += n;
  }
}

void OnlineStream::decode_torch(const at::Tensor& chunk) {
  Transducer model = shared_->model;  // the holder is const, the module is not
  auto enc = model->encode_chunk(chunk.unsqueeze(0), encoder_state_);  // [1, n', D]
  if (beam_) beam_->advance(enc);
  else search_->advance(enc);
}

void OnlineStream::decode_kernels(const at::Tensor& chunk) {
  auto f = chunk.to(at::kCPU, at::kFloat).contiguous();  // [n, F]
  KernelPath& k = *kernel_;
  const int64_t n = shared_->engine->encode_chunk(f.data_ptr<float>(), f.size(0), k.encoder,
                                                  k.enc, profile_);  // enc [D, n']
  if (k.beam) k.beam->advance(k.enc.data(), n, profile_);
  else k.search->advance(k.enc.data(), n, profile_);
}

DecodeResult OnlineStream::decoded() const {
  if (kernel_) return kernel_->beam ? kernel_->beam->best() : kernel_->search->result();
  return beam_ ? beam_->best() : search_->result();
}

RecognitionResult OnlineStream::result() const {
  RecognitionResult r;
  const DecodeResult d = decoded();
  r.tokens = d.tokens;
  const double frame_s = static_cast<double>(shared_->model->config().frame_stacking) *
                         shared_->options.frame_shift_ms / 1000.0;
  for (int64_t f : d.frames) r.timestamps.push_back(static_cast<double>(f) * frame_s);
  r.text = shared_->to_text(r.tokens);
  r.final = finished_ && !is_ready();
  return r;
}

}  // namespace omnisparse
