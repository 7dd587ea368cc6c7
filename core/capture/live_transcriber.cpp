#include "core/capture/live_transcriber.h"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <utility>

#include "core/audio/audio_io.h"
#include "core/capture/microphone.h"
#include "core/common/error.h"
#include "core/stream/wave_stream.h"

namespace omnisparse {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kRate = 16000.0;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// When each sample of the capture timeline arrived: the consumer reads batches, and the last
// sample of a batch was captured about when the batch was read (earlier ones 1/16000 s apart).
class CaptureClock {
 public:
  void add(int64_t end_sample, Clock::time_point arrival) {
    batches_.emplace_back(end_sample, arrival);
    while (batches_.size() > 4096) batches_.pop_front();  // minutes of 10 ms polls
  }
  Clock::time_point wall_of(int64_t sample) const {
    for (const auto& [end, arrival] : batches_)
      if (end >= sample)
        return arrival - std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>((end - sample) / kRate));
    return batches_.empty() ? Clock::now() : batches_.back().second;
  }

 private:
  std::deque<std::pair<int64_t, Clock::time_point>> batches_;
};

// One recognizer's utterance in progress and its running totals.
struct Channel {
  const WaveRecognizer* rec;
  std::unique_ptr<WaveStream> stream;
  EndpointDetector ep;
  int64_t start_sample = 0;  // of this utterance, on the capture timeline
  std::vector<float> audio;
  std::string partial;
  double audio_s = 0, decode_s = 0, latency_sum = 0;
  int finals = 0, latencies = 0;

  void restart(int64_t at) {
    stream = rec->create_stream();
    ep.reset();
    start_sample = at;
    audio.clear();
    partial.clear();
  }
  void fill_totals(LiveEvent& e) const {
    e.audio_s = audio_s;
    e.decode_s = decode_s;
    e.utterances = finals;
    e.mean_latency_s = latencies > 0 ? latency_sum / latencies : LiveEvent::kNaN;
  }
};

// Where the samples come from: a capture device, or an audio file played at real-time pace.
class LiveInput {
 public:
  virtual ~LiveInput() = default;
  virtual std::string id() const = 0;
  virtual int sample_rate() const = 0;            // the source's own rate (kStarted)
  virtual std::vector<float> read_available() = 0;  // 16 kHz mono, whatever is due now
  virtual float peak_level() = 0;                 // since the previous call
  virtual std::string lost() const = 0;           // non-empty: the device is gone (why)
  virtual bool exhausted() const = 0;             // a file whose every sample was delivered
  virtual void stop() = 0;
};

class MicInput : public LiveInput {
 public:
  explicit MicInput(const std::string& device)
      : mic_(MicrophoneOptions{.device = device}), reader_(mic_) {}
  std::string id() const override { return mic_.device().id(); }
  int sample_rate() const override { return mic_.sample_rate(); }
  std::vector<float> read_available() override { return reader_.read_available(); }
  float peak_level() override { return mic_.peak_level(); }
  std::string lost() const override {
    const MicrophoneStatus st = mic_.status();
    if (st.state != MicrophoneState::kLost) return "";
    return st.message.empty() ? "audio device lost" : st.message;
  }
  bool exhausted() const override { return false; }
  void stop() override { mic_.stop(); }

 private:
  Microphone mic_;
  MicrophoneReader16k reader_;
};

// The whole file is decoded up front (IoError/FormatError naming it), then handed out as the
// wall clock passes: `pace` samples of audio per sample of time.
class FileInput : public LiveInput {
 public:
  FileInput(const std::string& path, double pace) : path_(path), pace_(pace) {
    const Audio a = read_audio(path);
    rate_ = a.sample_rate;
    samples_ = resample(a.samples, a.sample_rate, static_cast<int>(kRate));
    start_ = Clock::now();
  }
  std::string id() const override { return "file:" + path_; }
  int sample_rate() const override { return rate_; }
  std::vector<float> read_available() override {
    const double due_s = seconds(Clock::now() - start_) * pace_;
    const size_t due = std::min(samples_.size(), static_cast<size_t>(due_s * kRate));
    std::vector<float> out;
    if (due > pos_) out.assign(samples_.begin() + std::ptrdiff_t(pos_), samples_.begin() + std::ptrdiff_t(due));
    for (float v : out) peak_ = std::max(peak_, std::abs(v));
    pos_ = std::max(pos_, due);
    return out;
  }
  float peak_level() override { return std::exchange(peak_, 0.0f); }
  std::string lost() const override { return ""; }
  bool exhausted() const override { return pos_ >= samples_.size(); }
  void stop() override {}

 private:
  std::string path_;
  double pace_;
  int rate_ = 0;
  std::vector<float> samples_;
  size_t pos_ = 0;
  float peak_ = 0;
  Clock::time_point start_;
};

}  // namespace

void LiveOptions::Validate() const {
  auto require = [](bool ok, const char* key, const char* why) {
    if (!ok) throw ConfigError(fmt::format("live.{}: {}", key, why));
  };
  require(std::isfinite(max_seconds) && max_seconds >= 0, "max_seconds", "must be >= 0 (0 = no limit)");
  require(std::isfinite(chunk_ms) && chunk_ms >= 10 && chunk_ms <= 5000, "chunk_ms",
          "must lie in [10, 5000] ms");
  require(std::isfinite(level_interval_s) && level_interval_s > 0, "level_interval_s", "must be > 0");
  require(std::isfinite(first_audio_timeout_s) && first_audio_timeout_s > 0,
          "first_audio_timeout_s", "must be > 0");
  require(std::isfinite(pace) && pace >= 0.1 && pace <= 100, "pace",
          "must lie in [0.1, 100] (1 = real time)");
  endpoint.Validate();
}

LiveTranscriber::LiveTranscriber(std::vector<const WaveRecognizer*> recognizers,
                                 LiveOptions options, LiveCallback callback)
    : recognizers_(std::move(recognizers)), options_(std::move(options)), callback_(std::move(callback)) {
  if (recognizers_.empty() || recognizers_.size() > 2)
    throw InvalidArgument(fmt::format("live transcription takes 1 or 2 recognizers (A/B), got {}",
                                      recognizers_.size()));
  for (auto* r : recognizers_)
    if (!r) throw InvalidArgument("live transcription: null recognizer");
  if (!callback_) throw InvalidArgument("live transcription: no event callback");
  options_.Validate();
}

LiveTranscriber::~LiveTranscriber() { stop(); }

void LiveTranscriber::start() {
  if (started_) throw InvalidArgument("LiveTranscriber::start: already started");
  started_ = true;
  worker_ = std::thread([this] {
    run();
    finished_.store(true);
  });
}

void LiveTranscriber::request_stop() { stop_.store(true); }

void LiveTranscriber::wait() {
  if (worker_.joinable()) worker_.join();
}

void LiveTranscriber::run() {
  at::NoGradGuard no_grad;  // grad mode is per thread: the worker's starts enabled
  auto emit = [this](LiveEvent e) { callback_(e); };
  auto error_event = [&](const std::string& msg) {
    LiveEvent e;
    e.type = LiveEventType::kError;
    e.text = msg;
    emit(std::move(e));
  };

  std::unique_ptr<LiveInput> input;
  try {
    if (options_.file.empty()) input = std::make_unique<MicInput>(options_.device);
    else input = std::make_unique<FileInput>(options_.file, options_.pace);
  } catch (const std::exception& ex) {
    error_event(ex.what());
    emit(LiveEvent{});  // kStopped
    return;
  }

  std::vector<Channel> channels;
  for (auto* r : recognizers_) {
    channels.emplace_back(Channel{r, nullptr, EndpointDetector(options_.endpoint), 0, {}, {}});
    channels.back().restart(0);
  }

  std::string error;
  try {
    {
      LiveEvent e;
      e.type = LiveEventType::kStarted;
      e.text = input->id();
      e.sample_rate = input->sample_rate();
      emit(std::move(e));
    }
    CaptureClock clock;
    const size_t chunk = static_cast<size_t>(std::lround(options_.chunk_ms * kRate / 1000.0));
    const int64_t limit = options_.max_seconds > 0 ? std::llround(options_.max_seconds * kRate)
                                                   : std::numeric_limits<int64_t>::max();
    int64_t captured = 0, fed = 0;
    std::vector<float> pending;

    // An utterance ends without a final: a partial on show is withdrawn (empty partial).
    auto drop = [&](int idx, int64_t end_sample) {
      Channel& ch = channels[idx];
      if (!ch.partial.empty()) {
        LiveEvent e;
        e.type = LiveEventType::kPartial;
        e.recognizer = idx;
        e.time_s = end_sample / kRate;
        emit(std::move(e));
      }
    };

    auto finalize = [&](int idx, EndpointRule rule, int64_t end_sample) {
      Channel& ch = channels[idx];
      ch.stream->input_finished();
      const auto t0 = Clock::now();
      ch.stream->decode();
      const auto done = Clock::now();
      ch.decode_s += seconds(done - t0);
      RecognitionResult r = ch.stream->result();
      // Words without voice (endpoint.h's voice gate) are the decoder's, not the speaker's.
      if (!r.tokens.empty() && ch.ep.voice_detected()) {
        LiveEvent e;
        e.type = LiveEventType::kFinal;
        e.recognizer = idx;
        e.text = r.text;
        e.rule = rule;
        e.start_s = ch.start_sample / kRate;
        e.end_s = end_sample / kRate;
        e.time_s = end_sample / kRate;
        // End of speech: the last voiced frame, else the last token.
        const double speech_end = ch.ep.last_voiced_s() >= 0 ? ch.ep.last_voiced_s() : r.timestamps.back();
        e.latency_s = seconds(done - clock.wall_of(ch.start_sample + std::llround(speech_end * kRate)));
        ++ch.finals;
        ch.latency_sum += e.latency_s;
        ++ch.latencies;
        ch.fill_totals(e);
        if (options_.keep_audio) e.audio = std::move(ch.audio);
        emit(std::move(e));
      } else {
        drop(idx, end_sample);
      }
      ch.restart(end_sample);
    };

    auto feed = [&](const float* x, size_t n) {
      const int64_t end = fed + static_cast<int64_t>(n);
      for (int idx = 0; idx < int(channels.size()); ++idx) {
        Channel& ch = channels[idx];
        ch.stream->accept_waveform(x, n);
        if (options_.keep_audio) ch.audio.insert(ch.audio.end(), x, x + n);
        ch.ep.accept_audio(x, n);
        const auto t0 = Clock::now();
        ch.stream->decode();
        ch.decode_s += seconds(Clock::now() - t0);
        ch.audio_s += n / kRate;
        RecognitionResult r = ch.stream->result();
        ch.ep.accept_decoded(int64_t(r.tokens.size()), r.timestamps.empty() ? 0.0 : r.timestamps.back(),
                             ch.stream->seconds_decoded());
        // Partials show once the utterance has voice (before that they are the decoder's).
        if (r.text != ch.partial && ch.ep.voice_detected()) {
          ch.partial = r.text;
          LiveEvent e;
          e.type = LiveEventType::kPartial;
          e.recognizer = idx;
          e.text = r.text;
          e.time_s = end / kRate;
          emit(std::move(e));
        }
        const EndpointRule rule = ch.ep.check();
        if (rule == EndpointRule::kNoSpeech) {
          drop(idx, end);
          ch.restart(end);
        }
        else if (rule != EndpointRule::kNone) finalize(idx, rule, end);
      }
      fed = end;
    };

    const auto opened = Clock::now();
    auto last_level = opened;
    bool flowing = false;
    while (!stop_.load() && captured < limit && !input->exhausted()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      error = input->lost();
      if (!error.empty()) break;
      std::vector<float> x = input->read_available();
      const auto now = Clock::now();
      if (!flowing) {
        if (x.empty()) {
          if (seconds(now - opened) > options_.first_audio_timeout_s) {
            error = fmt::format("{}: no audio arrived within {:.0f} s of opening the device",
                                input->id(), options_.first_audio_timeout_s);
            break;
          }
          continue;
        }
        flowing = true;
      }
      if (int64_t(x.size()) > limit - captured) x.resize(size_t(limit - captured));
      captured += int64_t(x.size());
      clock.add(captured, now);
      pending.insert(pending.end(), x.begin(), x.end());
      if (seconds(now - last_level) >= options_.level_interval_s) {
        last_level = now;
        LiveEvent e;
        e.type = LiveEventType::kLevel;
        e.level = input->peak_level();
        e.time_s = captured / kRate;
        emit(std::move(e));
      }
      size_t off = 0;
      for (; pending.size() - off >= chunk; off += chunk) feed(pending.data() + off, chunk);
      pending.erase(pending.begin(), pending.begin() + off);
    }
    // The end (limit, stop, or loss): decode what is left and close every utterance.
    if (!pending.empty()) feed(pending.data(), pending.size());
    for (int idx = 0; idx < int(channels.size()); ++idx) finalize(idx, EndpointRule::kNone, fed);
    input->stop();
  } catch (const std::exception& ex) {
    error = ex.what();
  }
  if (!error.empty()) error_event(error);
  for (int idx = 0; idx < int(channels.size()); ++idx) {
    LiveEvent e;
    e.type = LiveEventType::kStats;
    e.recognizer = idx;
    channels[idx].fill_totals(e);
    emit(std::move(e));
  }
  emit(LiveEvent{});  // kStopped
}

}  // namespace omnisparse
