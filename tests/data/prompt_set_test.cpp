// The real-voice test set builder (core/data/prompt_set.h): the words of written prompts, the
// index reader, and a set built from WAV files and an index made here (the Debian package's own
// files are built by the CLI test, tests/cli/prompts_test.cpp).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/audio/audio_io.h"
#include "core/common/error.h"
#include "core/data/corpus.h"
#include "core/data/prompt_set.h"
#include "tests/test_support.h"

using namespace omnisparse;
namespace fs = std::filesystem;
using omnisparse::test::TempDir;

namespace {

std::string words(std::string_view written) {
  const SpokenForm f = spoken_form(written);
  if (f.skip_reason.empty()) return f.text;
  return "SKIP: " + f.skip_reason + (f.skip_detail.empty() ? "" : " (" + f.skip_detail + ")");
}

std::vector<float> prompt_tone(double seconds, int rate) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * static_cast<float>(std::sin(2 * M_PI * 300 * i / rate));
  return x;
}

using omnisparse::test::write_text;

void write_gzip(const fs::path& p, const std::string& s) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, s.data(), static_cast<unsigned>(s.size())), static_cast<int>(s.size()));
  gzclose(f);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> lines(const fs::path& p) {
  std::set<std::string> out;
  std::istringstream in(slurp(p));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.insert(l);
  return out;
}

// sounds/{a,b,c,d,digits/7}.wav at 8 kHz, like the package; an index with one prompt of each
// kind: plain, digits, annotation only, no sound file, a number with no single reading.
struct Package {
  fs::path sounds, index;
};
Package make_package(const TempDir& tmp) {
  Package p{tmp / "sounds", tmp / "core-sounds-en.txt.gz"};
  for (const char* k : {"a", "b", "c", "d", "e", "digits/7"}) write_audio(p.sounds / (std::string(k) + ".wav"), prompt_tone(0.5, 8000), 8000);
  write_gzip(p.index,
             "; Core Asterisk Sounds in English\n\n"
             "a: Agent logged in.\n"
             "b: Please press 1 to mute, or # to exit.\n"
             "c: [ascending tones]\n"
             "missing: Goodbye.\n"
             "d: Dial 1234 now.\n"
             "e: Thank you.\n"
             "digits/7: seven\n");
  return p;
}

}  // namespace

TEST(SpokenForm, WordsAsTheSpeakerSaysThem) {
  EXPECT_EQ(words("Agent Logged off."), "agent logged off");
  EXPECT_EQ(words("Call-Forward on Busy."), "call forward on busy");
  EXPECT_EQ(words("press * to toggle pause, press # to enter"), "press star to toggle pause press pound to enter");
  EXPECT_EQ(words("at least a 28.8 kilobit modem"), "at least a twenty eight point eight kilobit modem");
  EXPECT_EQ(words("dial 500 to attempt"), "dial five hundred to attempt");
  EXPECT_EQ(words("Press 1 to mute, 2 to lock, or 8 to exit."), "press one to mute two to lock or eight to exit");
  EXPECT_EQ(words("3D audio enabled"), "three d audio enabled");
  EXPECT_EQ(words("at [@]"), "at");
  EXPECT_EQ(words("Please leave your message after the tone. (simple tone sound plays)"),
            "please leave your message after the tone");
  EXPECT_EQ(words("Welcome to the PBX"), "welcome to the p b x");
  EXPECT_EQ(words("at 7 P.M."), "at seven p m");
  EXPECT_EQ(words("your USB key"), "your u s b key");
}

TEST(SpokenForm, SkipsWhatHasNoSingleReading) {
  EXPECT_EQ(words("[ascending tones]"), "SKIP: annotation only (no words)");
  EXPECT_EQ(words("(10 seconds of silence)"), "SKIP: annotation only (no words)");
  EXPECT_EQ(words("<beep ascending>"), "SKIP: annotation only (no words)");
  EXPECT_EQ(words("extension 1234 and password 4242"), "SKIP: number with no single reading (1234)");
  EXPECT_EQ(words("extension 007"), "SKIP: number with no single reading (007)");
  EXPECT_EQ(words("H.323"), "SKIP: number with no single reading (323)");
  EXPECT_EQ(words("that costs $5"), "SKIP: amount of money (no single reading)");
  EXPECT_EQ(words("an IAX connection"), "SKIP: acronym said as a word (IAX)");
  EXPECT_EQ(words("caf\xc3\xa9"), "SKIP: characters outside the alphabet (\xc3\xa9)");
}

TEST(PromptIndex, ReadsGzipAndPlainAndNamesABadLine) {
  TempDir tmp;
  write_gzip(tmp / "i.gz", "; comment\n\nvm-intro: Please leave your message.\ndigits/20: twenty\n");
  const auto g = read_prompt_index(tmp / "i.gz");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].key, "vm-intro");
  EXPECT_EQ(g[0].text, "Please leave your message.");
  EXPECT_EQ(g[0].line, 3);
  EXPECT_EQ(g[1].key, "digits/20");

  write_text(tmp / "plain.txt", "a: One.\r\nb: Two.\n");
  EXPECT_EQ(read_prompt_index(tmp / "plain.txt").at(1).text, "Two.");

  write_text(tmp / "bad.txt", "a: One.\nthis line has no key\n");
  try {
    read_prompt_index(tmp / "bad.txt");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt: line 2: expected \"key: text\""), std::string::npos) << e.what();
  }
  write_text(tmp / "empty.txt", "; nothing\n");
  EXPECT_THROW(read_prompt_index(tmp / "empty.txt"), FormatError);
  EXPECT_THROW(read_prompt_index(tmp / "absent.gz"), IoError);
  // A truncated gzip stream is corrupt, not silently short.
  write_gzip(tmp / "full.gz", std::string(20000, 'x') + ": y\n");
  const std::string bytes = slurp(tmp / "full.gz");
  write_text(tmp / "cut.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(read_prompt_index(tmp / "cut.gz"), FormatError);
}

TEST(PromptSet, BuildsALibriSpeechSubsetAt16kAndCountsEverySkip) {
  TempDir tmp;
  const Package pkg = make_package(tmp);
  PromptSetConfig c;
  c.out = tmp / "real";
  c.sounds = pkg.sounds;
  c.index = pkg.index;
  const PromptSetSummary s = build_prompt_set(c);
  EXPECT_EQ(s.prompts, 7);
  EXPECT_EQ(s.usable, 4);
  EXPECT_EQ(s.utterances, 4);
  EXPECT_NEAR(s.audio_s, 4 * 0.5, 1e-3);
  EXPECT_EQ(s.skipped.at("annotation only (no words)"), std::vector<std::string>{"c"});
  EXPECT_EQ(s.skipped.at("no sound file"), std::vector<std::string>{"missing"});
  EXPECT_EQ(s.skipped.at("number with no single reading"), std::vector<std::string>{"d"});

  const auto utts = read_librispeech(c.out / "test");
  ASSERT_EQ(utts.size(), 4u);
  EXPECT_EQ(utts[0].text, "agent logged in");
  EXPECT_EQ(utts[1].text, "please press one to mute or pound to exit");
  EXPECT_EQ(utts[3].text, "seven");
  const Audio a = read_audio(utts[0].audio);
  EXPECT_EQ(a.sample_rate, 16000);
  EXPECT_NEAR(static_cast<double>(a.samples.size()), 8000, 2);
  EXPECT_NE(slurp(c.out / "prompts.tsv").find("9000-1-0003\tdigits/7\tseven\tseven"), std::string::npos);
  EXPECT_NE(slurp(c.out / "skipped.tsv").find("missing\tno sound file\t\n"), std::string::npos);
  EXPECT_NE(slurp(c.out / "skipped.tsv").find("d\tnumber with no single reading\t1234\n"), std::string::npos);
  const auto j = nlohmann::json::parse(slurp(c.out / "prompts.json"));
  EXPECT_EQ(j.at("utterances"), 4);
  EXPECT_FALSE(fs::exists(c.out / "train-texts.txt"));

  // Not over a set that is there, unless asked; the old set survives a refusal.
  try {
    build_prompt_set(c);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is not empty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_librispeech(c.out / "test").size(), 4u);
}

TEST(PromptSet, HeldOutTextsAreOnOneSideOnly) {
  TempDir tmp;
  const Package pkg = make_package(tmp);
  // Two prompts with the same words: they must land on the same side.
  write_audio(pkg.sounds / "a2.wav", prompt_tone(0.4, 8000), 8000);
  write_gzip(pkg.index, "a: Agent logged in.\na2: Agent logged in!\nb: Thank you.\ne: Goodbye.\ndigits/7: seven\n");
  PromptSetConfig c;
  c.out = tmp / "split";
  c.sounds = pkg.sounds;
  c.index = pkg.index;
  c.heldout_fraction = 0.5;
  c.seed = 3;
  const PromptSetSummary s = build_prompt_set(c);
  EXPECT_EQ(s.train_texts + s.test_texts, 4);
  EXPECT_EQ(s.test_texts, 2);
  const auto train = lines(c.out / "train-texts.txt");
  const auto test = lines(c.out / "test-texts.txt");
  EXPECT_EQ(static_cast<int64_t>(train.size()), s.train_texts);
  EXPECT_EQ(static_cast<int64_t>(test.size()), s.test_texts);
  for (const auto& t : test) EXPECT_EQ(train.count(t), 0u) << t;
  std::set<std::string> scored;
  for (const auto& u : read_librispeech(c.out / "test")) scored.insert(u.text);
  EXPECT_EQ(scored, test);  // the real speaker reads exactly the held-out texts
  EXPECT_EQ(build_prompt_set([&] { auto o = c; o.out = tmp / "again"; return o; }()).test_texts, s.test_texts);
  EXPECT_EQ(lines(tmp / "again" / "test-texts.txt"), test);  // same seed, same split
}

TEST(PromptSet, ACorruptSoundLeavesNothingBehind) {
  TempDir tmp;
  const Package pkg = make_package(tmp);
  write_text(pkg.sounds / "e.wav", "RIFF....WAVEfmt garbage");
  PromptSetConfig c;
  c.out = tmp / "real";
  c.sounds = pkg.sounds;
  c.index = pkg.index;
  try {
    build_prompt_set(c);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("e.wav"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(c.out));
  EXPECT_FALSE(fs::exists(tmp / ".real.building"));

  c.sounds = tmp / "nowhere";
  EXPECT_THROW(build_prompt_set(c), IoError);
  c.sounds = pkg.sounds;
  c.heldout_fraction = 1.0;
  EXPECT_THROW(build_prompt_set(c), ConfigError);
}
