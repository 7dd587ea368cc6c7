// Global mean/variance normalisation (CMVN) of features: statistics accumulated over a training
// set, stored with the model, applied to every utterance (training and inference alike).
//
//   FeatureStats stats(80);
//   for (auto& utt : corpus) stats.accumulate(compute_fbank(utt));   // [T, 80] each
//   stats.finalize();
//   stats.save(run_dir / "feature_stats.json");                      // atomic
//   at::Tensor x = FeatureStats::load(path, 80).apply(feats);       // (feats - mean) / std
//
// Sums are kept in double with Chan's pairwise update (per batch mean and squared deviations),
// so millions of frames with means around 10-20 lose no precision. Standard deviations are
// floored at `min_std` so a constant dimension (e.g. a band that is always at the log floor)
// does not blow up.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

namespace omnisparse {

class FeatureStats {
 public:
  explicit FeatureStats(int64_t dim = 80, double min_std = 1e-2);

  // feats: [T, dim] (any float dtype). Throws InvalidArgument on a wrong width, non-finite
  // values, or after finalize().
  void accumulate(const at::Tensor& feats);
  // Adds another accumulator's frames (e.g. from another worker).
  void merge(const FeatureStats& other);
  // Fixes mean and std. Throws InvalidArgument if no frame was accumulated.
  void finalize();

  bool finalized() const { return finalized_; }
  int64_t dim() const { return dim_; }
  int64_t count() const { return count_; }  // frames accumulated
  double min_std() const { return min_std_; }
  const std::vector<double>& mean() const { return mean_; }
  std::vector<double> variance() const;  // population variance per dimension
  std::vector<double> stddev() const;    // sqrt(variance), floored at min_std

  // [..., dim] -> float32 (x - mean) / std. Throws InvalidArgument if not finalized or the last
  // dimension is not `dim`.
  at::Tensor apply(const at::Tensor& feats) const;
  // The float32 [dim] tensors apply() uses (an exporter writes them into its graph as they are).
  // Throws InvalidArgument if not finalized.
  const at::Tensor& mean_tensor() const;
  const at::Tensor& inv_std_tensor() const;

  // {"type": "global_cmvn", "dim", "count", "min_std", "mean": [...], "variance": [...]}.
  nlohmann::json to_json() const;      // requires finalize()
  // Throws InvalidArgument describing what is wrong; the result is finalized.
  static FeatureStats from_json(const nlohmann::json& j);

  void save(const std::filesystem::path& path) const;  // atomic write
  // Throws IoError (missing/unreadable) or FormatError naming the file (not JSON, corrupt, or
  // dim != expected_dim when expected_dim > 0).
  static FeatureStats load(const std::filesystem::path& path, int64_t expected_dim = 0);

 private:
  int64_t dim_;
  double min_std_;
  int64_t count_ = 0;
  std::vector<double> mean_;  // [dim]
  std::vector<double> m2_;    // [dim] sum of squared deviations from the mean
  bool finalized_ = false;
  at::Tensor mean_t_, inv_std_t_;  // [dim] float32, set by finalize()
};

}  // namespace omnisparse
