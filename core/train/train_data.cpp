#include "core/train/train_data.h"

#include <random>

#include "core/audio/audio_io.h"
#include "core/audio/spec_augment.h"
#include "core/audio/speech_onset.h"
#include "core/audio/wave_augment.h"
#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/batcher.h"

namespace omnisparse {

TrainData::TrainData(std::vector<Utterance> utterances, const CharTokenizer& tokenizer,
                     const FbankConfig& fbank, bool show_progress)
    : utts_(std::move(utterances)), fbank_(fbank) {
  if (utts_.empty()) throw InvalidArgument("training set has no utterances");
  Progress bar("features", static_cast<int64_t>(utts_.size()), show_progress);
  feats_.reserve(utts_.size());
  tokens_.reserve(utts_.size());
  frames_.reserve(utts_.size());
  for (const auto& u : utts_) {
    try {
      tokens_.push_back(tokenizer.encode(u.text));
    } catch (const Error& e) {
      throw FormatError(u.audio, std::string("transcript cannot be tokenised: ") + e.what());
    }
    at::Tensor f = compute_fbank(read_utterance_16k(u), fbank_);  // [T, 80]
    if (f.size(0) < 4) throw FormatError(u.audio, "audio shorter than one encoder frame (40 ms)");
    frames_.push_back(f.size(0));
    feats_.push_back(std::move(f));
    bar.tick();
  }
  bar.finish();
}

double TrainData::total_hours() const {
  double s = 0;
  for (const auto& u : utts_) s += u.duration_s;
  return s / 3600.0;
}

FeatureStats TrainData::compute_stats() const {
  FeatureStats stats;
  for (const auto& f : feats_) stats.accumulate(f);
  stats.finalize();
  return stats;
}

BatchProducer::BatchProducer(const TrainData& data, const FeatureStats& stats,
                             const TrainConfig& cfg, int64_t epoch, int64_t index,
                             BatchShard shard, int queue_depth)
    : data_(data), stats_(stats), cfg_(cfg), epoch_(epoch), index_(index), shard_(shard),
      depth_(queue_depth) {
  if (shard_.count < 1 || shard_.index < 0 || shard_.index >= shard_.count)
    throw InvalidArgument("batch shard " + std::to_string(shard_.index) + " of " +
                          std::to_string(shard_.count));
  thread_ = std::thread([this] { loop(); });
}

BatchProducer::~BatchProducer() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Batch BatchProducer::next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  Batch b = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return b;
}

void BatchProducer::loop() {
  try {
    BatchConfig bc;
    bc.max_frames = cfg_.max_frames_per_batch;
    bc.max_batch = cfg_.max_batch;
    bc.shuffle = true;
    for (int64_t epoch = epoch_; !stop_; ++epoch) {
      auto batches = make_batches(data_.frame_counts(), bc, cfg_.seed + static_cast<uint64_t>(epoch));
      for (int64_t i = (epoch == epoch_ ? index_ : 0);
           i < static_cast<int64_t>(batches.size()) && !stop_; ++i) {
        const auto& all = batches[static_cast<size_t>(i)];
        const std::vector<size_t> mine =
            split_batch(all, data_.frame_counts(), shard_.count)[static_cast<size_t>(shard_.index)];
        Batch b = make(mine, epoch, i);
        b.global_utts = static_cast<int64_t>(all.size());
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return static_cast<int>(queue_.size()) < depth_ || stop_; });
        if (stop_) return;
        queue_.push_back(std::move(b));
        cv_.notify_all();
      }
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

Batch BatchProducer::make(const std::vector<size_t>& utts, int64_t epoch, int64_t index) {
  std::vector<at::Tensor> feats, unmasked;
  std::vector<std::vector<int64_t>> tokens;
  std::vector<int64_t> onsets;
  const bool keep_unmasked = cfg_.use_spec_augment && cfg_.spec_augment_start > 0;
  for (size_t i : utts) {
    // One generator per (seed, epoch, utterance): independent of thread timing and batching.
    std::seed_seq seq{static_cast<uint64_t>(cfg_.seed), static_cast<uint64_t>(epoch),
                      static_cast<uint64_t>(i)};
    std::mt19937_64 rng(seq);
    at::Tensor f;
    if (std::uniform_real_distribution<double>(0, 1)(rng) < cfg_.wave_augment_prob) {
      WaveAugmentDraw drawn;
      auto wav = augment_waveform(read_utterance_16k(data_.utterance(i)), cfg_.wave_augment, rng,
                                  &drawn);
      FbankConfig fbank = data_.fbank();
      fbank.vtln_warp = drawn.vtlp_warp;
      f = compute_fbank(wav, fbank);
      if (f.size(0) < 4) f = data_.features(i);  // augmentation made it too short: use clean
    } else {
      f = data_.features(i);
    }
    if (cfg_.onset_db > 0) onsets.push_back(speech_onset_frame(f, cfg_.onset_db));
    f = stats_.apply(f);
    if (keep_unmasked) unmasked.push_back(f);
    if (cfg_.use_spec_augment) f = spec_augment(f, cfg_.spec_augment, rng);
    feats.push_back(f);
    tokens.push_back(data_.tokens(i));
  }
  Batch b;
  b.epoch = epoch;
  b.index = index;
  b.utts = static_cast<int64_t>(utts.size());
  if (utts.empty()) return b;
  PaddedBatch p = pad_batch(feats, tokens);
  b.feats = p.feats;
  if (keep_unmasked) b.feats_unmasked = pad_batch(unmasked, tokens).feats;
  b.feat_lens = p.feat_lens;
  b.targets = p.targets;
  b.target_lens = p.target_lens;
  if (!onsets.empty()) b.onsets = at::tensor(onsets);  // int64
  return b;
}

}  // namespace omnisparse
