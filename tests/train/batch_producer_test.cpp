// The training batches: the workers' shards of a batch are together exactly the batch one worker
// sees (so N workers train the model one would), each a run of the length-sorted batch; before
// spec_augment_start a batch trains unmasked, and is otherwise the same batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"
#include "core/train/train_data.h"
#include "core/train/trainer.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace batch_producer_test {  // named: the unity build compiles this file with its siblings

using Item = std::tuple<int64_t, std::vector<int64_t>>;  // (frames, tokens) of one utterance

std::vector<Item> items_of(const Batch& b) {
  std::vector<Item> out;
  for (int64_t i = 0; i < b.num_utts(); ++i) {
    const int64_t u = b.target_lens[i].item<int64_t>();
    const at::Tensor t = b.targets[i].narrow(0, 0, u).contiguous();
    out.emplace_back(b.feat_lens[i].item<int64_t>(),
                     std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + u));
  }
  return out;
}

TEST(BatchShard, ShardsTogetherAreTheBatchInRunsOfIt) {
  TrainConfig cfg = test::micro_config("unused", TrainMode::Dense, 1);
  cfg.max_batch = 11;
  cfg.max_frames_per_batch = 100000;
  const TrainData data(read_subset(test::micro_corpus() / "train"), CharTokenizer(), FbankConfig{},
                       false);
  const FeatureStats stats = data.compute_stats();
  for (int count : {2, 3}) {
    BatchProducer whole(data, stats, cfg, 0, 0);
    std::vector<std::unique_ptr<BatchProducer>> shards;
    for (int r = 0; r < count; ++r)
      shards.push_back(std::make_unique<BatchProducer>(data, stats, cfg, 0, 0, BatchShard{r, count}));
    for (int step = 0; step < 6; ++step) {
      const Batch b = whole.next();
      std::vector<Item> all = items_of(b), merged;
      std::vector<std::vector<int64_t>> shard_frames;  // each shard's lengths, sorted
      for (auto& p : shards) {
        const Batch s = p->next();
        EXPECT_EQ(s.global_utts, b.num_utts());
        const std::vector<Item> mine = items_of(s);
        merged.insert(merged.end(), mine.begin(), mine.end());
        std::vector<int64_t> f;
        for (const Item& it : mine) f.push_back(std::get<0>(it));
        std::sort(f.begin(), f.end());
        shard_frames.push_back(f);
      }
      // Runs of the length-sorted batch, shortest first: shard r's longest <= shard r+1's shortest.
      for (size_t r = 0; r + 1 < shard_frames.size(); ++r)
        if (!shard_frames[r].empty() && !shard_frames[r + 1].empty())
          EXPECT_LE(shard_frames[r].back(), shard_frames[r + 1].front()) << "batch " << step;
      std::sort(all.begin(), all.end());
      std::sort(merged.begin(), merged.end());
      EXPECT_EQ(merged, all) << count << " workers, batch " << step;
    }
  }
}

TEST(SpecAugmentStart, ABatchCarriesItsUnmaskedFeaturesAndIsOtherwiseTheSame) {
  TrainConfig cfg = test::micro_config("unused", TrainMode::Dense, 1);
  const TrainData data(read_subset(test::micro_corpus() / "train"), CharTokenizer(), FbankConfig{},
                       false);
  const FeatureStats stats = data.compute_stats();
  cfg.spec_augment_start = 0.0;
  BatchProducer plain(data, stats, cfg, 0, 0);
  cfg.spec_augment_start = 0.3;
  BatchProducer late(data, stats, cfg, 0, 0);
  for (int step = 0; step < 3; ++step) {
    const Batch a = plain.next(), b = late.next();
    EXPECT_FALSE(a.feats_unmasked.defined()) << "no copy unless asked for";
    ASSERT_TRUE(b.feats_unmasked.defined());
    EXPECT_TRUE(b.feats.equal(a.feats)) << "the masks drawn are the same";
    EXPECT_TRUE(b.targets.equal(a.targets));
    // The masked batch is the unmasked one with some values set to the mask value (0).
    const at::Tensor differs = b.feats.ne(b.feats_unmasked);
    EXPECT_GT(differs.sum().item<int64_t>(), 0);
    EXPECT_TRUE(b.feats.masked_select(differs).eq(0).all().item<bool>());
  }
}

// A run whose SpecAugment starts only at the end trains exactly like one without SpecAugment.
TEST(SpecAugmentStart, StartingAtTheEndTrainsLikeNoSpecAugment) {
  test::TempDir dir("omnisparse-spec-start");
  auto run = [&](const std::string& name, bool use, double start) {
    TrainConfig c = test::micro_config(dir.path() / name, TrainMode::Dense, 3);
    c.use_spec_augment = use;
    c.spec_augment_start = start;
    TrainerOptions o;
    o.progress_bar = false;
    Trainer(c, o).run();
    std::map<std::string, at::Tensor> w;
    const auto ck = load_latest_checkpoint(RunDir::open(c.run));
    for (auto& [k, v] : ck->second.weights) w[k] = v;
    return w;
  };
  const auto off = run("off", false, 0.0), late = run("late", true, 1.0), on = run("on", true, 0.0);
  ASSERT_FALSE(off.empty());
  bool any_differs = false;
  for (const auto& [name, w] : off) {
    EXPECT_TRUE(late.at(name).equal(w)) << name;
    any_differs = any_differs || !on.at(name).equal(w);
  }
  EXPECT_TRUE(any_differs) << "SpecAugment from the start trains another model";
}

}  // namespace batch_producer_test
}  // namespace omnisparse
