// The `--mic` and `--realtime FILE` branch of `omnisparse transcribe`: live transcription from
// an audio input, or from a file fed through the same path at real-time pace.
// Partial results go to stderr (rewritten in place on a terminal, one line per update
// otherwise), each final utterance is one stdout line (a JSON object with --json), and RTF and
// end-of-speech latency go to stderr at the end. No device or a lost device throws DeviceError
// (main prints one line and exits 1) after the finals heard so far were printed.
#pragma once

#include <string>

#include "app/cli/model_source.h"

namespace omnisparse::cli {

struct MicArgs {
  std::string device;   // "" = default input
  std::string file;     // --realtime: this audio file instead of a device, at `pace` x real time
  double pace = 1.0;
  double seconds = 0;   // 0 = until Ctrl+C
  double chunk_ms = 320;
  int beam = 0;         // > 1: beam search of this width (StreamingOptions::beam)
  // Endpointing (core/capture/endpoint.h): an utterance ends after this much trailing silence,
  // is dropped after this much silence without speech, is cut at this length. Speech is what the
  // voice-activity detector hears (voice_gate), at least min_voice_s of it; without the gate a
  // 10 ms frame is silence under this RMS (full scale 1.0) and any token counts as speech.
  double endpoint_silence_s = 0.8;
  double no_speech_s = 2.4;
  double max_utterance_s = 20.0;
  bool voice_gate = true;
  double min_voice_s = 0.3;
  double energy_threshold = 0.01;
};

void run_transcribe_mic(LoadedModel& model, const MicArgs& args);

}  // namespace omnisparse::cli
