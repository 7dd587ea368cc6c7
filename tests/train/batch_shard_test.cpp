// The workers' shards of a batch: together exactly the batch one worker sees (so N workers
// train the model one would), at most one utterance apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "core/train/train_data.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace batch_shard_test {  // named: the unity build compiles this file with its siblings

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

TEST(BatchShard, ShardsTogetherAreTheBatchAtMostOneUtteranceApart) {
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
      std::vector<int64_t> counts;
      for (auto& p : shards) {
        const Batch s = p->next();
        EXPECT_EQ(s.global_utts, b.num_utts());
        const std::vector<Item> mine = items_of(s);
        merged.insert(merged.end(), mine.begin(), mine.end());
        counts.push_back(static_cast<int64_t>(mine.size()));
      }
      std::sort(all.begin(), all.end());
      std::sort(merged.begin(), merged.end());
      EXPECT_EQ(merged, all) << count << " workers, batch " << step;
      EXPECT_LE(*std::max_element(counts.begin(), counts.end()) -
                    *std::min_element(counts.begin(), counts.end()),
                1);
    }
  }
}

}  // namespace batch_shard_test
}  // namespace omnisparse
