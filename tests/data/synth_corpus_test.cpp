// A tiny synthetic corpus end to end: layout, SPEAKERS.TXT, the reader, determinism.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/data/corpus.h"
#include "core/data/speakers_file.h"
#include "core/data/speech_synth.h"
#include "core/data/synth_corpus.h"
#include "core/data/text_sources.h"
#include "tests/test_support.h"

using namespace omnisparse;
namespace fs = std::filesystem;
using omnisparse::test::TempDir;

namespace {

SynthConfig tiny(const fs::path& out, uint64_t seed) {
  SynthConfig c;
  c.out = out.string();
  c.utterances = 12;
  c.seed = seed;
  return c;
}

// espeak-ng keeps state across calls, so each corpus is made by a fresh process, as the CLI does.
void synth_in_child(const SynthConfig& c) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      synthesize_corpus(c, false);
      ::_exit(0);
    } catch (...) {
      ::_exit(3);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child synth failed";
}

// relative path -> bytes of every file but corpus.json (which records wall time).
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().filename() != "corpus.json")
      out[fs::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

}  // namespace

TEST(SynthCorpus, TinyCorpusHasLibriSpeechLayoutTheReaderReads) {
  TempDir tmp;
  const auto s = synthesize_corpus(tiny(tmp / "c", 1), false);
  EXPECT_EQ(s.subsets.at("train").utterances, 10);
  EXPECT_EQ(s.subsets.at("dev").utterances, 1);
  EXPECT_EQ(s.subsets.at("test").utterances, 1);
  std::set<std::string> all_text;
  size_t total = 0;
  for (const char* sub : {"train", "dev", "test"}) {
    const auto utts = read_librispeech(tmp / "c" / sub);
    EXPECT_EQ(static_cast<int64_t>(utts.size()), s.subsets.at(sub).utterances);
    for (const auto& u : utts) {
      EXPECT_EQ(u.audio.extension(), ".flac");
      EXPECT_GT(u.duration_s, 0.8) << u.id;
      EXPECT_LT(u.duration_s, 10.0) << u.id;
      all_text.insert(u.text);
      ++total;
    }
  }
  EXPECT_EQ(all_text.size(), total);  // every sentence once: disjoint subsets
  const auto j = nlohmann::json::parse(read_file(tmp / "c/corpus.json"));
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["subsets"]["train"]["utterances"], 10);
}

TEST(SynthCorpus, SpeakersFileMatchesDirectoriesAndTestVoicesAreUnseen) {
  TempDir tmp;
  synthesize_corpus(tiny(tmp / "c", 2), false);
  const auto entries = read_speakers_txt(tmp / "c/SPEAKERS.TXT");
  std::set<std::pair<std::string, std::string>> listed;  // (subset, id)
  std::map<std::string, std::set<std::string>> voices;
  for (const auto& e : entries) {
    listed.insert({e.subset, e.id});
    voices[e.subset].insert(e.synth + ":" + e.voice);
  }
  std::set<std::pair<std::string, std::string>> dirs;
  for (const char* sub : {"train", "dev", "test"})
    for (const auto& d : fs::directory_iterator(tmp / "c" / sub)) dirs.insert({sub, d.path().filename().string()});
  EXPECT_EQ(listed, dirs);
  for (const auto& v : voices["test"]) EXPECT_FALSE(voices["train"].count(v)) << v;
}

TEST(SynthCorpus, SameSeedGivesIdenticalBytesDifferentSeedDiffers) {
  TempDir tmp;
  synth_in_child(tiny(tmp / "a", 7));
  synth_in_child(tiny(tmp / "b", 7));
  synth_in_child(tiny(tmp / "c", 8));
  const auto a = tree(tmp / "a"), b = tree(tmp / "b"), c = tree(tmp / "c");
  ASSERT_GT(a.size(), 12u);
  EXPECT_TRUE(a == b);
  size_t flac = 0, same = 0;
  for (const auto& [k, v] : a)
    if (k.ends_with(".flac")) ++flac;
  for (const auto& [k, v] : c) same += a.count(k) && a.at(k) == v;
  EXPECT_EQ(flac, 12u);
  EXPECT_EQ(same, 0u);
}

TEST(SpeechSynth, FestivalVoicesSpeakAndTheirRateSetsTheDuration) {
  const std::string text = "please enter your mailbox number followed by the pound key";
  for (const auto& [voice, rate] : std::vector<std::pair<std::string, int>>{
           {"kal", 16000}, {"ked", 16000}, {"slt-hts", 32000}}) {
    VoiceSettings v{Engine::kFestival, voice, 1.0, 0.0, 1.0};
    const RawSpeech normal = SpeechSynth::instance().speak(text, v);
    EXPECT_EQ(normal.sample_rate, rate) << voice;
    const double seconds = double(normal.samples.size()) / rate;
    EXPECT_GT(seconds, 2.0) << voice;
    EXPECT_LT(seconds, 8.0) << voice;
    float peak = 0;
    for (float x : normal.samples) peak = std::max(peak, std::abs(x));
    EXPECT_GT(peak, 0.05f) << voice;
    v.rate = 1.3;  // faster: shorter
    const RawSpeech fast = SpeechSynth::instance().speak(text, v);
    EXPECT_LT(double(fast.samples.size()), 0.9 * double(normal.samples.size())) << voice;
    // Deterministic: the same call gives the same samples.
    EXPECT_EQ(SpeechSynth::instance().speak(text, v).samples, fast.samples) << voice;
  }
  EXPECT_THROW(SpeechSynth::instance().speak("hello", {Engine::kFestival, "rab", 1, 0, 1}),
               InvalidArgument);
  EXPECT_EQ(engine_from_name("festival"), Engine::kFestival);
  EXPECT_THROW(engine_from_name("mbrola"), InvalidArgument);
}

TEST(SynthCorpus, RefusesNonEmptyOutputWithoutOverwrite) {
  TempDir tmp;
  std::ofstream(tmp / "keep.txt") << "x";
  try {
    synthesize_corpus(tiny(tmp.path(), 1), false);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is not empty"), std::string::npos);
  }
}

TEST(SynthCorpus, TextFileDomainErrors) {
  TempDir tmp;
  EXPECT_THROW(load_sentences((tmp / "missing.txt").string(), 10, 1), IoError);
  std::ofstream(tmp / "empty.txt") << "\n  \n";
  EXPECT_THROW(load_sentences((tmp / "empty.txt").string(), 10, 1), FormatError);
  std::ofstream(tmp / "digits.txt") << "call 911 now please\nroom 101 is here\n";
  try {
    load_sentences((tmp / "digits.txt").string(), 10, 1);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("none of its 2 lines is usable"), std::string::npos) << e.what();
  }
  std::string long_line;
  for (int i = 0; i < 25; ++i) long_line += "word ";
  std::ofstream(tmp / "ok.txt") << "The quick brown fox jumps.\nRoom 101 is here.\nA B\nShe sells sea shells!\nStop.\n"
                                 << long_line << "\n";
  const auto src = load_sentences((tmp / "ok.txt").string(), 10, 1);
  // A file's one- and two-word lines are kept (commands, prompts); digits and 25 words are not.
  EXPECT_EQ(std::set<std::string>(src.sentences.begin(), src.sentences.end()),
            (std::set<std::string>{"the quick brown fox jumps", "she sells sea shells", "a b", "stop"}));
  EXPECT_EQ(src.rejected, 2u);
}
