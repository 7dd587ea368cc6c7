#include "core/train/train_policy.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/sparsity/sampler.h"
#include "core/sparsity/schedules.h"

namespace omnisparse {

namespace {

// The cubic schedule over training progress p in [0, 1]: 0 before `start`, `final` after `end`.
// Progress is mapped to integer micro-steps so the one CubicSchedule implementation serves
// step-bounded and time-bounded runs alike.
double cubic_sparsity(double progress, double start, double end, double final) {
  constexpr double kUnits = 1e6;
  CubicSchedule s;
  s.initial = 0.0;
  s.final = final;
  s.warmup_steps = static_cast<int64_t>(start * kUnits);
  s.ramp_steps = std::max<int64_t>(1, static_cast<int64_t>((end - start) * kUnits));
  if (progress < start) return 0.0;
  if (end <= start) return final;  // no ramp: the top from the first step on
  return s.at(static_cast<int64_t>(progress * kUnits));
}

class DensePolicy final : public TrainPolicy {
 public:
  explicit DensePolicy(const LayerSpecs& specs) : dense_(SubnetConfig::Uniform(specs, 0.0)) {}
  std::vector<SubnetConfig> plan(int64_t, double, const PrunableLayers&) override {
    return {dense_};
  }
  std::vector<SubnetConfig> eval_configs(const LayerSpecs&) const override { return {dense_}; }

 private:
  SubnetConfig dense_;
};

class OmniPolicy final : public TrainPolicy {
 public:
  OmniPolicy(const TrainConfig& cfg, const LayerSpecs& specs)
      : cfg_(cfg.omni),
        eval_levels_(cfg.eval_levels),
        ranks_(Granularity::Parse(cfg.omni.granularity)),
        sampler_(make_sampler_config(cfg.omni), specs, cfg.seed ^ 0x5eed5a3d1e5ull),
        dense_(SubnetConfig::Uniform(specs, 0.0)) {}

  static MemberSamplerConfig make_sampler_config(const OmniConfig& o) {
    MemberSamplerConfig s;
    s.k = o.members_per_step;
    s.rule = parse_member_rule(o.distribution);
    s.p_dense = o.p_dense;
    s.level_weights = o.level_weights;
    s.follow_ramp = o.follow_ramp;
    s.ladder.levels = o.ladder;
    s.distribution = o.space == "target_size" ? SampleDistribution::kTargetSize
                                              : SampleDistribution::kPerLayerUniform;
    return s;
  }

  double max_sparsity(double progress) const {
    return cubic_sparsity(progress, cfg_.warmup, cfg_.ramp_end, cfg_.top_sparsity());
  }

  std::vector<SubnetConfig> plan(int64_t step, double progress,
                                 const PrunableLayers& layers) override {
    if (progress < cfg_.warmup) return {dense_};
    if (!ranks_.frozen()) {
      const bool freeze_now = progress >= cfg_.freeze_at;
      if (ranks_.empty() || freeze_now || (step - last_refresh_) >= cfg_.refresh_every) {
        refresh(layers, step);
        if (freeze_now) {
          ranks_.freeze();
          (*mask_event_)["frozen"] = true;
        }
      }
    }
    last_max_ = max_sparsity(progress);
    return sampler_.sample(last_max_);
  }

  std::vector<SubnetConfig> eval_configs(const LayerSpecs& specs) const override {
    std::vector<SubnetConfig> out;
    for (double s : eval_levels_) {
      if (s > 0 && (ranks_.empty() || s > last_max_ + 1e-9)) continue;  // not trained yet
      out.push_back(SubnetConfig::Uniform(specs, s));
    }
    return out;
  }

  std::optional<SubnetConfig> shared_core(const SubnetConfig& member) const override {
    if (cfg_.shared_grad >= 1.0 || !ranks_.frozen()) return std::nullopt;
    std::vector<double> core(member.levels.size(), 0.0);
    bool any = false;
    for (size_t i = 0; i < core.size(); ++i) {
      for (double level : cfg_.ladder) {  // ascending (validated)
        if (level > member.levels[i] + 1e-9) {
          core[i] = level;
          any = true;
          break;
        }
      }
    }
    if (!any) return std::nullopt;
    return SubnetConfig::Explicit(member.names, std::move(core));
  }

  // Each member's factor is that of the largest ladder level at or below its mean sparsity
  // (dense: 1); the step's is the mean over its members.
  double lr_factor(const std::vector<SubnetConfig>& plan) const override {
    if (cfg_.level_lr.empty() || plan.empty()) return 1.0;
    double sum = 0;
    for (const SubnetConfig& member : plan) {
      const double mean = member.mean_level();
      double f = 1.0;
      for (size_t i = 1; i < cfg_.ladder.size(); ++i)
        if (cfg_.ladder[i] <= mean + 1e-9) f = cfg_.level_lr[i - 1];
      sum += f;
    }
    return sum / static_cast<double>(plan.size());
  }

  // The ranks stay as they were last refreshed (at the freeze point at the latest): the masks
  // that were trained are the masks that ship. Only a run that never reached a sparse step gets
  // its ranks here.
  void finish(const PrunableLayers& layers) override {
    if (ranks_.empty()) refresh(layers, -1);
    ranks_.freeze();
  }

  std::optional<nlohmann::json> take_mask_event() override {
    auto ev = std::move(mask_event_);
    mask_event_.reset();
    return ev;
  }

  const RankSet* ranks() const override { return &ranks_; }
  RankSet* mutable_ranks() override { return &ranks_; }

  nlohmann::json state() const override {
    return {{"sampler", sampler_.state()}, {"last_refresh", last_refresh_}, {"last_max", last_max_}};
  }
  void restore(const nlohmann::json& s) override {
    if (s.contains("sampler")) sampler_.set_state(s.at("sampler").get<std::string>());
    last_refresh_ = s.value("last_refresh", int64_t{-1000000});
    last_max_ = s.value("last_max", 0.0);
  }

 private:
  // New ranks from the current weights, and how much of each ladder level's mask survived.
  void refresh(const PrunableLayers& layers, int64_t step) {
    std::optional<RankSet> before;
    if (!ranks_.empty()) before = ranks_;
    ranks_.refresh(layers);
    last_refresh_ = step;
    nlohmann::json overlap = nlohmann::json::object();
    if (before) {
      for (double level : cfg_.ladder) {
        if (level <= 0) continue;
        overlap[fmt::format("{:.2f}", level)] = mask_overlap(*before, ranks_, level);
      }
    }
    mask_event_ = nlohmann::json{{"overlap", overlap}, {"frozen", ranks_.frozen()}};
  }

  OmniConfig cfg_;
  std::vector<double> eval_levels_;
  RankSet ranks_;
  MemberSampler sampler_;
  SubnetConfig dense_;
  int64_t last_refresh_ = -1000000;
  double last_max_ = 0.0;
  std::optional<nlohmann::json> mask_event_;
};

class GmpPolicy final : public TrainPolicy {
 public:
  GmpPolicy(const TrainConfig& cfg, const LayerSpecs& specs)
      : cfg_(cfg.gmp), specs_(specs), ranks_(Granularity::Parse(cfg.gmp.granularity)) {}

  std::vector<SubnetConfig> plan(int64_t step, double progress,
                                 const PrunableLayers& layers) override {
    const double s = cubic_sparsity(progress, cfg_.start, cfg_.end, cfg_.target_sparsity);
    const bool ramping = progress < cfg_.end + 1e-12;
    if (s > 0 && !ranks_.frozen() &&
        (ranks_.empty() || (ramping && step - last_prune_ >= cfg_.prune_every) ||
         (!ramping && current_ < cfg_.target_sparsity))) {
      // Masked weights were zeroed after each step, so the ranks of the current weights keep
      // pruned weights pruned (their magnitude is 0) and add the next-smallest ones.
      ranks_.refresh(layers);
      current_ = ramping ? s : cfg_.target_sparsity;
      last_prune_ = step;
      if (!ramping) ranks_.freeze();  // fine-tuning at a fixed mask from here on
    }
    return {SubnetConfig::Uniform(specs_, current_)};
  }

  void after_step(const PrunableLayers& layers) override {
    if (current_ <= 0) return;
    torch::NoGradGuard no_grad;
    ranks_.apply(layers, SubnetConfig::Uniform(specs_, current_));
    for (const auto& l : layers)
      if (l.mask->defined()) l.weight.mul_(*l.mask);
  }

  std::vector<SubnetConfig> eval_configs(const LayerSpecs& specs) const override {
    return {SubnetConfig::Uniform(specs, current_)};
  }

  void finish(const PrunableLayers& layers) override {
    if (ranks_.frozen()) return;
    if (current_ > 0) ranks_.refresh(layers);
    ranks_.freeze();
  }

  const RankSet* ranks() const override { return &ranks_; }
  RankSet* mutable_ranks() override { return &ranks_; }

  nlohmann::json state() const override {
    return {{"current", current_}, {"last_prune", last_prune_}};
  }
  void restore(const nlohmann::json& s) override {
    current_ = s.value("current", 0.0);
    last_prune_ = s.value("last_prune", int64_t{-1000000});
  }

 private:
  GmpConfig cfg_;
  LayerSpecs specs_;
  RankSet ranks_;
  double current_ = 0.0;
  int64_t last_prune_ = -1000000;
};

}  // namespace

std::unique_ptr<TrainPolicy> make_policy(const TrainConfig& cfg, const LayerSpecs& specs) {
  switch (cfg.mode) {
    case TrainMode::Dense: return std::make_unique<DensePolicy>(specs);
    case TrainMode::Omni: return std::make_unique<OmniPolicy>(cfg, specs);
    case TrainMode::Gmp: return std::make_unique<GmpPolicy>(cfg, specs);
  }
  throw ConfigError("unknown training mode");
}

}  // namespace omnisparse
