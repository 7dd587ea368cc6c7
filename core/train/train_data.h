// The training set as the trainer consumes it: token targets and clean log-mel features cached
// in memory once, and a producer thread that builds length-bucketed, augmented, normalised,
// padded batches ahead of the trainer (so feature work runs on the second core).
//
//   TrainData data(read_librispeech(train_dir), tokenizer, fbank);   // caches features
//   FeatureStats stats = data.compute_stats();
//   BatchProducer producer(data, stats, cfg, /*epoch=*/0, /*batch=*/0);
//   Batch b = producer.next();  // b.feats [B, T, 80], b.epoch/b.index for resuming
//
// Determinism: the batch order of epoch e comes from seed+e, and each utterance's augmentation
// from (seed, epoch, utterance index), so a resumed run sees exactly the batches it would have,
// and the shards of N data-parallel workers together are exactly the batch one worker sees.
#pragma once

#include <ATen/ATen.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/audio/fbank.h"
#include "core/audio/feature_stats.h"
#include "core/data/corpus.h"
#include "core/data/tokenizer.h"
#include "core/train/train_config.h"

namespace omnisparse {

class TrainData {
 public:
  // Reads and featurises every utterance (progress bar on stderr). Throws on bad audio or on a
  // transcript the tokenizer cannot encode, naming the file.
  TrainData(std::vector<Utterance> utterances, const CharTokenizer& tokenizer,
            const FbankConfig& fbank, bool show_progress);

  size_t size() const { return utts_.size(); }
  const Utterance& utterance(size_t i) const { return utts_[i]; }
  const at::Tensor& features(size_t i) const { return feats_[i]; }  // [T, 80] log-mel
  const std::vector<int64_t>& tokens(size_t i) const { return tokens_[i]; }
  const std::vector<int64_t>& frame_counts() const { return frames_; }
  const FbankConfig& fbank() const { return fbank_; }
  double total_hours() const;

  FeatureStats compute_stats() const;

 private:
  std::vector<Utterance> utts_;
  std::vector<at::Tensor> feats_;
  std::vector<std::vector<int64_t>> tokens_;
  std::vector<int64_t> frames_;
  FbankConfig fbank_;
};

struct Batch {
  at::Tensor feats;        // [B, T, F] normalised (+SpecAugment), zero padded
  at::Tensor feats_unmasked;  // the same without SpecAugment; defined only while the config
                              // has a spec_augment_start (the trainer picks by progress)
  at::Tensor feat_lens;    // [B] int64
  at::Tensor targets;      // [B, U] int64, zero padded
  at::Tensor target_lens;  // [B] int64
  at::Tensor onsets;       // [B] int64 speech onset (10 ms feature frame, speech_onset_frame);
                           // defined only when the config has an onset_db
  int64_t epoch = 0;       // position of this batch, for resuming
  int64_t index = 0;       // batch index within the epoch
  int64_t utts = 0;        // utterances here (0: this worker's shard of the batch is empty)
  int64_t global_utts = 0; // utterances of the whole batch, over all workers' shards
  int64_t num_utts() const { return utts; }
};

// Which part of every batch a worker takes: shard `index` of split_batch(batch, count) (runs of
// the length-sorted batch cut to even out the workers' step times). {0, 1}: all of it.
struct BatchShard {
  int index = 0;
  int count = 1;
};

class BatchProducer {
 public:
  // Starts producing from (epoch, index): a fresh run passes (0, 0), a resumed one the
  // position after the last batch it trained on.
  BatchProducer(const TrainData& data, const FeatureStats& stats, const TrainConfig& cfg,
                int64_t epoch, int64_t index, BatchShard shard = {}, int queue_depth = 4);
  ~BatchProducer();
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;

  Batch next();  // blocks until a batch is ready; rethrows a producer error

 private:
  void loop();
  Batch make(const std::vector<size_t>& utts, int64_t epoch, int64_t index);

  const TrainData& data_;
  const FeatureStats& stats_;
  TrainConfig cfg_;
  int64_t epoch_, index_;
  BatchShard shard_;
  int depth_;
  std::deque<Batch> queue_;
  std::exception_ptr error_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace omnisparse
