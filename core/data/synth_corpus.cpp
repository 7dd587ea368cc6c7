#include "core/data/synth_corpus.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/audio/audio_io.h"
#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/seeded_rng.h"
#include "core/data/speakers_file.h"
#include "core/data/text_sources.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

// A bounded hand-off from the synthesis thread to the writer thread.
struct Job {
  size_t index;
  RawSpeech raw;
};
class JobQueue {
 public:
  void push(Job j) {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return q_.size() < 32 || closed_; });
    q_.push_back(std::move(j));
    cv_.notify_all();
  }
  std::optional<Job> pop() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    Job j = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return j;
  }
  void close() {
    std::lock_guard<std::mutex> l(m_);
    closed_ = true;
    cv_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> l(m_);
    return closed_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Job> q_;
  bool closed_ = false;
};

std::string upper(std::string s) {
  for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return s;
}

void prepare_out_dir(const SynthConfig& c) {
  const fs::path out = c.out;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw IoError(out, "exists and is not a directory");
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    if (!c.overwrite) throw IoError(out, "is not empty; choose a new directory or pass --overwrite");
    for (const char* p : {"train", "dev", "test", "SPEAKERS.TXT", "corpus.json"}) fs::remove_all(out / p, ec);
  }
  fs::create_directories(out, ec);
  if (ec) throw IoError(out, "cannot create directory (" + ec.message() + ")");
}

}  // namespace

std::vector<float> finish_utterance(const RawSpeech& raw, const UtterancePlan& u, double noise) {
  const auto& x = raw.samples;
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  if (peak <= 0) throw Error("synthesiser produced silence for \"" + u.text + "\"");
  // Light trim: below 1 % of the peak is silence; keep 30 ms of it as a margin.
  const float thr = 0.01f * peak;
  const size_t margin = static_cast<size_t>(0.03 * raw.sample_rate);
  size_t b = 0, e = x.size();
  while (b < e && std::fabs(x[b]) < thr) ++b;
  while (e > b && std::fabs(x[e - 1]) < thr) --e;
  b = b > margin ? b - margin : 0;
  e = std::min(x.size(), e + margin);
  std::vector<float> speech(x.begin() + static_cast<std::ptrdiff_t>(b), x.begin() + static_cast<std::ptrdiff_t>(e));
  const float gain = static_cast<float>(u.level) / peak;
  for (float& v : speech) v *= gain;
  speech = resample(speech, raw.sample_rate, kSampleRate);
  const size_t lead = static_cast<size_t>(u.lead_s * kSampleRate), trail = static_cast<size_t>(u.trail_s * kSampleRate);
  std::vector<float> out(lead + speech.size() + trail, 0.f);
  std::copy(speech.begin(), speech.end(), out.begin() + static_cast<std::ptrdiff_t>(lead));
  SeededRng rng(u.seed, 0x401537ull);
  for (size_t i = 0; i + 1 < out.size(); i += 2) {  // Box-Muller, two samples per draw
    const double r = std::sqrt(-2.0 * std::log(1.0 - rng.uniform())) * noise, t = 2 * M_PI * rng.uniform();
    out[i] += static_cast<float>(r * std::cos(t));
    out[i + 1] += static_cast<float>(r * std::sin(t));
  }
  return out;
}

nlohmann::json SynthSummary::to_json() const {
  nlohmann::json subs = nlohmann::json::object();
  for (const auto& [name, s] : subsets)
    subs[name] = {{"utterances", s.utterances}, {"speakers", s.speakers}, {"sentences", s.sentences},
                  {"hours", s.hours}, {"voices", s.voices}};
  return {{"format", "omnisparse-synth-corpus"}, {"version", 1}, {"seed", config.seed},
          {"domain", config.domain}, {"domain_description", domain_description},
          {"utterances", config.utterances}, {"sentences_rejected", sentences_rejected},
          {"audio_hours", audio_s / 3600.0}, {"subsets", subs}, {"config", config.to_json()}};
}

SynthSummary synthesize_corpus(const SynthConfig& config, bool progress) {
  config.Validate();
  const auto t0 = std::chrono::steady_clock::now();
  SentenceSource text = load_sentences(config.domain, static_cast<size_t>(config.utterances), config.seed);
  const CorpusPlan plan = make_plan(config, text.sentences);
  prepare_out_dir(config);
  const fs::path out = config.out;

  std::vector<double> durations(plan.utterances.size(), 0.0);
  JobQueue queue;
  std::exception_ptr writer_error;
  std::mutex writer_mutex;  // guards writer_error and the progress bar
  Progress bar("synth", static_cast<int64_t>(plan.utterances.size()), progress);
  // Several writers: resampling and FLAC encoding take more CPU than espeak-ng itself, and each
  // atomic write waits on fsync, which other writers overlap.
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&] {
      try {
        while (auto job = queue.pop()) {
          const UtterancePlan& u = plan.utterances[job->index];
          const SpeakerPlan& sp = plan.speakers[u.speaker];
          const auto audio = finish_utterance(job->raw, u, sp.noise);
          const fs::path dir = out / u.subset / std::to_string(sp.id) / std::to_string(u.chapter);
          fs::create_directories(dir);
          write_audio(dir / (u.id + ".flac"), audio, kSampleRate);
          durations[job->index] = static_cast<double>(audio.size()) / kSampleRate;
          std::lock_guard<std::mutex> l(writer_mutex);
          bar.tick(1, u.subset);
        }
      } catch (...) {
        std::lock_guard<std::mutex> l(writer_mutex);
        if (!writer_error) writer_error = std::current_exception();
        queue.close();
      }
    });
  auto join_all = [&] {
    queue.close();
    for (auto& t : writers) t.join();
  };
  try {
    auto& tts = SpeechSynth::instance();
    for (size_t i = 0; i < plan.utterances.size() && !queue.closed(); ++i) {
      const auto& u = plan.utterances[i];
      queue.push({i, tts.speak(u.text, u.voice, u.seed)});
    }
  } catch (...) {
    join_all();
    throw;
  }
  join_all();
  if (writer_error) std::rethrow_exception(writer_error);

  // Transcripts per chapter, upper case as in LibriSpeech.
  std::map<fs::path, std::string> trans;
  for (const auto& u : plan.utterances) {
    const auto& sp = plan.speakers[u.speaker];
    const fs::path f = out / u.subset / std::to_string(sp.id) / std::to_string(u.chapter) /
                       fmt::format("{}-{}.trans.txt", sp.id, u.chapter);
    trans[f] += u.id + " " + upper(u.text) + "\n";
  }
  for (const auto& [f, body] : trans) write_file_atomic(f, body);

  SynthSummary s;
  s.config = config;
  s.domain_description = text.description;
  s.sentences_rejected = text.rejected;
  std::vector<SpeakerEntry> entries;
  for (size_t sub = 0; sub < 3; ++sub) {
    const std::string& name = subset_names()[sub];
    SynthSubsetSummary& ss = s.subsets[name];
    ss.sentences = static_cast<int64_t>(plan.sentences_per_subset[sub]);
    std::set<size_t> spk;
    std::set<std::string> voices;
    for (size_t i = 0; i < plan.utterances.size(); ++i) {
      const auto& u = plan.utterances[i];
      if (u.subset != name) continue;
      ++ss.utterances;
      ss.hours += durations[i] / 3600.0;
      s.audio_s += durations[i];
      if (spk.insert(u.speaker).second) {
        const auto& sp = plan.speakers[u.speaker];
        voices.insert(std::string(engine_name(sp.voice.engine)) + ":" + sp.voice.voice);
        entries.push_back({std::to_string(sp.id), name, engine_name(sp.voice.engine), sp.voice.voice,
                           sp.settings_text()});
      }
    }
    ss.speakers = static_cast<int64_t>(spk.size());
    ss.voices.assign(voices.begin(), voices.end());
  }
  write_file_atomic(out / "SPEAKERS.TXT", format_speakers_txt(entries));
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_file_atomic(out / "corpus.json", s.to_json().dump(2) + "\n");
  bar.finish(fmt::format("{:.2f} h of audio", s.audio_s / 3600.0));
  return s;
}

}  // namespace omnisparse
