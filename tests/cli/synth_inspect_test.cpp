// `omnisparse synth` and `omnisparse inspect` as a user runs them.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

using omnisparse::test::run_cli;
using omnisparse::test::TempDir;
namespace fs = std::filesystem;

TEST(SynthInspectCli, SynthThenInspectJsonAgree) {
  TempDir tmp;
  const std::string out = (tmp / "corpus").string();
  const auto s = run_cli({"synth", "--out", out, "--utterances", "20", "--seed", "3", "--json"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto sj = nlohmann::json::parse(s.out);
  EXPECT_EQ(sj["subsets"]["train"]["utterances"], 16);
  EXPECT_EQ(sj["subsets"]["dev"]["utterances"], 2);
  EXPECT_EQ(sj["subsets"]["test"]["utterances"], 2);

  const auto i = run_cli({"inspect", out, "--json"});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  const auto ij = nlohmann::json::parse(i.out);
  for (const char* sub : {"train", "dev", "test"}) {
    EXPECT_EQ(ij["subsets"][sub]["utterances"], sj["subsets"][sub]["utterances"]) << sub;
    EXPECT_EQ(ij["subsets"][sub]["speakers"], sj["subsets"][sub]["speakers"]) << sub;
    EXPECT_EQ(ij["subsets"][sub]["voices"], sj["subsets"][sub]["voices"]) << sub;
    EXPECT_NEAR(ij["subsets"][sub]["hours"].get<double>(), sj["subsets"][sub]["hours"].get<double>(), 1e-6);
    EXPECT_GT(ij["subsets"][sub]["vocabulary"].get<int>(), 0);
  }
  const auto text = run_cli({"inspect", out + "/train"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("duration histogram"), std::string::npos) << text.out;
}

TEST(SynthInspectCli, SameSeedGivesByteIdenticalCorpus) {
  TempDir tmp;
  for (const char* d : {"a", "b"})
    ASSERT_EQ(run_cli({"synth", "--out", (tmp / d).string(), "--utterances", "6", "--seed", "5", "-q"}).exit_code, 0);
  size_t compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "a")) {
    if (!e.is_regular_file() || e.path().filename() == "corpus.json") continue;
    const fs::path other = tmp / "b" / fs::relative(e.path(), tmp / "a");
    std::ifstream x(e.path(), std::ios::binary), y(other, std::ios::binary);
    ASSERT_TRUE(y.good()) << other;
    EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(x), {}, std::istreambuf_iterator<char>(y), {})) << e.path();
    ++compared;
  }
  EXPECT_GT(compared, 6u);
}

TEST(SynthInspectCli, BadDataDirGivesOneLineErrorNamingThePath) {
  TempDir tmp;
  const std::string missing = (tmp / "no-such-corpus").string();
  const auto r = run_cli({"inspect", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(missing + ": no such directory"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  fs::create_directories(tmp / "bad/train/19/198");
  std::ofstream(tmp / "bad/train/19/198/19-198.trans.txt") << "19-198-0000 HELLO THERE\n";
  const auto b = run_cli({"inspect", (tmp / "bad").string()});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("19-198.trans.txt: line 1: utterance '19-198-0000' has no audio file"), std::string::npos) << b.err;
  EXPECT_EQ(std::count(b.err.begin(), b.err.end(), '\n'), 1) << b.err;
}

// A FLAC whose header reads but whose audio stops half-way: training would refuse it at start;
// inspect decodes every file and says so first (the header-only mode does not look).
TEST(SynthInspectCli, UndecodableAudioFileFailsInspectNamingTheFile) {
  TempDir tmp;
  const std::string out = (tmp / "corpus").string();
  ASSERT_EQ(run_cli({"synth", "--out", out, "--utterances", "10", "--seed", "4", "-q"}).exit_code, 0);
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(tmp / "corpus/train"))
    if (e.path().extension() == ".flac") { victim = e.path(); break; }
  ASSERT_FALSE(victim.empty());
  fs::resize_file(victim, fs::file_size(victim) / 2);

  const auto r = run_cli({"-q", "inspect", out});  // -q: no decoding progress on stderr
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(out + ": 1 of 10 audio files cannot be decoded; the first: " + victim.string() + ": "),
            std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.out.find("train: 1 of 8 audio files cannot be decoded"), std::string::npos) << r.out;

  const auto j = run_cli({"inspect", out, "--json"});
  EXPECT_EQ(j.exit_code, 1);
  const auto js = nlohmann::json::parse(j.out);
  EXPECT_EQ(js["undecodable"], 1);
  ASSERT_EQ(js["subsets"]["train"]["undecodable"].size(), 1u);
  EXPECT_TRUE(js["subsets"]["dev"]["decoded"].get<bool>());

  const auto h = run_cli({"inspect", out, "--headers-only"});
  EXPECT_EQ(h.exit_code, 0) << h.err;
}

TEST(SynthInspectCli, UnusableDomainFileIsOneLineError) {
  TempDir tmp;
  std::ofstream(tmp / "digits.txt") << "call 911\n";
  const auto r = run_cli({"synth", "--out", (tmp / "c").string(), "--utterances", "5", "--domain",
                          (tmp / "digits.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("digits.txt: none of its 1 lines is usable"), std::string::npos) << r.err;
}
