#include "core/data/batcher.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include <fmt/format.h>
#if FMT_VERSION >= 110000
#include <fmt/ranges.h>  // fmt::join (in format.h up to fmt 10; a pip LibTorch brings fmt 12)
#endif

#include "core/common/config_json.h"
#include "core/common/error.h"
#include "core/data/seeded_rng.h"

namespace omnisparse {

void BatchConfig::Validate() const {
  if (max_frames < 1) throw ConfigError(fmt::format("max_frames: {} must be positive", max_frames));
  if (max_batch < 1) throw ConfigError(fmt::format("max_batch: {} must be positive", max_batch));
  if (bucket_batches < 1) throw ConfigError(fmt::format("bucket_batches: {} must be positive", bucket_batches));
}

nlohmann::json BatchConfig::to_json() const {
  return {{"max_frames", max_frames}, {"max_batch", max_batch}, {"shuffle", shuffle},
          {"bucket_batches", bucket_batches}};
}

BatchConfig BatchConfig::from_json(const nlohmann::json& j) {
  BatchConfig c;
  JsonFields f(j, "batch");
  f.get("max_frames", c.max_frames);
  f.get("max_batch", c.max_batch);
  f.get("shuffle", c.shuffle);
  f.get("bucket_batches", c.bucket_batches);
  f.finish();
  c.Validate();
  return c;
}

std::vector<std::vector<size_t>> make_batches(const std::vector<int64_t>& lengths,
                                              const BatchConfig& config, uint64_t seed) {
  config.Validate();
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), size_t{0});
  SeededRng rng(seed, 0xBA7C4ull);
  if (config.shuffle) rng.shuffle(order);
  // Sort within random buckets: batches of similar lengths, yet a different mix every epoch.
  const size_t bucket = config.shuffle ? static_cast<size_t>(config.max_batch * config.bucket_batches) : order.size();
  auto by_length = [&](size_t a, size_t b) { return lengths[a] < lengths[b] || (lengths[a] == lengths[b] && a < b); };
  for (size_t b = 0; b < order.size(); b += std::max<size_t>(bucket, 1))
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(b),
              order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), b + bucket)), by_length);
  std::vector<std::vector<size_t>> batches;
  std::vector<size_t> cur;
  int64_t cur_max = 0;
  for (size_t i : order) {
    const int64_t t = std::max(cur_max, lengths[i]);
    if (!cur.empty() && (static_cast<int64_t>(cur.size()) >= config.max_batch ||
                         t * static_cast<int64_t>(cur.size() + 1) > config.max_frames)) {
      batches.push_back(std::move(cur));
      cur.clear();
      cur_max = 0;
    }
    cur.push_back(i);
    cur_max = std::max(cur_max, lengths[i]);
  }
  if (!cur.empty()) batches.push_back(std::move(cur));
  if (config.shuffle) rng.shuffle(batches);
  return batches;
}

std::vector<std::vector<size_t>> split_batch(const std::vector<size_t>& batch,
                                             const std::vector<int64_t>& lengths, int count) {
  if (count < 1) throw InvalidArgument(fmt::format("split_batch: {} shards", count));
  std::vector<std::vector<size_t>> shards(static_cast<size_t>(count));
  if (count == 1 || batch.empty()) {
    shards[0] = batch;
    return shards;
  }
  // make_batches' batches are sorted, except one that spans two buckets: sort to be sure.
  std::vector<size_t> sorted = batch;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  const size_t n = sorted.size();
  auto len = [&](size_t pos) { return static_cast<double>(std::max<int64_t>(1, lengths[sorted[pos]])); };
  // Cut points for a cost bound C, greedily from the longest end: each shard takes as many of
  // the next-longest utterances as stay within C. Returns the shards' sizes, longest shard
  // first, or nothing when C needs more than `count` shards.
  auto cut = [&](double C) -> std::optional<std::vector<size_t>> {
    std::vector<size_t> sizes;
    for (size_t end = n; end > 0;) {
      const double fits = std::floor(C / len(end - 1) - kPassOverhead + 1e-9);
      if (fits < 1 || static_cast<int>(sizes.size()) == count) return std::nullopt;
      const size_t k = std::min(end, static_cast<size_t>(fits));
      sizes.push_back(k);
      end -= k;
    }
    return sizes;
  };
  double lo = 0, hi = len(n - 1) * (kPassOverhead + static_cast<double>(n));
  for (int it = 0; it < 60 && hi - lo > 1e-6 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (cut(mid) ? hi : lo) = mid;
  }
  const std::vector<size_t> sizes = *cut(hi);
  // sizes[0] is the run at the longest end: it goes to the last shard of those in use.
  size_t start = 0;
  const size_t first = static_cast<size_t>(count) - sizes.size();
  for (size_t s = 0; s < sizes.size(); ++s) {
    const size_t k = sizes[sizes.size() - 1 - s];
    shards[first + s].assign(sorted.begin() + static_cast<std::ptrdiff_t>(start),
                             sorted.begin() + static_cast<std::ptrdiff_t>(start + k));
    start += k;
  }
  return shards;
}

PaddedBatch pad_batch(const std::vector<at::Tensor>& feats, const std::vector<std::vector<int64_t>>& tokens) {
  if (feats.empty()) throw InvalidArgument("pad_batch: empty batch");
  if (feats.size() != tokens.size())
    throw InvalidArgument(fmt::format("pad_batch: {} feature tensors but {} token sequences", feats.size(), tokens.size()));
  const int64_t B = static_cast<int64_t>(feats.size());
  const int64_t F = feats[0].dim() == 2 ? feats[0].size(1) : -1;
  int64_t T = 0, U = 0;
  for (size_t i = 0; i < feats.size(); ++i) {
    if (feats[i].dim() != 2 || feats[i].size(1) != F)
      throw InvalidArgument(fmt::format("pad_batch: item {} has shape {}, expected [T, {}]", i,
                                        fmt::join(feats[i].sizes().vec(), "x"), F));
    T = std::max(T, feats[i].size(0));
    U = std::max(U, static_cast<int64_t>(tokens[i].size()));
  }
  PaddedBatch b;
  b.feats = at::zeros({B, T, F}, feats[0].options());                 // [B, T_max, F]
  b.feat_lens = at::empty({B}, at::kLong);                            // [B]
  b.targets = at::zeros({B, U}, at::kLong);                           // [B, U_max]
  b.target_lens = at::empty({B}, at::kLong);                          // [B]
  auto fl = b.feat_lens.accessor<int64_t, 1>();
  auto tl = b.target_lens.accessor<int64_t, 1>();
  auto tg = b.targets.accessor<int64_t, 2>();
  for (int64_t i = 0; i < B; ++i) {
    const auto& f = feats[static_cast<size_t>(i)];
    b.feats[i].narrow(0, 0, f.size(0)).copy_(f);
    fl[i] = f.size(0);
    const auto& tok = tokens[static_cast<size_t>(i)];
    tl[i] = static_cast<int64_t>(tok.size());
    for (size_t u = 0; u < tok.size(); ++u) tg[i][static_cast<int64_t>(u)] = tok[u];
  }
  return b;
}

}  // namespace omnisparse
