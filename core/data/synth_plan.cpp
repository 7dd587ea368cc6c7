#include "core/data/synth_plan.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/common/config_json.h"
#include "core/common/error.h"
#include "core/data/seeded_rng.h"

namespace omnisparse {

void SynthConfig::Validate() const {
  if (out.empty()) throw ConfigError("out: the corpus directory is required (--out DIR)");
  if (utterances < 3) throw ConfigError(fmt::format("utterances: {} is too few (at least 3, one per subset)", utterances));
  if (utterances > 10000000) throw ConfigError(fmt::format("utterances: {} is more than 10 million", utterances));
  if (domain.empty()) throw ConfigError("domain: empty (commands, digits, wordnet or a text file)");
  if (!(dev_fraction > 0 && dev_fraction < 0.5)) throw ConfigError("dev_fraction: must be in (0, 0.5)");
  if (!(test_fraction > 0 && test_fraction < 0.5)) throw ConfigError("test_fraction: must be in (0, 0.5)");
}

nlohmann::json SynthConfig::to_json() const {
  return {{"out", out}, {"utterances", utterances}, {"domain", domain}, {"seed", seed},
          {"dev_fraction", dev_fraction}, {"test_fraction", test_fraction},
          {"festival", festival}, {"overwrite", overwrite}};
}

SynthConfig SynthConfig::from_json(const nlohmann::json& j) {
  SynthConfig c;
  JsonFields f(j, "synth");
  f.get("out", c.out);
  f.get("utterances", c.utterances);
  f.get("domain", c.domain);
  f.get("seed", c.seed);
  f.get("dev_fraction", c.dev_fraction);
  f.get("test_fraction", c.test_fraction);
  f.get("festival", c.festival);
  f.get("overwrite", c.overwrite);
  f.finish();
  c.Validate();
  return c;
}

std::string SpeakerPlan::settings_text() const {
  return fmt::format("rate={:.2f} pitch={:.2f} range={:.2f} level={:.2f} noise={:.4f}", voice.rate,
                     voice.pitch, voice.range, level, noise);
}

namespace {

SpeakerPlan draw_speaker(SeededRng& rng, Engine engine, const std::string& voice) {
  SpeakerPlan s;
  s.voice.engine = engine;
  s.voice.voice = voice;
  // Drawn widely: the model must not learn one speaking style (see the calibration note).
  const bool espeak = engine == Engine::kEspeak;
  s.voice.rate = espeak ? rng.uniform(0.8, 1.3) : rng.uniform(0.85, 1.2);
  s.voice.pitch = espeak ? rng.uniform(-0.8, 0.8) : rng.uniform(-0.6, 0.6);
  s.voice.range = espeak ? rng.uniform(0.3, 1.6) : rng.uniform(0.5, 1.6);
  s.level = rng.uniform(0.25, 0.95);
  s.noise = std::exp(rng.uniform(std::log(0.0003), std::log(0.003)));
  return s;
}

int64_t at_least_one(double v) { return std::max<int64_t>(1, std::llround(v)); }

}  // namespace

CorpusPlan make_plan(const SynthConfig& config, const std::vector<std::string>& sentences) {
  config.Validate();
  SeededRng rng(config.seed, 0x51A9ull);
  const int64_t n = config.utterances;
  const int64_t n_dev = at_least_one(n * config.dev_fraction), n_test = at_least_one(n * config.test_fraction);
  const int64_t counts[3] = {n - n_dev - n_test, n_dev, n_test};

  // Sentences: a disjoint slice per subset.
  const int64_t S = static_cast<int64_t>(sentences.size());
  if (S < 3) throw InvalidArgument(fmt::format("{} distinct sentences are too few for train, dev and test", S));
  int64_t slice[3];
  if (S >= n) {
    std::copy(counts, counts + 3, slice);
  } else {
    slice[1] = at_least_one(double(S) * counts[1] / n);
    slice[2] = at_least_one(double(S) * counts[2] / n);
    slice[0] = S - slice[1] - slice[2];
  }

  // Voice identities, split into train-only and test-only.
  std::vector<std::string> combos, flite = SpeechSynth::flite_voices();
  for (const auto& v : SpeechSynth::espeak_voices())
    for (const auto& var : SpeechSynth::espeak_variants()) combos.push_back(v + "+" + var);
  rng.shuffle(combos);
  rng.shuffle(flite);
  const size_t held = std::max<size_t>(1, combos.size() * 15 / 100);
  const std::vector<std::string> test_combos(combos.begin(), combos.begin() + held);
  std::vector<std::string> train_combos(combos.begin() + held, combos.end());
  const std::string test_flite = flite[0];
  const std::vector<std::string> train_flite(flite.begin() + 1, flite.end());
  std::vector<std::string> festival = SpeechSynth::festival_voices();
  if (config.festival) rng.shuffle(festival);  // only then: plans without Festival unchanged
  const std::vector<std::string> test_festival(festival.begin(), festival.begin() + 1);
  const std::vector<std::string> train_festival(festival.begin() + 1, festival.end());

  CorpusPlan plan;
  // Speakers [0, n_flite) are flite, [n_flite, n_flite + n_fest) Festival, the rest espeak.
  auto make_speakers = [&](int64_t count, int64_t n_flite, int64_t n_fest,
                           const std::vector<std::string>& esp, const std::vector<std::string>& fl,
                           const std::vector<std::string>& fe, const char* subset) {
    std::vector<SpeakerPlan> out;
    for (int64_t i = 0; i < count; ++i) {
      if (i < n_flite) {
        out.push_back(draw_speaker(rng, Engine::kFlite, fl[static_cast<size_t>(i) % fl.size()]));
      } else if (i < n_flite + n_fest) {
        out.push_back(draw_speaker(rng, Engine::kFestival, fe[static_cast<size_t>(i - n_flite) % fe.size()]));
      } else {
        out.push_back(draw_speaker(rng, Engine::kEspeak,
                                   esp[static_cast<size_t>(i - n_flite - n_fest) % esp.size()]));
      }
      out.back().subsets = {subset};
    }
    rng.shuffle(out);  // interleave engines in id order
    return out;
  };
  rng.shuffle(train_combos);
  const int64_t n_train_spk = std::clamp<int64_t>(std::llround(counts[0] / 25.0), std::min<int64_t>(counts[0], 4), 400);
  const int64_t n_train_flite = n_train_spk >= 3 ? at_least_one(0.2 * n_train_spk) : 0;
  const int64_t n_train_fest = config.festival && n_train_spk >= 5 ? at_least_one(0.2 * n_train_spk) : 0;
  auto train = make_speakers(n_train_spk, n_train_flite, n_train_fest, train_combos, train_flite,
                             train_festival, "train");
  for (auto& s : train) s.subsets.push_back("dev");
  const int64_t n_test_spk = std::clamp<int64_t>(std::llround(counts[2] / 25.0), std::min<int64_t>(counts[2], 2), 100);
  const int64_t n_test_flite = n_test_spk >= 2 ? std::min(n_test_spk - 1, at_least_one(n_test_spk / 3.0)) : 1;
  const int64_t n_test_fest = config.festival && n_test_spk - n_test_flite >= 2 ? 1 : 0;
  auto test = make_speakers(n_test_spk, n_test_flite, n_test_fest, test_combos, {test_flite},
                            test_festival, "test");
  int next_id = 100;
  for (auto* group : {&train, &test})
    for (auto& s : *group) {
      s.id = next_id;
      next_id += 1 + static_cast<int>(rng.index(9));  // LibriSpeech-like sparse ids
      plan.speakers.push_back(std::move(s));
    }

  // Utterances: round robin over each subset's speakers, chapters of at most 30.
  int next_chapter = 1000;
  int64_t sentence_base = 0, utt_index = 0;
  for (int sub = 0; sub < 3; ++sub) {
    const std::string& name = subset_names()[sub];
    std::vector<size_t> spk;
    for (size_t i = 0; i < plan.speakers.size(); ++i)
      if (std::count(plan.speakers[i].subsets.begin(), plan.speakers[i].subsets.end(), name)) spk.push_back(i);
    std::map<size_t, std::vector<int64_t>> per_speaker;  // speaker -> sentence indices
    const size_t offset = rng.index(spk.size());
    for (int64_t k = 0; k < counts[sub]; ++k)
      per_speaker[spk[(static_cast<size_t>(k) + offset) % spk.size()]].push_back(sentence_base + k % slice[sub]);
    for (auto& [si, idx] : per_speaker) {
      const SpeakerPlan& sp = plan.speakers[si];
      for (size_t k = 0; k < idx.size(); ++k) {
        if (k % 30 == 0) next_chapter += 1 + static_cast<int>(rng.index(20));
        SeededRng jr(config.seed, 0xA77E00000ull + static_cast<uint64_t>(utt_index++));
        UtterancePlan u;
        u.subset = name;
        u.speaker = si;
        u.chapter = next_chapter;
        u.id = fmt::format("{}-{}-{:04d}", sp.id, u.chapter, k % 30);
        u.text = sentences[static_cast<size_t>(idx[k])];
        u.voice = sp.voice;
        u.voice.rate *= jr.uniform(0.93, 1.07);
        u.voice.pitch = std::clamp(u.voice.pitch + jr.uniform(-0.08, 0.08), -1.0, 1.0);
        u.voice.range *= jr.uniform(0.9, 1.1);
        u.level = std::min(0.99, sp.level * jr.uniform(0.85, 1.15));
        u.lead_s = jr.uniform(0.05, 0.35);
        u.trail_s = jr.uniform(0.05, 0.25);
        u.seed = static_cast<uint32_t>(jr.next());
        plan.utterances.push_back(std::move(u));
      }
    }
    plan.sentences_per_subset[sub] = static_cast<size_t>(std::min(slice[sub], counts[sub]));
    sentence_base += slice[sub];
  }
  return plan;
}

}  // namespace omnisparse
