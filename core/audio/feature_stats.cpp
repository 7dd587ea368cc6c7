#include "core/audio/feature_stats.h"

#include <cmath>
#include <set>
#include <string>

#include "core/common/atomic_file.h"
#include "core/common/error.h"

namespace omnisparse {

FeatureStats::FeatureStats(int64_t dim, double min_std)
    : dim_(dim), min_std_(min_std), mean_(dim, 0.0), m2_(dim, 0.0) {
  if (dim <= 0) throw InvalidArgument("FeatureStats: dim must be positive");
  if (!(min_std > 0)) throw InvalidArgument("FeatureStats: min_std must be positive");
}

void FeatureStats::accumulate(const at::Tensor& feats) {
  if (finalized_) throw InvalidArgument("FeatureStats::accumulate after finalize()");
  if (feats.dim() != 2 || feats.size(1) != dim_) {
    throw InvalidArgument("FeatureStats::accumulate: expected [T, " + std::to_string(dim_) +
                          "] features, got " + std::to_string(feats.dim()) + "-d with last dim " +
                          std::to_string(feats.dim() ? feats.size(-1) : 0));
  }
  const int64_t n = feats.size(0);
  if (n == 0) return;
  at::Tensor x = feats.to(at::kDouble).contiguous();  // [T, dim]
  if (!at::isfinite(x).all().item<bool>())
    throw InvalidArgument("FeatureStats::accumulate: non-finite feature values");
  at::Tensor bmean = x.mean(0);                   // [dim]
  at::Tensor bm2 = (x - bmean).square().sum(0);   // [dim]
  const double* bm = bmean.data_ptr<double>();
  const double* bq = bm2.data_ptr<double>();
  const double na = double(count_), nb = double(n), nt = na + nb;
  for (int64_t d = 0; d < dim_; ++d) {
    const double delta = bm[d] - mean_[d];
    mean_[d] += delta * nb / nt;
    m2_[d] += bq[d] + delta * delta * na * nb / nt;
  }
  count_ += n;
}

void FeatureStats::merge(const FeatureStats& other) {
  if (finalized_) throw InvalidArgument("FeatureStats::merge after finalize()");
  if (other.dim_ != dim_) throw InvalidArgument("FeatureStats::merge: dimensions differ");
  if (other.count_ == 0) return;
  const double na = double(count_), nb = double(other.count_), nt = na + nb;
  for (int64_t d = 0; d < dim_; ++d) {
    const double delta = other.mean_[d] - mean_[d];
    mean_[d] += delta * nb / nt;
    m2_[d] += other.m2_[d] + delta * delta * na * nb / nt;
  }
  count_ += other.count_;
}

std::vector<double> FeatureStats::variance() const {
  std::vector<double> v(dim_, 0.0);
  if (count_ > 0)
    for (int64_t d = 0; d < dim_; ++d) v[d] = std::max(0.0, m2_[d] / double(count_));
  return v;
}

std::vector<double> FeatureStats::stddev() const {
  std::vector<double> s = variance();
  for (auto& v : s) v = std::max(std::sqrt(v), min_std_);
  return s;
}

void FeatureStats::finalize() {
  if (count_ == 0) throw InvalidArgument("FeatureStats::finalize: no frames were accumulated");
  const std::vector<double> sd = stddev();
  mean_t_ = at::empty({dim_}, at::kFloat);
  inv_std_t_ = at::empty({dim_}, at::kFloat);
  for (int64_t d = 0; d < dim_; ++d) {
    mean_t_[d] = static_cast<float>(mean_[d]);
    inv_std_t_[d] = static_cast<float>(1.0 / sd[d]);
  }
  finalized_ = true;
}

at::Tensor FeatureStats::apply(const at::Tensor& feats) const {
  if (!finalized_) throw InvalidArgument("FeatureStats::apply before finalize()");
  if (feats.dim() == 0 || feats.size(-1) != dim_) {
    throw InvalidArgument("FeatureStats::apply: last dimension must be " + std::to_string(dim_));
  }
  return (feats.to(at::kFloat) - mean_t_) * inv_std_t_;
}

const at::Tensor& FeatureStats::mean_tensor() const {
  if (!finalized_) throw InvalidArgument("FeatureStats::mean_tensor before finalize()");
  return mean_t_;
}

const at::Tensor& FeatureStats::inv_std_tensor() const {
  if (!finalized_) throw InvalidArgument("FeatureStats::inv_std_tensor before finalize()");
  return inv_std_t_;
}

nlohmann::json FeatureStats::to_json() const {
  if (!finalized_) throw InvalidArgument("FeatureStats::to_json before finalize()");
  return {{"type", "global_cmvn"}, {"dim", dim_},   {"count", count_},
          {"min_std", min_std_},   {"mean", mean_}, {"variance", variance()}};
}

FeatureStats FeatureStats::from_json(const nlohmann::json& j) {
  auto fail = [](const std::string& why) -> void {
    throw InvalidArgument("feature statistics: " + why);
  };
  if (!j.is_object()) fail("not a JSON object");
  for (const char* key : {"type", "dim", "count", "min_std", "mean", "variance"})
    if (!j.contains(key)) fail(std::string("missing key '") + key + "'");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::set<std::string> known = {"type", "dim", "count", "min_std", "mean",
                                                "variance"};
    if (!known.count(it.key())) fail("unknown key '" + it.key() + "'");
  }
  if (j["type"] != "global_cmvn") fail("type must be \"global_cmvn\"");
  if (!j["dim"].is_number_integer() || j["dim"].get<int64_t>() <= 0) fail("bad 'dim'");
  if (!j["count"].is_number_integer() || j["count"].get<int64_t>() <= 0) fail("bad 'count'");
  if (!j["min_std"].is_number() || !(j["min_std"].get<double>() > 0)) fail("bad 'min_std'");
  const int64_t dim = j["dim"].get<int64_t>();
  auto read_vec = [&](const char* key) {
    const auto& a = j[key];
    if (!a.is_array() || int64_t(a.size()) != dim)
      fail(std::string("'") + key + "' must be an array of " + std::to_string(dim) + " numbers");
    std::vector<double> v;
    for (const auto& e : a) {
      if (!e.is_number() || !std::isfinite(e.get<double>()))
        fail(std::string("'") + key + "' holds a non-number or non-finite value");
      v.push_back(e.get<double>());
    }
    return v;
  };
  FeatureStats s(dim, j["min_std"].get<double>());
  s.count_ = j["count"].get<int64_t>();
  s.mean_ = read_vec("mean");
  const std::vector<double> var = read_vec("variance");
  for (int64_t d = 0; d < dim; ++d) {
    if (var[d] < 0) fail("negative variance");
    s.m2_[d] = var[d] * double(s.count_);
  }
  s.finalize();
  return s;
}

void FeatureStats::save(const std::filesystem::path& path) const {
  write_file_atomic(path, to_json().dump(1) + "\n");
}

FeatureStats FeatureStats::load(const std::filesystem::path& path, int64_t expected_dim) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("feature statistics are not valid JSON (") + e.what() + ")");
  }
  FeatureStats s;
  try {
    s = from_json(j);
  } catch (const InvalidArgument& e) {
    throw FormatError(path, e.what());
  }
  if (expected_dim > 0 && s.dim() != expected_dim) {
    throw FormatError(path, "feature statistics have dimension " + std::to_string(s.dim()) +
                                " but the features have " + std::to_string(expected_dim));
  }
  return s;
}

}  // namespace omnisparse
