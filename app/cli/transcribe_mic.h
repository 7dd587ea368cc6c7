// The `--mic` branch of `omnisparse transcribe`: live transcription from an audio input.
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
  double seconds = 0;   // 0 = until Ctrl+C
  double chunk_ms = 320;
};

void run_transcribe_mic(LoadedModel& model, const MicArgs& args);

}  // namespace omnisparse::cli
