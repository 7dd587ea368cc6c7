// onset_db (docs/DESIGN.md section 3): no label may be emitted before an utterance's speech
// onset. The config key, the batches that carry each utterance's onset, and real micro runs from
// one parent in which the restriction changes what the step learns.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <tuple>

#include "core/audio/speech_onset.h"
#include "core/common/error.h"
#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"
#include "core/train/train_data.h"
#include "core/train/trainer.h"
#include "tests/test_support.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace onset_test {  // named: the unity build compiles this file with its siblings

TEST(OnsetDb, IsValidatedRoundTripsAndShowsInTheSummary) {
  TrainConfig c;
  c.steps = 10;
  c.onset_db = -1;
  try {
    c.Validate();
    ADD_FAILURE() << "a negative onset_db was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "train config: onset_db must be >= 0 (0 = off)");
  }
  c.onset_db = 30;
  EXPECT_NO_THROW(c.Validate());
  EXPECT_NE(c.ToString().find("no emission before the onset (30 dB)"), std::string::npos)
      << c.ToString();
  EXPECT_EQ(TrainConfig::from_json(c.to_json()).onset_db, 30.0);
  c.onset_db = 0;
  EXPECT_EQ(c.ToString().find("onset"), std::string::npos) << c.ToString();
}

TEST(OnsetDb, EveryBatchCarriesItsUtterancesOnsets) {
  TrainConfig cfg = test::micro_config("unused", TrainMode::Dense, 1);
  const TrainData data(read_subset(test::micro_corpus() / "train"), CharTokenizer(), FbankConfig{},
                       false);
  const FeatureStats stats = data.compute_stats();
  EXPECT_EQ(cfg.onset_db, 30.0) << "on by default";
  {
    cfg.onset_db = 0;
    BatchProducer off(data, stats, cfg, 0, 0);
    EXPECT_FALSE(off.next().onsets.defined()) << "no onsets unless onset_db asks for them";
  }
  cfg.onset_db = 30;
  // (frames, tokens) -> the onset of that utterance's clean features
  std::vector<std::tuple<int64_t, std::vector<int64_t>, int64_t>> expected;
  for (size_t i = 0; i < data.size(); ++i)
    expected.emplace_back(data.features(i).size(0), data.tokens(i),
                          speech_onset_frame(data.features(i), 30));
  BatchProducer producer(data, stats, cfg, 0, 0);
  int64_t seen = 0, late = 0;
  for (int step = 0; step < 4; ++step) {
    const Batch b = producer.next();
    ASSERT_TRUE(b.onsets.defined());
    ASSERT_EQ(b.onsets.size(0), b.num_utts());
    for (int64_t k = 0; k < b.num_utts(); ++k) {
      const int64_t frames = b.feat_lens[k].item<int64_t>();
      const int64_t u = b.target_lens[k].item<int64_t>();
      const at::Tensor t = b.targets[k].narrow(0, 0, u).contiguous();
      const std::vector<int64_t> tokens(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + u);
      auto it = std::find_if(expected.begin(), expected.end(), [&](const auto& e) {
        return std::get<0>(e) == frames && std::get<1>(e) == tokens;
      });
      ASSERT_NE(it, expected.end());
      EXPECT_EQ(b.onsets[k].item<int64_t>(), std::get<2>(*it));
      late += b.onsets[k].item<int64_t>() >= 4;  // a whole encoder frame of silence at least
      ++seen;
    }
  }
  EXPECT_GT(late, seen / 2) << "the synthetic utterances start with silence";
}

TEST(OnsetDb, TheRestrictionChangesWhatAStepLearnsInTheTransducerAndTheCtcPhase) {
  test::TempDir dir("omnisparse-onset");
  const fs::path parent = dir.path() / "parent";
  {
    TrainerOptions o;
    o.progress_bar = false;
    Trainer(test::micro_config(parent, TrainMode::Dense, 1), o).run();
  }
  auto child = [&](const std::string& name, double onset_db, double ctc_warmup) {
    TrainConfig c = test::micro_config(dir.path() / name, TrainMode::Dense, 1);
    c.init_from = parent.string();
    c.onset_db = onset_db;
    c.ctc_warmup = ctc_warmup;
    TrainerOptions o;
    o.progress_bar = false;
    EXPECT_TRUE(Trainer(c, o).run().finished) << name;
    return test::latest_weights(dir.path() / name);
  };
  using test::max_change;
  // same parent, same batch, same seed: only the restriction differs
  EXPECT_EQ(max_change(child("plain-a", 0, 0), child("plain-b", 0, 0)), 0.0) << "repeatable";
  EXPECT_GT(max_change(child("plain", 0, 0), child("onset", 30, 0)), 0.0) << "transducer step";
  EXPECT_GT(max_change(child("ctc-plain", 0, 0.99), child("ctc-onset", 30, 0.99)), 0.0)
      << "CTC step";
}

}  // namespace onset_test
}  // namespace omnisparse
