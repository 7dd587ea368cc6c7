// Speech evidence for live recognition: says which 10 ms frames look like speech, so that a
// stretch of silence, steady room noise or tones is never finalised into words the decoder
// invented there (an RNN-T trained on trimmed utterances emits its favourite openings on them).
//
//   VoiceActivityDetector vad;
//   vad.accept_audio(x, n);             // 16 kHz samples, any chunking
//   vad.speech_s();                     // seconds of speech-like frames since reset()
//   vad.last_speech_s();                // end of the last one, -1: none
//
// Per 25 ms / 10 ms frame, on the recognizer's own log-mel features (core/audio/fbank.h):
//   - a noise floor per mel band: the minimum of the band's smoothed level over the last
//     kFloorWindow frames; and when the last kSteadyFrames frames were steady (the smoothed
//     level of every group of 10 bands but one stayed within kSteadyDb: a fan, hum, hiss) the
//     floor jumps to their mean at once, and what those frames counted as speech is taken back:
//     the onset of a steady noise never adds up to speech;
//   - a frame is speech-like when at least kMinBands bands lie kMarginDb above their floor and
//     within kSpreadDb of the frame's strongest band: speech spreads over many bands (harmonics
//     under formants, fricative noise), a tone or a melody of a few partials over a few;
//   - hysteresis: speech starts after kOnsetFrames consecutive speech-like frames and then
//     counts every speech-like frame until kHangFrames frames pass without one.
// What it cannot tell from speech: broadband sounds that change like speech (a second talker,
// a radio, rich music); the decoder's words are then real transcription of what it heard.
//
// Not thread-safe: one detector per stream.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "core/audio/fbank.h"

namespace omnisparse {

class VoiceActivityDetector {
 public:
  static constexpr int kFloorWindow = 100;   // frames (1 s)
  static constexpr int kSteadyFrames = 25;   // 0.25 s
  static constexpr double kSteadyDb = 2.5;
  static constexpr double kMarginDb = 9.0;
  static constexpr double kSpreadDb = 20.0;
  static constexpr int kMinBands = 16;       // of 80
  static constexpr int kOnsetFrames = 3;
  static constexpr int kHangFrames = 10;

  VoiceActivityDetector();

  void reset();          // forget the audio (the noise floor too)
  void start_segment();  // a new utterance: its own speech count and times; the floor stays
  void accept_audio(const float* samples16k, size_t n);

  // Seconds of speech frames since the segment started.
  double speech_s() const { return speech_frames_ * 0.01; }
  // End of the last speech frame (frame t covers [10 t, 10 t + 25) ms), in seconds from the
  // segment's start; -1: none in this segment.
  double last_speech_s() const {
    return last_speech_frame_ < 0 ? -1.0 : last_speech_frame_ * 0.01 + 0.025 - segment_start_s_;
  }
  int64_t frames() const { return frames_; }
  // The decision of each frame since reset() (for tests and the bench).
  const std::vector<bool>& decisions() const { return decisions_; }

 private:
  void frame(const float* db);  // one frame's band levels in dB

  OnlineFbank fbank_;
  std::deque<std::vector<double>> smoothed_;  // last kFloorWindow frames, smoothed, per band
  std::deque<std::vector<double>> recent_;         // last kSteadyFrames frames, smoothed, per band
  std::deque<std::vector<double>> recent_groups_;  // the same, per group of bands
  std::vector<double> group_smooth_;
  std::vector<double> smooth_, jump_floor_;
  int64_t frames_ = 0;
  int64_t samples_ = 0;
  double segment_start_s_ = 0;
  int64_t segment_start_frame_ = 0;
  int64_t speech_frames_ = 0;
  int64_t last_speech_frame_ = -1;
  // The frames the steadiness test is about to judge (the newest kSteadyFrames - 1 and the
  // current one): whether each was counted as this segment's speech.
  std::deque<bool> window_;
  int64_t last_speech_before_window_ = -1;
  int run_ = 0, silent_run_ = 0;
  bool in_speech_ = false;
  std::vector<bool> decisions_;
};

}  // namespace omnisparse
