#include "core/capture/microphone.h"

#include <portaudio.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/common/error.h"

namespace omnisparse {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr double kStallSeconds = 2.0;  // no callback for this long while running = lost
constexpr double kStartSeconds = 10.0;  // the same before the first callback

}  // namespace

// Everything the audio thread touches. Only atomics and the ring: no locks, no allocation,
// no system calls other than reading the clock.
struct Microphone::Callback {
  RingBuffer* ring = nullptr;
  int channels = 1;
  std::atomic<float> peak{0.f};
  std::atomic<uint64_t> frames{0};
  std::atomic<uint64_t> overflows{0};
  std::atomic<int64_t> last_ns{0};
  std::atomic<bool> finished{false};

  static int on_audio(const void* input, void*, unsigned long frames,
                      const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags flags, void* user) {
    auto* self = static_cast<Callback*>(user);
    if (flags & paInputOverflow) self->overflows.fetch_add(1, std::memory_order_relaxed);
    self->last_ns.store(now_ns(), std::memory_order_relaxed);
    self->frames.fetch_add(frames, std::memory_order_relaxed);
    if (!input) return paContinue;
    const float* in = static_cast<const float*>(input);
    float block_peak = 0.f;
    if (self->channels == 1) {
      self->ring->write_generated(frames, [&](size_t i) {
        block_peak = std::max(block_peak, std::fabs(in[i]));
        return in[i];
      });
    } else {
      const int c = self->channels;
      self->ring->write_generated(frames, [&](size_t i) {
        float sum = 0.f;
        for (int k = 0; k < c; ++k) sum += in[i * c + k];
        const float v = sum / static_cast<float>(c);
        block_peak = std::max(block_peak, std::fabs(v));
        return v;
      });
    }
    float prev = self->peak.load(std::memory_order_relaxed);
    while (block_peak > prev &&
           !self->peak.compare_exchange_weak(prev, block_peak, std::memory_order_relaxed)) {
    }
    return paContinue;
  }

  static void on_finished(void* user) {
    static_cast<Callback*>(user)->finished.store(true, std::memory_order_release);
  }
};

Microphone::Microphone(const MicrophoneOptions& options)
    : device_(find_input_device(options.device)), cb_(std::make_unique<Callback>()) {
  const int index = portaudio_index(device_);
  PaStreamParameters params{};
  params.device = index;
  params.sampleFormat = paFloat32;
  params.suggestedLatency = Pa_GetDeviceInfo(index)->defaultLowInputLatency;

  // First supported (rate, channels), preferring the rate order over mono.
  std::string tried;
  for (double rate : options.rates) {
    if (rate == 0) rate = device_.default_sample_rate;
    for (int ch : {1, 2}) {
      if (ch > device_.max_input_channels) continue;
      params.channelCount = ch;
      const PaError ok = Pa_IsFormatSupported(&params, nullptr, rate);
      if (ok == paFormatIsSupported) {
        sample_rate_ = static_cast<int>(std::lround(rate));
        channels_ = ch;
        break;
      }
      tried += (tried.empty() ? "" : ", ") + std::to_string(std::lround(rate)) + " Hz x" +
               std::to_string(ch) + " (" + Pa_GetErrorText(ok) + ")";
    }
    if (sample_rate_) break;
  }
  if (!sample_rate_)
    throw DeviceError("audio input '" + device_.id() + "' supports none of the rates tried: " +
                      tried);
  params.channelCount = channels_;

  const size_t capacity =
      static_cast<size_t>(std::max(1.0, options.buffer_seconds) * sample_rate_);
  ring_ = std::make_unique<RingBuffer>(capacity);
  cb_->ring = ring_.get();
  cb_->channels = channels_;

  PaStream* stream = nullptr;
  PaError err = Pa_OpenStream(&stream, &params, nullptr, sample_rate_,
                              paFramesPerBufferUnspecified, paNoFlag, &Callback::on_audio,
                              cb_.get());
  if (err != paNoError)
    throw DeviceError("cannot open audio input '" + device_.id() + "' at " +
                      std::to_string(sample_rate_) + " Hz: " + Pa_GetErrorText(err));
  stream_ = stream;
  Pa_SetStreamFinishedCallback(stream, &Callback::on_finished);
  if (const PaStreamInfo* info = Pa_GetStreamInfo(stream)) input_latency_s_ = info->inputLatency;
  cb_->last_ns.store(now_ns());
  err = Pa_StartStream(stream);
  if (err != paNoError) {
    Pa_CloseStream(stream);
    stream_ = nullptr;
    throw DeviceError("cannot start audio input '" + device_.id() + "': " + Pa_GetErrorText(err));
  }
}

Microphone::~Microphone() {
  if (!stream_) return;
  // Abort (not Stop) when the device is already lost: there is nothing left to drain.
  auto* stream = static_cast<PaStream*>(stream_);
  if (!stopped_) Pa_AbortStream(stream);
  Pa_CloseStream(stream);
}

void Microphone::stop() {
  if (!stream_ || stopped_.exchange(true)) return;
  Pa_StopStream(static_cast<PaStream*>(stream_));
}

size_t Microphone::read(float* out, size_t max) { return ring_->read(out, max); }

std::vector<float> Microphone::read_available() {
  std::vector<float> out(ring_->size());
  out.resize(ring_->read(out.data(), out.size()));
  return out;
}

float Microphone::peak_level() { return cb_->peak.exchange(0.f, std::memory_order_relaxed); }

MicrophoneStatus Microphone::status() const {
  MicrophoneStatus st;
  st.frames_captured = cb_->frames.load(std::memory_order_relaxed);
  st.dropped_samples = ring_->overflowed();
  st.input_overflows = cb_->overflows.load(std::memory_order_relaxed);
  if (stopped_) {
    st.state = MicrophoneState::kStopped;
    return st;
  }
  std::lock_guard<std::mutex> lock(status_mutex_);
  if (lost_message_.empty()) {  // a failed or finished stream stays lost
    const PaError active = Pa_IsStreamActive(static_cast<PaStream*>(stream_));
    if (active < 0) {
      lost_message_ = std::string("audio input '") + device_.id() + "' failed: " +
                      Pa_GetErrorText(active);
    } else if (active == 0 || cb_->finished.load(std::memory_order_acquire)) {
      lost_message_ = "audio input '" + device_.id() + "' stopped unexpectedly (device lost?)";
    }
  }
  st.message = lost_message_;
  if (st.message.empty()) {
    // A stall is reported while it lasts (and clears if audio resumes). Starting a stream
    // through PulseAudio takes seconds on a busy machine, so the first callback gets longer.
    const double silent_s = (now_ns() - cb_->last_ns.load(std::memory_order_relaxed)) * 1e-9;
    const double limit = st.frames_captured ? kStallSeconds : kStartSeconds;
    if (silent_s > limit) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f", silent_s);
      st.message = "audio input '" + device_.id() + "' delivered no audio for " + buf +
                   " s (device unplugged or audio server gone?)";
    }
  }
  st.state = st.message.empty() ? MicrophoneState::kRunning : MicrophoneState::kLost;
  return st;
}

MicrophoneReader16k::MicrophoneReader16k(Microphone& mic)
    : mic_(mic), resampler_(mic.sample_rate(), 16000) {}

std::vector<float> MicrophoneReader16k::read_available() {
  scratch_ = mic_.read_available();
  return resampler_.process(scratch_.data(), scratch_.size());
}

std::vector<float> MicrophoneReader16k::flush() {
  std::vector<float> out = read_available();
  std::vector<float> tail = resampler_.flush();
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

std::vector<float> record(const std::string& device, double seconds) {
  if (!(seconds > 0)) throw InvalidArgument("record: seconds must be positive");
  const size_t want = static_cast<size_t>(std::lround(seconds * 16000));
  Microphone mic({.device = device});
  MicrophoneReader16k reader(mic);
  std::vector<float> out;
  out.reserve(want + 16000);
  const auto start = std::chrono::steady_clock::now();
  while (out.size() < want) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto piece = reader.read_available();
    out.insert(out.end(), piece.begin(), piece.end());
    const MicrophoneStatus st = mic.status();
    if (st.state == MicrophoneState::kLost) throw DeviceError(st.message);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > seconds + kStartSeconds + kStallSeconds)  // status() would have said lost
      throw DeviceError("audio input '" + mic.device().id() + "' delivered only " +
                        std::to_string(out.size() / 16000.0) + " s of audio in " +
                        std::to_string(elapsed) + " s");
  }
  out.resize(want);
  return out;
}

}  // namespace omnisparse
