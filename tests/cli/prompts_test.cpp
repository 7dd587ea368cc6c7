// `omnisparse prompts` on the Debian packages' own files (installed by scripts/install-deps.sh):
// the real-voice test set a user builds, then inspects and scores.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/data/corpus.h"
#include "core/data/prompt_set.h"
#include "tests/test_support.h"

using omnisparse::test::run_cli;
using omnisparse::test::TempDir;
namespace fs = std::filesystem;

TEST(PromptsCli, BuildsTheAsteriskSetWithAHeldOutSplit) {
  TempDir tmp;
  const std::string out = (tmp / "real").string();
  const auto r = run_cli({"prompts", "--out", out, "--heldout", "0.33", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // The package's index lists 568 prompts; nearly all have one reading and a sound file.
  EXPECT_GE(j.at("prompts").get<int>(), 560);
  EXPECT_GE(j.at("usable").get<int>(), 500);
  int64_t skipped = 0;
  for (const auto& [why, keys] : j.at("skipped").items()) skipped += static_cast<int64_t>(keys.size());
  EXPECT_EQ(j.at("usable").get<int64_t>() + skipped, j.at("prompts").get<int64_t>());
  EXPECT_GT(j.at("skipped").at("annotation only (no words)").size(), 10u);  // silence/*, tones
  const auto utts = omnisparse::read_librispeech(fs::path(out) / "test");
  EXPECT_EQ(static_cast<int64_t>(utts.size()), j.at("utterances").get<int64_t>());
  EXPECT_GT(utts.size(), 120u);  // a third of the texts, each read once or more
  EXPECT_LT(utts.size(), 260u);
  EXPECT_GT(j.at("audio_minutes").get<double>(), 4.0);

  // inspect decodes every file of it.
  const auto i = run_cli({"inspect", out + "/test"});
  EXPECT_EQ(i.exit_code, 0) << i.err;

  // A second build into the same directory is refused with one line.
  const auto again = run_cli({"prompts", "--out", out});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;

  // A missing package names the file and the package.
  const auto none = run_cli({"prompts", "--out", (tmp / "x").string(), "--texts", (tmp / "no.txt.gz").string()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no.txt.gz: no such file (install asterisk-core-sounds-en)"), std::string::npos) << none.err;
}
