// `omnisparse inspect DIR`: what a corpus holds (core/data/corpus_stats.h). Decodes every audio
// file; exits 1 with one line on stderr when any fails (the list is in the report).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "app/cli/command.h"
#include "core/common/error.h"
#include "core/data/corpus_stats.h"

namespace {

void inspect_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("inspect", "Show utterances, hours, speakers, vocabulary and durations of a corpus");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Corpus root (train/dev/test) or one LibriSpeech-layout subset")->required();
  auto headers_only = std::make_shared<bool>(false);
  cmd->add_flag("--headers-only", *headers_only,
                "Read durations from the file headers without decoding the audio (fast on huge corpora)");
  cmd->callback([dir, headers_only] {
    const bool json = omnisparse::cli::globals().json;
    const bool bar = !json && !omnisparse::cli::globals().quiet;
    const auto st = omnisparse::corpus_stats(*dir, {.decode = !*headers_only, .progress = bar});
    if (json) std::cout << st.to_json().dump(2) << "\n";
    else std::cout << omnisparse::format_corpus_stats(st);
    if (st.undecodable() > 0) {
      int64_t total = 0;
      for (const auto& s : st.subsets) total += s.utterances;
      const auto first = std::find_if(st.subsets.begin(), st.subsets.end(),
                                      [](const auto& s) { return !s.undecodable.empty(); });
      throw omnisparse::Error(fmt::format("{}: {} of {} audio files cannot be decoded; the first: {}", *dir,
                                          st.undecodable(), total, first->undecodable.front()));
    }
  });
}

}  // namespace

OMNISPARSE_COMMAND(11, inspect_command);
