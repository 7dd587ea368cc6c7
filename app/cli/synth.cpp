// `omnisparse synth`: build the synthetic corpus (core/data/synth_corpus.h).
#include <cstdio>
#include <iostream>

#include "app/cli/command.h"
#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/synth_corpus.h"

namespace {

void synth_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("synth", "Synthesise a speech corpus (LibriSpeech layout: train/dev/test, FLAC 16 kHz)");
  auto cfg = std::make_shared<omnisparse::SynthConfig>();
  cmd->add_option("--out", cfg->out, "Corpus directory to create")->required();
  cmd->add_option("--utterances", cfg->utterances, "Number of utterances in all subsets")->capture_default_str();
  cmd->add_option("--domain", cfg->domain, "Text: commands, digits, wordnet, or a text file (one sentence per line)")->capture_default_str();
  cmd->add_option("--seed", cfg->seed, "Random seed (same seed, same corpus)")->capture_default_str();
  cmd->add_option("--dev-fraction", cfg->dev_fraction, "Share of utterances in dev")->capture_default_str();
  cmd->add_option("--test-fraction", cfg->test_fraction, "Share of utterances in test")->capture_default_str();
  cmd->add_flag("--festival", cfg->festival,
                "Festival's voices too (kal, ked, slt-hts): a fifth of the train speakers, one voice held out for test");
  cmd->add_flag("--overwrite", cfg->overwrite, "Replace a corpus already in --out");
  cmd->callback([cfg] {
#ifdef OMNISPARSE_NO_SYNTH
    throw omnisparse::Error(omnisparse::kNoSynthesizers);
#else
    const auto& g = omnisparse::cli::globals();
    const auto s = omnisparse::synthesize_corpus(*cfg, !g.json && !g.quiet);
    if (g.json) {
      auto j = s.to_json();
      j["wall_s"] = s.wall_s;
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf("%s: %lld utterances, %.2f h of audio in %.1f s (%.0fx real time); text: %s\n",
                cfg->out.c_str(), static_cast<long long>(cfg->utterances), s.audio_s / 3600, s.wall_s,
                s.audio_s / std::max(s.wall_s, 1e-9), s.domain_description.c_str());
    for (const auto& name : omnisparse::subset_names()) {
      const auto& ss = s.subsets.at(name);
      std::printf("  %-5s %6lld utterances %4lld speakers %6lld sentences %6.2f h  %zu voices\n",
                  name.c_str(), static_cast<long long>(ss.utterances), static_cast<long long>(ss.speakers),
                  static_cast<long long>(ss.sentences), ss.hours, ss.voices.size());
    }
#endif
  });
}

}  // namespace

OMNISPARSE_COMMAND(10, synth_command);
