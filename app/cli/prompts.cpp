// `omnisparse prompts`: the real-voice test set from Debian's Asterisk prompts
// (core/data/prompt_set.h).
#include <cstdio>
#include <iostream>

#include "app/cli/command.h"
#include "core/data/prompt_set.h"

namespace {

void prompts_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "prompts", "Build the real-voice test set: Asterisk's English prompts (one studio speaker) in LibriSpeech layout, 16 kHz");
  auto cfg = std::make_shared<omnisparse::PromptSetConfig>();
  cmd->add_option("--out", cfg->out, "Directory to create (OUT/test is the subset to score)")->required();
  cmd->add_option("--sounds", cfg->sounds, "The prompts' WAV directory (asterisk-core-sounds-en-wav)")->capture_default_str();
  cmd->add_option("--texts", cfg->index, "The prompts' texts, \"key: text\" per line (asterisk-core-sounds-en)")->capture_default_str();
  cmd->add_option("--heldout", cfg->heldout_fraction,
                  "Hold out this share of the texts: OUT/test reads only those, train-texts.txt lists the rest (0: all in test)")
      ->capture_default_str();
  cmd->add_option("--seed", cfg->seed, "Seed of the split")->capture_default_str();
  cmd->add_flag("--overwrite", cfg->overwrite, "Replace a set already in --out");
  cmd->callback([cfg] {
    const auto s = omnisparse::build_prompt_set(*cfg);
    if (omnisparse::cli::globals().json) {
      std::cout << s.to_json().dump(2) << "\n";
      return;
    }
    int64_t skipped = 0;
    for (const auto& [why, keys] : s.skipped) skipped += static_cast<int64_t>(keys.size());
    std::printf("%s: %lld utterances, %.1f min of one real speaker (test); %lld prompts, %lld skipped\n",
                cfg->out.c_str(), static_cast<long long>(s.utterances), s.audio_s / 60,
                static_cast<long long>(s.prompts), static_cast<long long>(skipped));
    for (const auto& [why, keys] : s.skipped) {
      std::printf("  skipped %3zu  %s: %s%s\n", keys.size(), why.c_str(), keys.front().c_str(),
                  keys.size() > 1 ? ", ..." : "");
    }
    if (cfg->heldout_fraction > 0)
      std::printf("  texts: %lld held out (read in test), %lld for training (train-texts.txt)\n",
                  static_cast<long long>(s.test_texts), static_cast<long long>(s.train_texts));
  });
}

}  // namespace

OMNISPARSE_COMMAND(12, prompts_command);
