#include "core/stream/wave_stream.h"

#include <algorithm>

namespace omnisparse {

namespace {
std::vector<std::string> symbols_of(const CharTokenizer& tok) {
  std::vector<std::string> s;
  for (int64_t i = 0; i < tok.vocab_size(); ++i) s.push_back(i == tok.blank_id() ? "" : tok.symbol(i));
  return s;
}
}  // namespace

WaveStream::WaveStream(std::unique_ptr<OnlineStream> stream, const FbankConfig& fbank)
    : stream_(std::move(stream)), fbank_(fbank), frame_shift_s_(fbank.frame_shift_ms / 1000.0) {}

void WaveStream::accept_waveform(const float* samples, size_t n) {
  fbank_.accept_waveform(samples, n);
  samples_ += static_cast<int64_t>(n);
  if (fbank_.num_frames_ready() > 0) stream_->accept_features(fbank_.pop_frames());
}

void WaveStream::input_finished() {
  fbank_.input_finished();  // the frames that reach past the end (mirrored)
  if (fbank_.num_frames_ready() > 0) stream_->accept_features(fbank_.pop_frames());
  stream_->input_finished();
}

void WaveStream::decode() {
  if (stream_->is_ready()) stream_->decode();
}

WaveRecognizer::WaveRecognizer(ModelBundle& bundle, StreamingOptions options)
    : bundle_(bundle),
      recognizer_(bundle.model, symbol_table(symbols_of(bundle.tokenizer)), options,
                  [&bundle](const at::Tensor& f) { return bundle.stats.apply(f); }) {}

std::unique_ptr<WaveStream> WaveRecognizer::create_stream() const {
  return std::make_unique<WaveStream>(recognizer_.create_stream(), bundle_.fbank);
}

RecognitionResult transcribe_samples(const WaveRecognizer& rec, const std::vector<float>& samples,
                                     double chunk_ms) {
  auto s = rec.create_stream();
  const size_t chunk = std::max<size_t>(1, static_cast<size_t>(chunk_ms * 16.0));
  for (size_t i = 0; i < samples.size(); i += chunk) {
    s->accept_waveform(samples.data() + i, std::min(chunk, samples.size() - i));
    s->decode();
  }
  s->input_finished();
  s->decode();
  return s->result();
}

}  // namespace omnisparse
