// omnisparse transcribe: streaming transcription of files (one stdout line per file,
// `<file> <text>`, so scripts can diff it); timing and real-time factor on stderr.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/model_source.h"
#include "app/cli/transcribe_mic.h"
#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/stream/wave_stream.h"

namespace omnisparse::cli {

namespace {

struct TranscribeArgs {
  ModelSourceArgs model;
  std::vector<std::string> files;
  double chunk_ms = 320;
  Kernels kernels = Kernels::kAuto;
  int beam = 0;  // > 1: beam search (StreamingOptions::beam)
  bool mic = false;  // live from an audio input instead of files (transcribe_mic.h)
  MicArgs mic_args;
};

void run_transcribe(TranscribeArgs& a) {
  if (!a.mic_args.file.empty()) a.mic = true;  // --realtime: the live path, fed by a file
  if (a.mic) {
    LoadedModel m = load_model(a.model);
    a.mic_args.chunk_ms = a.chunk_ms;
    a.mic_args.beam = a.beam;
    run_transcribe_mic(m, a.mic_args);
    return;
  }
  if (a.files.empty()) throw InvalidArgument("give one or more audio files to transcribe");
  LoadedModel m = load_model(a.model);
  StreamingOptions so;
  so.chunk_ms = a.chunk_ms;
  so.kernels = a.kernels;
  so.beam = a.beam;
  so.Validate();
  WaveRecognizer rec(m.bundle(), so);
  std::fprintf(stderr, "transcribe: %s, chunk %.0f ms, %s, %s\n", m.description().c_str(),
               a.chunk_ms, so.search_name().c_str(), rec.recognizer().kernels_description().c_str());
  double total_audio = 0, total_decode = 0;
  int failures = 0;
  for (const auto& file : a.files) {
    std::vector<float> samples;
    try {
      samples = read_audio_16k(file);
    } catch (const Error& e) {
      // One bad file does not stop the others; its line says why and the exit code is 1.
      std::fprintf(stderr, "transcribe: error: %s\n", e.what());
      std::cout << file << " \n" << std::flush;
      ++failures;
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    RecognitionResult r = transcribe_samples(rec, samples, a.chunk_ms);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double audio_s = samples.size() / 16000.0;
    total_audio += audio_s;
    total_decode += dt;
    if (globals().json) {
      nlohmann::json j = {{"file", file}, {"text", r.text}, {"audio_s", audio_s},
                          {"decode_s", dt}, {"rtf", audio_s > 0 ? dt / audio_s : 0.0},
                          {"timestamps", r.timestamps}};
      std::cout << j.dump() << "\n" << std::flush;
    } else {
      std::cout << file << " " << r.text << "\n" << std::flush;
    }
    std::fprintf(stderr, "  %s: %.2f s audio, %.3f s decode, RTF %.3f\n", file.c_str(), audio_s, dt,
                 audio_s > 0 ? dt / audio_s : 0.0);
  }
  if (total_audio > 0)
    std::fprintf(stderr, "transcribe: %zu file(s), %.1f s audio, RTF %.3f (1 thread, %s)\n",
                 a.files.size(), total_audio, total_decode / total_audio,
                 rec.recognizer().kernels_description().c_str());
  if (failures) throw Error(fmt::format("{} of {} file(s) could not be read", failures, a.files.size()));
}

}  // namespace

static void transcribe_command(CLI::App& root) {
  auto a = std::make_shared<TranscribeArgs>();
  CLI::App* c = root.add_subcommand("transcribe", "Streaming transcription of audio files, a microphone (--mic) or a file at real-time pace (--realtime)");
  add_model_source_options(c, a->model);
  auto* files =
      c->add_option("files", a->files, "Audio files (WAV/FLAC, any rate and channel count)");
  auto* mic = c->add_flag("--mic", a->mic, "Transcribe live from an audio input (finals on stdout)")
                  ->excludes(files);
  auto* realtime =
      c->add_option(
           "--realtime", a->mic_args.file,
           "Play this audio file through the live path (endpointing, partials) at real-time pace")
          ->check(CLI::ExistingFile)
          ->excludes(mic)
          ->excludes(files);
  c->add_option("--pace", a->mic_args.pace, "--realtime: playback speed (1 = real time)")
      ->needs(realtime)
      ->capture_default_str();
  c->add_option("--chunk-ms", a->chunk_ms, "Streaming chunk size in ms")->capture_default_str();
  c->add_option("--beam", a->beam,
                "Beam size; 0 or 1 = greedy (beam search: ~4x the decoding time, fewer misspelt words)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  std::vector<CLI::Option*> live_only;  // endpointing and limits: --mic or --realtime
  c->add_option("--device", a->mic_args.device, "Input device for --mic (see `omnisparse devices`)")
      ->needs(mic);
  live_only.push_back(
      c->add_option("--seconds", a->mic_args.seconds,
                    "Stop --mic/--realtime after this much audio (0 = Ctrl+C / the file's end)")
          ->capture_default_str());
  live_only.push_back(
      c->add_option("--endpoint-silence", a->mic_args.endpoint_silence_s,
                    "--mic/--realtime: seconds of trailing silence that end an utterance")
          ->capture_default_str());
  live_only.push_back(
      c->add_option(
           "--no-speech", a->mic_args.no_speech_s,
           "--mic/--realtime: seconds of silence with nothing decoded before the stream resets")
          ->capture_default_str());
  live_only.push_back(c->add_option("--max-utterance", a->mic_args.max_utterance_s,
                                    "--mic/--realtime: longest utterance in seconds")
                          ->capture_default_str());
  live_only.push_back(c->add_option("--min-voice", a->mic_args.min_voice_s,
                                    "--mic/--realtime: seconds of voice (voice-activity detector) "
                                    "before an utterance counts as speech; "
                                    "words decoded without it are never shown or finalised")
                          ->capture_default_str());
  live_only.push_back(c->add_flag("!--no-voice-gate", a->mic_args.voice_gate,
                                  "--mic/--realtime: no voice-activity gate: silence by "
                                  "--energy-threshold, any decoded word counts as speech"));
  live_only.push_back(c->add_option("--energy-threshold", a->mic_args.energy_threshold,
                                    "--no-voice-gate: RMS of a 10 ms frame below which it counts "
                                    "as silence (full scale 1.0)")
                          ->capture_default_str());
  c->add_option("--kernels", a->kernels,
                "auto: our dense/CSR/block kernels per layer (CPU); torch: LibTorch; dense: our "
                "kernels, all layers dense")
      ->transform(
          CLI::CheckedTransformer(
              std::map<std::string, Kernels>{
                  {"auto", Kernels::kAuto}, {"torch", Kernels::kTorch}, {"dense", Kernels::kDense}},
              CLI::ignore_case)
              .description("auto|torch|dense"))
      ->default_str("auto");
  c->callback([a, live_only] {
    for (CLI::Option* o : live_only)
      if (o->count() > 0 && !a->mic && a->mic_args.file.empty())
        throw InvalidArgument(o->get_name() + " needs --mic or --realtime FILE");
    run_transcribe(*a);
  });
}
OMNISPARSE_COMMAND(60, transcribe_command);

}  // namespace omnisparse::cli
