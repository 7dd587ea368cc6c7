#include "core/train/train_config.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/common/atomic_file.h"
#include "core/common/config_json.h"
#include "core/common/error.h"
#include "core/sparsity/granularity.h"

namespace omnisparse {

std::string to_string(TrainMode m) {
  switch (m) {
    case TrainMode::Dense: return "dense";
    case TrainMode::Omni: return "omni";
    case TrainMode::Gmp: return "gmp";
  }
  return "?";
}

TrainMode parse_train_mode(const std::string& s) {
  if (s == "dense") return TrainMode::Dense;
  if (s == "omni") return TrainMode::Omni;
  if (s == "gmp") return TrainMode::Gmp;
  throw ConfigError("mode '" + s + "': expected dense, omni or gmp");
}

TransducerConfig TrainConfig::preset_config(const std::string& name) {
  TransducerConfig c = ::omnisparse::preset(name);
  // Training default: the auxiliary CTC head at 20 ms carrying half the loss
  // (experiments/learning_curve/README.md: without it the tiny model did not learn in 15 min).
  c.ctc_weight = 0.5;
  c.ctc_upsample = 2;
  return c;
}

namespace {

void require(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError("train config: " + key + " " + what);
}

bool fraction(double x) { return std::isfinite(x) && x >= 0 && x <= 1; }

}  // namespace

void TrainConfig::Validate() const {
  require(steps >= 0, "steps", "must be >= 0");
  require(std::isfinite(minutes) && minutes >= 0, "minutes", "must be >= 0");
  require(steps > 0 || minutes > 0, "steps/minutes", "one of them must be > 0");
  require(checkpoint_every > 0, "checkpoint_every", "must be > 0");
  require(eval_every > 0, "eval_every", "must be > 0");
  require(log_every > 0, "log_every", "must be > 0");
  require(threads >= 0, "threads", "must be >= 0 (0 = torch default)");
  require(std::isfinite(lr) && lr > 0, "lr", "must be > 0 (got " + std::to_string(lr) + ")");
  require(lr_warmup_steps >= 0, "lr_warmup_steps", "must be >= 0");
  require(fraction(ctc_warmup) && ctc_warmup < 1, "ctc_warmup", "must be in [0, 1)");
  require(ctc_warmup == 0 || model.ctc_weight > 0, "ctc_warmup",
          "needs the CTC head (model.ctc_weight > 0)");
  require(fraction(pred_dropout) && pred_dropout < 1, "pred_dropout", "must be in [0, 1)");
  require(fraction(pred_dropout_end), "pred_dropout_end", "must be in [0, 1]");
  require(pred_dropout == 0 || pred_dropout_end > ctc_warmup, "pred_dropout_end",
          "must be after ctc_warmup (it falls to 0 from there)");
  require(std::isfinite(onset_db) && onset_db >= 0, "onset_db", "must be >= 0 (0 = off)");
  require(lr_final > 0 && lr_final <= 1, "lr_final", "must be in (0, 1]");
  require(std::isfinite(grad_clip) && grad_clip > 0, "grad_clip", "must be > 0");
  require(std::isfinite(weight_decay) && weight_decay >= 0, "weight_decay", "must be >= 0");
  require(max_frames_per_batch >= 100, "max_frames_per_batch", "must be >= 100");
  require(max_batch >= 1, "max_batch", "must be >= 1");
  require(fraction(wave_augment_prob), "wave_augment_prob", "must be in [0, 1]");
  require(fraction(spec_augment_start), "spec_augment_start", "must be in [0, 1]");
  require(trainable == "all" || trainable == "unpruned" || trainable == "pruned", "trainable",
          "must be all, unpruned or pruned");
  require(eval_utterances >= 0, "eval_utterances", "must be >= 0");
  for (double s : eval_levels) require(s >= 0 && s < 1, "eval_levels", "must lie in [0, 1)");
  model.Validate();
  wave_augment.Validate();
  spec_augment.Validate();

  require(omni.members_per_step >= 1, "omni.members_per_step", "must be >= 1");
  require(omni.distribution == "sandwich" || omni.distribution == "levels" ||
              omni.distribution == "space",
          "omni.distribution", "must be sandwich, levels or space");
  require(omni.distribution != "sandwich" || omni.members_per_step >= 2, "omni.members_per_step",
          "must be >= 2 for the sandwich rule (dense and sparsest)");
  require(fraction(omni.p_dense), "omni.p_dense", "must be in [0, 1]");
  require(omni.level_weights.empty() || omni.level_weights.size() + 1 == omni.ladder.size(),
          "omni.level_weights", "needs one weight per non-zero ladder level");
  for (double w : omni.level_weights)
    require(std::isfinite(w) && w > 0, "omni.level_weights", "weights must be > 0");
  require(omni.level_lr.empty() || omni.level_lr.size() + 1 == omni.ladder.size(),
          "omni.level_lr", "needs one factor per non-zero ladder level");
  for (double f : omni.level_lr)
    require(std::isfinite(f) && f > 0 && f <= 100, "omni.level_lr", "factors must be in (0, 100]");
  require(omni.space == "per_layer_uniform" || omni.space == "target_size", "omni.space",
          "must be per_layer_uniform or target_size");
  require(fraction(omni.warmup) && fraction(omni.ramp_end) && omni.warmup <= omni.ramp_end,
          "omni.warmup/ramp_end", "must satisfy 0 <= warmup <= ramp_end <= 1");
  require(omni.max_sparsity >= 0 && omni.max_sparsity < 1, "omni.max_sparsity",
          "must be in [0, 1) (0: the ladder's top level)");
  require(omni.refresh_every > 0, "omni.refresh_every", "must be > 0");
  require(fraction(omni.freeze_at), "omni.freeze_at", "must be in [0, 1]");
  require(std::isfinite(omni.distill_weight) && omni.distill_weight >= 0, "omni.distill_weight",
          "must be >= 0");
  require(fraction(omni.shared_grad), "omni.shared_grad", "must be in [0, 1]");
  require(omni.distill_weight == 0 || model.ctc_weight > 0, "omni.distill_weight",
          "needs the CTC head (model.ctc_weight > 0): the dense member's CTC posteriors are the "
          "teacher");
  require(!omni.ladder.empty(), "omni.ladder", "must not be empty");
  for (double s : omni.ladder) require(s >= 0 && s < 1, "omni.ladder", "levels must lie in [0, 1)");
  for (size_t i = 1; i < omni.ladder.size(); ++i)
    require(omni.ladder[i] > omni.ladder[i - 1], "omni.ladder", "must be strictly increasing");
  require(omni.ladder.front() == 0, "omni.ladder", "must start with 0 (the dense member)");
  require(omni.ladder.size() >= 2, "omni.ladder", "needs a non-zero level");
  (void)Granularity::Parse(omni.granularity);

  require(gmp.target_sparsity > 0 && gmp.target_sparsity < 1, "gmp.target_sparsity",
          "must be in (0, 1)");
  require(fraction(gmp.start) && fraction(gmp.end) && gmp.start <= gmp.end, "gmp.start/end",
          "must satisfy 0 <= start <= end <= 1");
  require(gmp.prune_every > 0, "gmp.prune_every", "must be > 0");
  (void)Granularity::Parse(gmp.granularity);
}

void TrainConfig::apply_fine_tune_defaults(const nlohmann::json& given) {
  // The peak rate stays the training default (3e-3): fine-tunes from the same parent at 1e-3
  // ended worse at every sparse level, gmp and supernet alike (experiments/omni_vs_individual).
  auto unset = [&](const char* key) { return !given.is_object() || !given.contains(key); };
  if (unset("lr_warmup_steps")) lr_warmup_steps = 30;
  if (unset("ctc_warmup")) ctc_warmup = 0.0;
  if (unset("pred_dropout")) pred_dropout = 0.0;  // the parent's transducer has learnt to listen
  if (unset("spec_augment_start")) spec_augment_start = 0.0;
}

double TrainConfig::pred_dropout_at(double progress) const {
  if (pred_dropout <= 0 || progress >= pred_dropout_end) return 0.0;
  if (progress <= ctc_warmup) return pred_dropout;
  return pred_dropout * (pred_dropout_end - progress) / (pred_dropout_end - ctc_warmup);
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j = {
      {"data", data},
      {"run", run},
      {"init_from", init_from},
      {"preset", preset},
      {"model", model.to_json()},
      {"mode", to_string(mode)},
      {"steps", steps},
      {"minutes", minutes},
      {"checkpoint_every", checkpoint_every},
      {"eval_every", eval_every},
      {"log_every", log_every},
      {"device", device},
      {"threads", threads},
      {"seed", seed},
      {"lr", lr},
      {"lr_warmup_steps", lr_warmup_steps},
      {"ctc_warmup", ctc_warmup},
      {"pred_dropout", pred_dropout},
      {"pred_dropout_end", pred_dropout_end},
      {"onset_db", onset_db},
      {"lr_final", lr_final},
      {"grad_clip", grad_clip},
      {"weight_decay", weight_decay},
      {"max_frames_per_batch", max_frames_per_batch},
      {"max_batch", max_batch},
      {"wave_augment_prob", wave_augment_prob},
      {"wave_augment", wave_augment.to_json()},
      {"spec_augment", spec_augment.to_json()},
      {"use_spec_augment", use_spec_augment},
      {"spec_augment_start", spec_augment_start},
      {"eval_utterances", eval_utterances},
      {"eval_levels", eval_levels},
      {"omni",
       {{"members_per_step", omni.members_per_step},
        {"distribution", omni.distribution},
        {"p_dense", omni.p_dense},
        {"level_weights", omni.level_weights},
        {"space", omni.space},
        {"warmup", omni.warmup},
        {"ramp_end", omni.ramp_end},
        {"max_sparsity", omni.max_sparsity},
        {"refresh_every", omni.refresh_every},
        {"freeze_at", omni.freeze_at},
        {"distill_weight", omni.distill_weight},
        {"shared_grad", omni.shared_grad},
        {"granularity", omni.granularity},
        {"ladder", omni.ladder}}},
      {"gmp",
       {{"target_sparsity", gmp.target_sparsity},
        {"start", gmp.start},
        {"end", gmp.end},
        {"prune_every", gmp.prune_every},
        {"granularity", gmp.granularity}}},
  };
  j["omni"]["level_lr"] = omni.level_lr;
  if (trainable != "all") j["trainable"] = trainable;
  j["omni"]["follow_ramp"] = omni.follow_ramp;
  if (fbank) j["fbank"] = fbank->to_json();  // only when set: older run.json files stay equal
  return j;
}

TrainConfig TrainConfig::from_file(const std::string& path, nlohmann::json* given) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
  TrainConfig c;
  try {
    c = from_json(j);
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
  if (given) *given = std::move(j);
  return c;
}

std::string TrainConfig::ToString() const {
  std::string what = preset + " " + to_string(mode);
  if (mode == TrainMode::Omni)
    what += fmt::format(" ({} member{}/step, {}, freeze {:g})", omni.members_per_step,
                        omni.members_per_step == 1 ? "" : "s", omni.distribution, omni.freeze_at);
  if (mode == TrainMode::Gmp) what += fmt::format(" (target {:g})", gmp.target_sparsity);
  if (!init_from.empty()) what += " from " + init_from;
  if (trainable != "all") what += ", training only the " + trainable + " parameters";
  std::string budget = steps > 0 ? fmt::format("{} steps", steps) : std::string();
  if (minutes > 0) budget += (budget.empty() ? "" : " or ") + fmt::format("{:g} min", minutes);
  std::string phases = fmt::format("CTC-only {:g} %", 100 * ctc_warmup);
  if (pred_dropout > 0)
    phases += fmt::format(", predictor dropped for {:g} % of utterances until {:g} %",
                          100 * pred_dropout, 100 * pred_dropout_end);
  if (onset_db > 0) phases += fmt::format(", no emission before the onset ({:g} dB)", onset_db);
  return fmt::format("{}, lr {:g}, {} frames/batch (at most {} utts), {}, {}", what, lr,
                     max_frames_per_batch, max_batch, phases, budget.empty() ? "no budget" : budget);
}

namespace {

// The "model" block: keys given override the preset's (or the default) model; the rest keep
// their values.
TransducerConfig model_of(const nlohmann::json& m, const TransducerConfig& base) {
  if (!m.is_object()) throw ConfigError("train config: 'model' must be an object");
  nlohmann::json merged = base.to_json();
  for (auto it = m.begin(); it != m.end(); ++it) merged[it.key()] = it.value();
  return TransducerConfig::from_json(merged);
}

// The omni keys every saved config (to_json) has had since the supernet's current schedule.
constexpr const char* kSavedOmniKeys[] = {"members_per_step", "p_dense", "warmup", "ramp_end",
                                          "max_sparsity", "refresh_every", "freeze_at",
                                          "granularity", "ladder"};

void read_omni(const nlohmann::json& oj, OmniConfig& omni) {
  JsonFields o(oj, "train.omni");
  if (oj.is_object() && oj.contains("k")) {
    // Configs written before members_per_step: "k" members by the sandwich rule, random
    // members drawn by "distribution" (per_layer_uniform | target_size), refreshed to the end.
    if (oj.contains("members_per_step"))
      throw ConfigError("train.omni.k: give members_per_step only (k is its older name)");
    omni.distribution = "sandwich";
    omni.freeze_at = 1.0;
    omni.max_sparsity = 0.95;
    omni.ladder = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    omni.level_weights.clear();
    omni.level_lr.clear();
    omni.warmup = 0.15;
    omni.ramp_end = 0.6;
    o.get("k", omni.members_per_step);
  }
  o.get("members_per_step", omni.members_per_step);
  o.get("distribution", omni.distribution);
  if (omni.distribution == "per_layer_uniform" || omni.distribution == "target_size") {
    omni.space = omni.distribution;  // the older meaning of "distribution"
    omni.distribution = "sandwich";
  }
  o.get("p_dense", omni.p_dense);
  if (oj.is_object() && oj.contains("ladder") && !oj.contains("level_weights"))
    omni.level_weights.clear();  // the default weights belong to the default ladder
  o.get("level_weights", omni.level_weights);
  // The default factors belong to the default ladder; a saved config names its ladder, so one
  // saved before level_lr was always written (then: only when set) trained without factors.
  if (oj.is_object() && oj.contains("ladder") && !oj.contains("level_lr")) omni.level_lr.clear();
  o.get("level_lr", omni.level_lr);
  // A config saved before follow_ramp existed (it names every other omni key) trained without.
  const bool saved_before_follow_ramp =
      oj.is_object() && !oj.contains("follow_ramp") &&
      std::all_of(std::begin(kSavedOmniKeys), std::end(kSavedOmniKeys),
                  [&](const char* k) { return oj.contains(k); });
  if (saved_before_follow_ramp) omni.follow_ramp = false;
  o.get("follow_ramp", omni.follow_ramp);
  o.get("space", omni.space);
  o.get("warmup", omni.warmup);
  o.get("ramp_end", omni.ramp_end);
  o.get("max_sparsity", omni.max_sparsity);
  o.get("refresh_every", omni.refresh_every);
  o.get("freeze_at", omni.freeze_at);
  o.get("distill_weight", omni.distill_weight);
  o.get("shared_grad", omni.shared_grad);
  o.get("granularity", omni.granularity);
  o.get("ladder", omni.ladder);
  o.finish();
}

void read_gmp(const nlohmann::json& gj, GmpConfig& gmp) {
  JsonFields g(gj, "train.gmp");
  g.get("target_sparsity", gmp.target_sparsity);
  g.get("start", gmp.start);
  g.get("end", gmp.end);
  g.get("prune_every", gmp.prune_every);
  g.get("granularity", gmp.granularity);
  g.finish();
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  JsonFields f(j, "train");
  f.get("data", c.data);
  f.get("run", c.run);
  f.get("init_from", c.init_from);
  f.get("preset", c.preset);
  if (j.contains("preset")) c.model = preset_config(c.preset);
  if (j.contains("model")) c.model = model_of(j.at("model"), c.model);
  nlohmann::json section;  // sections are parsed by their own readers; mark them known
  for (const char* key : {"model", "wave_augment", "spec_augment", "omni", "gmp", "fbank"})
    f.get(key, section);
  std::string mode = to_string(c.mode);
  f.get("mode", mode);
  c.mode = parse_train_mode(mode);
  f.get("steps", c.steps);
  f.get("minutes", c.minutes);
  f.get("checkpoint_every", c.checkpoint_every);
  f.get("eval_every", c.eval_every);
  f.get("log_every", c.log_every);
  f.get("device", c.device);
  f.get("threads", c.threads);
  f.get("seed", c.seed);
  f.get("lr", c.lr);
  f.get("lr_warmup_steps", c.lr_warmup_steps);
  f.get("ctc_warmup", c.ctc_warmup);
  f.get("pred_dropout", c.pred_dropout);
  f.get("pred_dropout_end", c.pred_dropout_end);
  f.get("onset_db", c.onset_db);
  f.get("lr_final", c.lr_final);
  f.get("grad_clip", c.grad_clip);
  f.get("weight_decay", c.weight_decay);
  f.get("max_frames_per_batch", c.max_frames_per_batch);
  f.get("max_batch", c.max_batch);
  f.get("wave_augment_prob", c.wave_augment_prob);
  if (j.contains("fbank")) c.fbank = FbankConfig::from_settings_json(j.at("fbank"));
  if (j.contains("wave_augment")) c.wave_augment = WaveAugmentConfig::from_json(j.at("wave_augment"));
  if (j.contains("spec_augment")) c.spec_augment = SpecAugmentConfig::from_json(j.at("spec_augment"));
  f.get("use_spec_augment", c.use_spec_augment);
  f.get("spec_augment_start", c.spec_augment_start);
  f.get("trainable", c.trainable);
  f.get("eval_utterances", c.eval_utterances);
  f.get("eval_levels", c.eval_levels);
  if (j.contains("omni")) read_omni(j.at("omni"), c.omni);
  if (j.contains("gmp")) read_gmp(j.at("gmp"), c.gmp);
  f.finish();
  return c;
}

}  // namespace omnisparse
