#include "core/capture/voice_activity.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace omnisparse {
namespace {
constexpr int kBands = 80;
constexpr int kGroupBands = 10;        // steadiness is judged on 8 groups of 10 bands
constexpr double kDb = 4.342944819;    // 10 / ln 10: natural-log energy -> dB
constexpr double kSmooth = 0.3;        // weight of the new frame in the smoothed level
constexpr double kJumpDecayDb = 0.05;  // per frame: a jumped floor sinks 5 dB/s
constexpr double kNone = -std::numeric_limits<double>::infinity();
}  // namespace

VoiceActivityDetector::VoiceActivityDetector() { reset(); }

void VoiceActivityDetector::reset() {
  fbank_.reset();
  smoothed_.clear();
  recent_.clear();
  recent_groups_.clear();
  group_smooth_.assign(kBands / kGroupBands, kNone);
  smooth_.assign(kBands, kNone);
  jump_floor_.assign(kBands, kNone);
  frames_ = samples_ = speech_frames_ = 0;
  segment_start_s_ = 0;
  segment_start_frame_ = 0;
  last_speech_frame_ = last_speech_before_window_ = -1;
  window_.clear();
  run_ = silent_run_ = 0;
  in_speech_ = false;
  decisions_.clear();
}

void VoiceActivityDetector::start_segment() {
  speech_frames_ = 0;
  last_speech_frame_ = last_speech_before_window_ = -1;
  for (size_t i = 0; i < window_.size(); ++i) window_[i] = false;  // counted in the last segment
  segment_start_s_ = samples_ / 16000.0;
  segment_start_frame_ = frames_;
}

void VoiceActivityDetector::accept_audio(const float* samples16k, size_t n) {
  samples_ += static_cast<int64_t>(n);
  fbank_.accept_waveform(samples16k, n);
  if (fbank_.num_frames_ready() == 0) return;
  const at::Tensor f = fbank_.pop_frames().contiguous();
  const float* p = f.data_ptr<float>();
  std::vector<float> db(kBands);
  for (int64_t t = 0; t < f.size(0); ++t) {
    for (int b = 0; b < kBands; ++b) db[b] = static_cast<float>(p[t * kBands + b] * kDb);
    frame(db.data());
  }
}

void VoiceActivityDetector::frame(const float* db) {
  // Noise floor: the minimum smoothed level over the window, or a steady sound's level.
  std::vector<double> level(db, db + kBands);
  for (int b = 0; b < kBands; ++b)
    smooth_[b] = std::isinf(smooth_[b]) ? level[b] : (1 - kSmooth) * smooth_[b] + kSmooth * level[b];
  smoothed_.push_back(smooth_);
  if (static_cast<int>(smoothed_.size()) > kFloorWindow) smoothed_.pop_front();
  recent_.push_back(smooth_);
  if (static_cast<int>(recent_.size()) > kSteadyFrames) recent_.pop_front();

  int below_jump = 0;
  for (int b = 0; b < kBands; ++b) {
    jump_floor_[b] -= kJumpDecayDb;
    if (level[b] < jump_floor_[b] - 6) ++below_jump;
  }
  if (below_jump > kBands / 2) jump_floor_.assign(kBands, kNone);  // the steady sound stopped
  // Steadiness on groups of kGroupBands bands (wide enough for stable level estimates): steady
  // when every group but one kept its level within kSteadyDb over the window.
  std::vector<double> group(kBands / kGroupBands, 0.0);
  for (int b = 0; b < kBands; ++b) group[b / kGroupBands] += std::pow(10.0, level[b] / 10);
  for (size_t g = 0; g < group.size(); ++g) {
    const double l = 10 * std::log10(group[g]);
    group_smooth_[g] = std::isinf(group_smooth_[g]) ? l : (1 - kSmooth) * group_smooth_[g] + kSmooth * l;
  }
  recent_groups_.push_back(group_smooth_);
  if (static_cast<int>(recent_groups_.size()) > kSteadyFrames) recent_groups_.pop_front();
  if (static_cast<int>(recent_.size()) == kSteadyFrames) {
    std::vector<double> dev, mean(kBands, 0.0);
    for (int b = 0; b < kBands; ++b) {
      for (const auto& r : recent_) mean[b] += r[b];
      mean[b] /= kSteadyFrames;
    }
    for (size_t g = 0; g < group.size(); ++g) {
      double s = 0, s2 = 0;
      for (const auto& r : recent_groups_) s += r[g], s2 += r[g] * r[g];
      const double m = s / kSteadyFrames;
      dev.push_back(std::sqrt(std::max(0.0, s2 / kSteadyFrames - m * m)));
    }
    std::sort(dev.begin(), dev.end());
    if (dev[dev.size() - 2] < kSteadyDb) {
      for (int b = 0; b < kBands; ++b) jump_floor_[b] = std::max(jump_floor_[b], mean[b]);
      // The window's frames belong to a steady sound: what they counted as speech is taken back
      // (the onset of a fan or a hiss is not a word).
      const int64_t first = frames_ - static_cast<int64_t>(window_.size());
      for (size_t i = 0; i < window_.size(); ++i) {
        if (!window_[i]) continue;
        window_[i] = false;
        decisions_[static_cast<size_t>(first) + i] = false;
        --speech_frames_;
      }
      last_speech_frame_ = last_speech_before_window_;
    }
  }

  const double top = *std::max_element(level.begin(), level.end());
  int bands = 0;
  for (int b = 0; b < kBands; ++b) {
    double floor = std::numeric_limits<double>::infinity();
    for (const auto& s : smoothed_) floor = std::min(floor, s[b]);
    floor = std::max(floor, jump_floor_[b]);
    if (level[b] > floor + kMarginDb && level[b] > top - kSpreadDb) ++bands;
  }
  const bool like = bands >= kMinBands;

  // Hysteresis.
  if (like) {
    ++run_;
    silent_run_ = 0;
    if (run_ >= kOnsetFrames) in_speech_ = true;
  } else {
    run_ = 0;
    if (++silent_run_ >= kHangFrames) in_speech_ = false;
  }
  const bool speech = in_speech_ && like;
  if (speech) {
    ++speech_frames_;
    last_speech_frame_ = frames_;
  }
  decisions_.push_back(speech);
  window_.push_back(speech && frames_ >= segment_start_frame_);
  if (static_cast<int>(window_.size()) > kSteadyFrames - 1) {
    if (window_.front()) last_speech_before_window_ = frames_ - static_cast<int64_t>(window_.size()) + 1;
    window_.pop_front();
  }
  ++frames_;
}

}  // namespace omnisparse
