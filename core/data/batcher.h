// Length-bucketed batching for training: utterances of similar length go together so padding
// stays small, batches are capped by padded frames (B * T_max) and count, and the order is
// deterministic under a seed. pad_batch stacks variable-length features and token targets.
//
//   auto batches = make_batches(frame_lengths, {.max_frames = 20000, .max_batch = 32}, epoch_seed);
//   for (auto& idx : batches) { PaddedBatch b = pad_batch(feats_of(idx), tokens_of(idx)); ... }
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace omnisparse {

struct BatchConfig {
  int64_t max_frames = 20000;  // padded frames per batch (B * T_max); a longer item goes alone
  int64_t max_batch = 32;      // utterances per batch
  bool shuffle = true;         // random buckets and batch order; false: sorted by length
  int64_t bucket_batches = 50; // a bucket holds this many batches' worth of items

  void Validate() const;  // throws ConfigError naming the key
  nlohmann::json to_json() const;
  static BatchConfig from_json(const nlohmann::json& j);
};

// Batches of indices into `lengths`; every index appears exactly once.
std::vector<std::vector<size_t>> make_batches(const std::vector<int64_t>& lengths,
                                              const BatchConfig& config, uint64_t seed);

// The shards of one batch for `count` data-parallel workers: runs of the batch sorted by length
// (stable), the shortest run first, so every shard pads
// little; the cut points make the largest estimated cost of a shard as small as they can. A
// shard's cost is its longest length times (kPassOverhead + its utterances): a training pass has
// a part per frame that does not grow with the batch, worth about kPassOverhead utterances of
// the tiny model on one CPU thread (experiments/bench/train_step.cpp: 152 ms at 12 utterances, 292
// ms at 24). So the shard with the longest utterances gets fewer of them. Shards may be empty when the batch has fewer utterances than
// workers or one utterance outweighs the rest. count 1: the batch itself.
inline constexpr double kPassOverhead = 1.0;
std::vector<std::vector<size_t>> split_batch(const std::vector<size_t>& batch,
                                             const std::vector<int64_t>& lengths, int count);

struct PaddedBatch {
  at::Tensor feats;        // [B, T_max, F] float, zero padded
  at::Tensor feat_lens;    // [B] int64
  at::Tensor targets;      // [B, U_max] int64, padded with 0 (blank)
  at::Tensor target_lens;  // [B] int64
};

// feats[i]: [T_i, F]; tokens[i]: token ids. Throws InvalidArgument on mismatched sizes.
PaddedBatch pad_batch(const std::vector<at::Tensor>& feats,
                      const std::vector<std::vector<int64_t>>& tokens);

}  // namespace omnisparse
