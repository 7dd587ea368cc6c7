// Streaming recognition from audio samples: the online fbank front end in front of a
// StreamingRecognizer stream, for one model bundle (its features, normalisation, tokenizer).
// `transcribe` (files and microphone) and the workbench's live panel use it.
//
//   WaveRecognizer rec(bundle, {.chunk_ms = 320});   // bundle's masks select the sub-network
//   auto s = rec.create_stream();
//   s->accept_waveform(samples16k.data(), n);        // any chunk sizes
//   s->decode();  s->result().text;                  // partial
//   s->input_finished(); s->decode();                // final == full-utterance greedy result
#pragma once

#include <memory>
#include <vector>

#include "core/audio/fbank.h"
#include "core/eval/model_bundle.h"
#include "core/stream/streaming_recognizer.h"

namespace omnisparse {

class WaveStream {
 public:
  WaveStream(std::unique_ptr<OnlineStream> stream, const FbankConfig& fbank);
  void accept_waveform(const float* samples16k, size_t n);
  void input_finished();
  void decode();
  RecognitionResult result() const { return stream_->result(); }
  double seconds_accepted() const { return samples_ / 16000.0; }
  // Audio the decoder has consumed (feature frames decoded x frame shift), for endpointing.
  double seconds_decoded() const { return stream_->frames_decoded() * frame_shift_s_; }

 private:
  std::unique_ptr<OnlineStream> stream_;
  OnlineFbank fbank_;
  int64_t samples_ = 0;
  double frame_shift_s_;
};

class WaveRecognizer {
 public:
  // Keeps a reference to `bundle`: it must outlive the recognizer and its streams.
  WaveRecognizer(ModelBundle& bundle, StreamingOptions options = {});
  std::unique_ptr<WaveStream> create_stream() const;
  const StreamingRecognizer& recognizer() const { return recognizer_; }

 private:
  ModelBundle& bundle_;
  StreamingRecognizer recognizer_;
};

// Decodes a whole file through the streaming path, feeding `chunk_ms` of audio at a time.
RecognitionResult transcribe_samples(const WaveRecognizer& rec, const std::vector<float>& samples16k,
                                     double chunk_ms);

}  // namespace omnisparse
