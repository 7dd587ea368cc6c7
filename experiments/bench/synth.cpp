// Synthesis throughput of the synthetic corpus, per engine: utterances/s and multiple of real
// time (audio seconds / wall seconds), for synthesis alone and with the post-processing that
// `omnisparse synth` adds (trim, resample to 16 kHz, FLAC encoding).
//   bench_synth [utterances per engine, default 40]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/audio/audio_io.h"
#include "core/data/commands_grammar.h"
#include "core/data/speech_synth.h"
#include "core/data/synth_corpus.h"

using namespace omnisparse;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 40;
  const auto sentences = generate_commands(static_cast<size_t>(n), 1);
  const auto tmp = std::filesystem::temp_directory_path() / "omnisparse-bench-synth";
  std::filesystem::create_directories(tmp);
  auto& tts = SpeechSynth::instance();
  tts.speak("warm up", {Engine::kEspeak, "en-us", 1, 0, 1});
  tts.speak("warm up", {Engine::kFlite, "kal16", 1, 0, 1});
  std::printf("%-22s %8s %10s %12s %14s\n", "engine/voice", "utts/s", "audio s", "synth xRT", "+write xRT");
  struct Case { Engine e; std::vector<std::string> voices; const char* name; };
  for (const Case& c : {Case{Engine::kEspeak, {"en-us+m3", "en-gb-scotland+f2", "en-029+klatt4", "en+david"}, "espeak (4 voices)"},
                        Case{Engine::kFlite, {"kal16"}, "flite kal16"},
                        Case{Engine::kFlite, {"awb", "rms", "slt"}, "flite awb/rms/slt"}}) {
    double audio = 0, synth_s = 0, post_s = 0;
    for (int i = 0; i < n; ++i) {
      UtterancePlan u;
      u.text = sentences[static_cast<size_t>(i) % sentences.size()];
      u.voice = {c.e, c.voices[static_cast<size_t>(i) % c.voices.size()], 1.0, 0.0, 1.0};
      u.seed = static_cast<uint32_t>(i);
      const auto t0 = Clock::now();
      const RawSpeech raw = tts.speak(u.text, u.voice, u.seed);
      const auto t1 = Clock::now();
      const auto samples = finish_utterance(raw, u, 0.001);
      write_audio(tmp / "u.flac", samples, kSampleRate);
      const auto t2 = Clock::now();
      synth_s += std::chrono::duration<double>(t1 - t0).count();
      post_s += std::chrono::duration<double>(t2 - t1).count();
      audio += static_cast<double>(samples.size()) / kSampleRate;
    }
    std::printf("%-22s %8.1f %10.1f %12.0f %14.0f\n", c.name, n / (synth_s + post_s), audio, audio / synth_s,
                audio / (synth_s + post_s));
  }
  std::filesystem::remove_all(tmp);
  std::printf("xRT = audio seconds per wall second (1 = real time). Post-processing runs on three writer\n"
              "threads in `omnisparse synth`, overlapping synthesis and each other.\n");
  return 0;
}
