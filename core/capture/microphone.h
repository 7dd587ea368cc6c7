// Live microphone input: opens a PortAudio input stream and hands samples to a worker through
// a lock-free ring buffer. The audio callback only copies (downmixing stereo on the way) and
// tracks the peak level; resampling, features and decoding happen in the consumer thread.
//
//   Microphone mic({.device = "pulse"});          // opens and starts; throws DeviceError
//   MicrophoneReader16k reader(mic);               // consumer side, 16 kHz mono
//   while (running) {
//     auto samples = reader.read_available();      // whatever arrived since the last call
//     meter.set(mic.peak_level());
//     if (auto st = mic.status(); st.state == MicrophoneState::kLost) show(st.message);
//   }
//
//   std::vector<float> clip = record("pulse", 3.0);   // bounded capture, 16 kHz mono
//
// The stream runs at a rate the device supports (16000 first, then the device default, 48000,
// 44100) with 1 channel, or 2 downmixed when the device has no mono mode. Device loss (server
// gone, unplugged, stream stopped by the backend, no callbacks for 2 s) never throws from the
// audio thread: status() reports it with a message and the object stays safe to destroy.
//
// Threads: construct, stop and destroy from one thread. read()/read_available() (and the
// MicrophoneReader16k) from exactly one consumer thread; peak_level() and status() from any.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/capture/audio_devices.h"
#include "core/capture/ring_buffer.h"
#include "core/capture/stream_resampler.h"

namespace omnisparse {

struct MicrophoneOptions {
  std::string device;            // "" = default input; see find_input_device()
  double buffer_seconds = 20.0;  // ring capacity: how far the consumer may fall behind
  // Rates to try in order; 0 stands for the device's default rate.
  std::vector<double> rates = {16000, 0, 48000, 44100};
};

enum class MicrophoneState { kRunning, kStopped, kLost };

struct MicrophoneStatus {
  MicrophoneState state = MicrophoneState::kStopped;
  std::string message;              // why, when kLost; empty otherwise
  uint64_t frames_captured = 0;     // frames the callback received
  uint64_t dropped_samples = 0;     // ring full: the consumer lagged
  uint64_t input_overflows = 0;     // callbacks flagged paInputOverflow by the backend
};

class Microphone {
 public:
  explicit Microphone(const MicrophoneOptions& options = {});
  ~Microphone();
  Microphone(const Microphone&) = delete;
  Microphone& operator=(const Microphone&) = delete;

  const InputDevice& device() const { return device_; }
  int sample_rate() const { return sample_rate_; }    // of read()'s samples
  int channels() const { return channels_; }          // opened channels (2 = downmixed)
  double input_latency_s() const { return input_latency_s_; }  // PortAudio's estimate

  // Consumer: mono samples at sample_rate(), oldest first.
  size_t read(float* out, size_t max);
  std::vector<float> read_available();

  // Largest |sample| since the previous call (0..1), for a level meter.
  float peak_level();

  MicrophoneStatus status() const;

  // Stops capturing (samples already buffered can still be read). Idempotent.
  void stop();

 private:
  struct Callback;  // the real-time side; lives in microphone.cpp

  PortAudioSession session_;
  InputDevice device_;
  int sample_rate_ = 0;
  int channels_ = 1;
  double input_latency_s_ = 0;
  std::unique_ptr<RingBuffer> ring_;
  std::unique_ptr<Callback> cb_;
  void* stream_ = nullptr;  // PaStream*
  std::atomic<bool> stopped_{false};  // read by status() from any thread
  mutable std::mutex status_mutex_;
  mutable std::string lost_message_;  // latched once lost
};

// Consumer-side reader that converts a microphone's samples to 16 kHz mono (streaming soxr).
class MicrophoneReader16k {
 public:
  explicit MicrophoneReader16k(Microphone& mic);
  std::vector<float> read_available();
  std::vector<float> flush();  // the resampler's tail, after the microphone stopped

 private:
  Microphone& mic_;
  StreamResampler resampler_;
  std::vector<float> scratch_;
};

// Captures `seconds` of audio from `device` ("" = default) and returns exactly
// round(seconds * 16000) samples at 16 kHz mono. Throws DeviceError when the device is missing
// or is lost (or delivers too little) during the capture.
std::vector<float> record(const std::string& device, double seconds);

}  // namespace omnisparse
