// The synthetic corpus plan: the properties that make its test set honest.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/common/error.h"
#include "core/data/commands_grammar.h"
#include "core/data/synth_plan.h"
#include "core/data/text_sources.h"
#include "core/data/tokenizer.h"

using namespace omnisparse;

namespace {
CorpusPlan plan_for(int64_t n, uint64_t seed, size_t sentences) {
  SynthConfig c;
  c.out = "unused";
  c.utterances = n;
  c.seed = seed;
  return make_plan(c, generate_commands(sentences, seed));
}
std::string voice_of(const SpeakerPlan& s) { return std::string(engine_name(s.voice.engine)) + ":" + s.voice.voice; }
}  // namespace

TEST(CommandsGrammar, NumberWords) {
  EXPECT_EQ(number_words(0), "zero");
  EXPECT_EQ(number_words(21), "twenty one");
  EXPECT_EQ(number_words(100), "one hundred");
  EXPECT_EQ(number_words(1905), "one thousand nine hundred five");
  EXPECT_THROW(number_words(-1), InvalidArgument);
}

TEST(CommandsGrammar, TensOfThousandsOfDistinctEncodableSentencesFromAFewHundredWords) {
  const auto s = generate_commands(30000, 1);
  EXPECT_EQ(s.size(), 30000u);
  EXPECT_EQ(std::set<std::string>(s.begin(), s.end()).size(), s.size());
  std::set<std::string> words;
  for (const auto& x : s) {
    EXPECT_TRUE(usable_sentence(x)) << x;
    size_t b = 0;
    for (size_t e; (e = x.find(' ', b)) != std::string::npos; b = e + 1) words.insert(x.substr(b, e - b));
    words.insert(x.substr(b));
  }
  EXPECT_GT(words.size(), 200u);
  EXPECT_LT(words.size(), 600u);
  EXPECT_EQ(generate_commands(50, 7), generate_commands(50, 7));
  EXPECT_NE(generate_commands(50, 7), generate_commands(50, 8));
}

TEST(SynthPlan, SubsetCountsFollowTheSplit) {
  const auto p = plan_for(1000, 3, 1000);
  std::map<std::string, int> n;
  for (const auto& u : p.utterances) ++n[u.subset];
  EXPECT_EQ(n["train"], 800);
  EXPECT_EQ(n["dev"], 100);
  EXPECT_EQ(n["test"], 100);
}

TEST(SynthPlan, SentencesOfTrainDevTestAreDisjoint) {
  for (size_t sentences : {1000u, 150u}) {  // also when sentences are reused within a subset
    const auto p = plan_for(1000, 5, sentences);
    std::map<std::string, std::set<std::string>> by;
    for (const auto& u : p.utterances) by[u.subset].insert(u.text);
    for (const auto& a : by["train"]) {
      EXPECT_FALSE(by["dev"].count(a)) << a;
      EXPECT_FALSE(by["test"].count(a)) << a;
    }
    for (const auto& a : by["dev"]) EXPECT_FALSE(by["test"].count(a)) << a;
    EXPECT_EQ(by["train"].size() + by["dev"].size() + by["test"].size(), std::min<size_t>(sentences, 1000));
  }
}

TEST(SynthPlan, TestVoicesAreNeverHeardInTrainAndDevUsesTrainSpeakers) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const auto p = plan_for(2000, seed, 2000);
    std::map<std::string, std::set<std::string>> voices;
    std::map<std::string, std::set<size_t>> speakers;
    for (const auto& u : p.utterances) {
      voices[u.subset].insert(voice_of(p.speakers[u.speaker]));
      speakers[u.subset].insert(u.speaker);
    }
    for (const auto& v : voices["test"]) EXPECT_FALSE(voices["train"].count(v)) << v;
    for (size_t s : speakers["dev"]) EXPECT_TRUE(speakers["train"].count(s));
    auto count_engine = [&](const std::string& subset, const char* engine) {
      int n = 0;
      for (const auto& v : voices[subset]) n += v.rfind(engine, 0) == 0;
      return n;
    };
    EXPECT_GE(count_engine("test", "flite"), 1);
    EXPECT_GE(count_engine("test", "espeak"), 1);
    EXPECT_GE(count_engine("train", "flite"), 1);
    EXPECT_GE(voices["train"].size(), 30u);  // voice diversity is the point
  }
}

TEST(SynthPlan, FestivalVoicesJoinOnlyWhenAskedAndOneIsHeldOutForTest) {
  SynthConfig c;
  c.out = "unused";
  c.utterances = 2000;
  c.seed = 4;
  const auto sentences = generate_commands(2000, 4);
  const CorpusPlan plain = make_plan(c, sentences);
  c.festival = true;
  const CorpusPlan with = make_plan(c, sentences);
  for (const auto& sp : plain.speakers) EXPECT_NE(sp.voice.engine, Engine::kFestival);
  std::map<std::string, std::set<std::string>> festival;  // subset -> festival voices
  int train_speakers = 0, festival_train_speakers = 0;
  for (const auto& sp : with.speakers) {
    const bool fest = sp.voice.engine == Engine::kFestival;
    if (fest) festival[sp.subsets[0]].insert(sp.voice.voice);
    if (sp.subsets[0] == "train") {
      ++train_speakers;
      festival_train_speakers += fest;
    }
  }
  EXPECT_EQ(festival["train"].size(), 2u);  // two voices train, the third is test's alone
  ASSERT_EQ(festival["test"].size(), 1u);
  EXPECT_FALSE(festival["train"].count(*festival["test"].begin()));
  EXPECT_NEAR(double(festival_train_speakers) / train_speakers, 0.2, 0.02);
  // Asked for again: the same plan; and the texts and subsets do not depend on the voices.
  const CorpusPlan again = make_plan(c, sentences);
  ASSERT_EQ(again.speakers.size(), with.speakers.size());
  for (size_t i = 0; i < with.speakers.size(); ++i)
    EXPECT_EQ(voice_of(again.speakers[i]), voice_of(with.speakers[i]));
  ASSERT_EQ(with.utterances.size(), plain.utterances.size());
  for (size_t i = 0; i < with.utterances.size(); ++i)
    EXPECT_EQ(with.utterances[i].subset, plain.utterances[i].subset);
}

TEST(SynthPlan, TinyCorpusStillHoldsOutAFliteVoice) {
  const auto p = plan_for(12, 9, 12);
  std::set<std::string> train, test;
  for (const auto& u : p.utterances) (u.subset == "test" ? test : train).insert(voice_of(p.speakers[u.speaker]));
  ASSERT_FALSE(test.empty());
  EXPECT_EQ(test.begin()->rfind("flite:", 0), 0u);
  for (const auto& v : test) EXPECT_FALSE(train.count(v));
}

TEST(SynthPlan, IdsFollowLibriSpeechPatternAndAreUnique) {
  const auto p = plan_for(500, 4, 500);
  std::set<std::string> ids;
  for (const auto& u : p.utterances) {
    const auto& s = p.speakers[u.speaker];
    EXPECT_EQ(u.id.rfind(std::to_string(s.id) + "-" + std::to_string(u.chapter) + "-", 0), 0u) << u.id;
    EXPECT_TRUE(ids.insert(u.id).second) << u.id;
  }
}

TEST(SynthPlan, DeterministicUnderSeed) {
  const auto a = plan_for(300, 11, 300), b = plan_for(300, 11, 300), c = plan_for(300, 12, 300);
  ASSERT_EQ(a.utterances.size(), b.utterances.size());
  bool differs = false;
  for (size_t i = 0; i < a.utterances.size(); ++i) {
    EXPECT_EQ(a.utterances[i].id, b.utterances[i].id);
    EXPECT_EQ(a.utterances[i].text, b.utterances[i].text);
    EXPECT_EQ(a.utterances[i].voice.rate, b.utterances[i].voice.rate);
    EXPECT_EQ(a.utterances[i].seed, b.utterances[i].seed);
    differs |= a.utterances[i].text != c.utterances[i].text;
  }
  EXPECT_TRUE(differs);
}

TEST(SynthPlan, ConfigValidatesAndRoundTrips) {
  SynthConfig c;
  c.out = "x";
  EXPECT_NO_THROW(c.Validate());
  EXPECT_EQ(SynthConfig::from_json(c.to_json()).to_json(), c.to_json());
  c.utterances = 2;
  EXPECT_THROW(c.Validate(), ConfigError);
  auto j = SynthConfig{}.to_json();
  j["out"] = "x";
  j["bogus"] = 1;
  EXPECT_THROW(SynthConfig::from_json(j), ConfigError);
  // A corpus.json written before Festival voices existed reads as without them.
  nlohmann::json old = {{"out", "x"}, {"utterances", 100}, {"domain", "commands"}, {"seed", 3}};
  EXPECT_FALSE(SynthConfig::from_json(old).festival);
  old["festival"] = "yes";
  try {
    SynthConfig::from_json(old);
    ADD_FAILURE() << "festival: \"yes\" accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("synth.festival"), std::string::npos) << e.what();
  }
}

TEST(TextSources, WordnetGivesThousandsOfUsableSentences) {
  const auto src = wordnet_sentences();
  EXPECT_GT(src.sentences.size(), 10000u);
  for (size_t i = 0; i < src.sentences.size(); i += 97) EXPECT_TRUE(usable_sentence(src.sentences[i]));
}
