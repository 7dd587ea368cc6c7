// `omnisparse inspect DIR`: what a corpus holds (core/data/corpus_stats.h).
#include <iostream>

#include "app/cli/command.h"
#include "core/data/corpus_stats.h"

namespace {

void inspect_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("inspect", "Show utterances, hours, speakers, vocabulary and durations of a corpus");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Corpus root (train/dev/test) or one LibriSpeech-layout subset")->required();
  cmd->callback([dir] {
    const auto st = omnisparse::corpus_stats(*dir);
    if (omnisparse::cli::globals().json) std::cout << st.to_json().dump(2) << "\n";
    else std::cout << omnisparse::format_corpus_stats(st);
  });
}

}  // namespace

OMNISPARSE_COMMAND(11, inspect_command);
