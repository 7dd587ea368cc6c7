#include "core/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/common/heap_tuning.h"
#include "core/common/progress.h"
#include "core/data/corpus.h"
#include "core/dist/world.h"
#include "core/eval/evaluator.h"
#include "core/eval/model_bundle.h"
#include "core/io/event_log.h"
#include "core/io/run_cost.h"
#include "core/io/run_dir.h"
#include "core/model/rnnt_loss.h"
#include "core/tensor/device.h"
#include "core/io/checkpoint.h"
#include "core/train/train_data.h"
#include "core/train/distill.h"
#include "core/train/parent_model.h"
#include "core/train/train_policy.h"

namespace omnisparse {

namespace fs = std::filesystem;

namespace {

// This machine's name for run.json ("" when the system will not say).
std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : std::string();
}

// Linear warm-up, then cosine decay to lr_final * lr over the run's progress.
double learning_rate(const TrainConfig& c, int64_t step, double progress) {
  const double warm = c.lr_warmup_steps > 0 ? std::min(1.0, (step + 1.0) / c.lr_warmup_steps) : 1.0;
  const double p = std::clamp(progress, 0.0, 1.0);
  const double cosine = c.lr_final + (1 - c.lr_final) * 0.5 * (1 + std::cos(M_PI * p));
  return c.lr * warm * cosine;
}

std::string mt_state(const std::mt19937_64& rng) {
  std::ostringstream ss;
  ss << rng;
  return ss.str();
}

void set_mt_state(std::mt19937_64& rng, const std::string& s) {
  std::istringstream ss(s);
  ss >> rng;
}

// Named parameters in a stable order (optimizer state is keyed by these names).
std::vector<std::pair<std::string, at::Tensor>> named_params(Transducer& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& p : model->named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

struct State {
  int64_t step = 0, passes = 0, samples = 0, epoch = 0, batch_index = 0;
  int64_t teacher_passes = 0;  // of `passes`: forward-only passes of the distillation teacher
  double train_s = 0, audio_s = 0;
  nlohmann::json to_json() const {
    return {{"step", step},   {"passes", passes},           {"samples", samples},
            {"epoch", epoch}, {"batch_index", batch_index}, {"train_s", train_s},
            {"audio_s", audio_s}, {"teacher_passes", teacher_passes}};
  }
  void from_json(const nlohmann::json& j) {
    step = j.at("step");
    passes = j.at("passes");
    samples = j.at("samples");
    epoch = j.at("epoch");
    batch_index = j.at("batch_index");
    train_s = j.at("train_s");
    audio_s = j.value("audio_s", 0.0);
    teacher_passes = j.value("teacher_passes", int64_t{0});
  }
};

double progress_of(const TrainConfig& c, const State& s) {
  double p = 0;
  if (c.steps > 0) p = std::max(p, static_cast<double>(s.step) / c.steps);
  if (c.minutes > 0) p = std::max(p, s.train_s / (c.minutes * 60.0));
  return std::min(p, 1.0);
}

// The loss of one sub-network on one batch: RNN-T (+ weighted CTC when the model has a head);
// CTC alone when ctc_only (the CTC warm-up: no predictor or joiner, about 2x cheaper a pass).
// With want_ctc, also the CTC log-probabilities (for in-place distillation).
struct BatchLoss {
  torch::Tensor loss;
  torch::Tensor ctc_lp;    // [T', B, V] log-probabilities (CTC frames); undefined unless asked
  torch::Tensor ctc_lens;  // [B] valid CTC frames
};

// The CTC head's log-probabilities of an encoder output: [T', B, V] (time first, as the CTC loss
// and the distillation KL take them).
torch::Tensor ctc_log_probs(Transducer& model, const EncoderOutput& enc) {
  return torch::log_softmax(model->ctc_logits(enc.enc), -1).transpose(0, 1);
}

// pred_dropout: the share of utterances whose joiner gets a zero predictor output (docs/DESIGN.md
// section 3).
BatchLoss batch_loss(Transducer& model, const Batch& b, const torch::Device& device, bool ctc_only,
                     bool want_ctc, double pred_dropout) {
  auto feats = b.feats.to(device), feat_lens = b.feat_lens.to(device);
  auto targets = b.targets.to(device), target_lens = b.target_lens.to(device);
  EncoderOutput enc = model->encode(feats, feat_lens);
  BatchLoss out;
  const bool need_ctc = ctc_only || want_ctc || model->config().ctc_weight > 0;
  if (need_ctc) {
    out.ctc_lp = ctc_log_probs(model, enc);
    out.ctc_lens = enc.lens * model->config().ctc_upsample;
  }
  // onset_db: no label before the encoder frame that first hears the speech onset (the frame
  // whose stacked input holds it), in the RNN-T lattice and in the CTC loss alike.
  torch::Tensor first_emit;  // [B] encoder frames, undefined: no restriction
  if (b.onsets.defined())
    first_emit = torch::div(b.onsets.to(device), model->config().frame_stacking, "floor");
  auto ctc_loss = [&] {
    torch::Tensor lp = out.ctc_lp;  // [T', B, V]
    if (first_emit.defined()) {
      const int64_t up = model->config().ctc_upsample;
      // never so late that the target no longer fits (a label, a blank between repeats)
      auto fe =
          torch::minimum(first_emit * up, (out.ctc_lens - 2 * target_lens - 1).clamp_min(0));
      auto t = torch::arange(lp.size(0), fe.options()).view({-1, 1});  // [T', 1]
      auto before = (t < fe.view({1, -1})).unsqueeze(2);               // [T', B, 1]
      auto label = (torch::arange(lp.size(2), fe.options()) != 0).view({1, 1, -1});  // blank: 0
      lp = lp.masked_fill(before & label, -1e4);
    }
    // Per utterance, like the RNN-T loss. LibTorch's Mean divides each utterance's CTC loss by
    // its target length first, which makes the auxiliary loss ~35x smaller than the RNN-T loss
    // on character targets: measured, a 0.3 weight then never taught the encoder anything and
    // the transducer settled for the predictor's language model (same WER with zeroed audio).
    return torch::ctc_loss(lp, targets, out.ctc_lens, target_lens, 0, at::Reduction::Sum,
                           /*zero_infinity=*/true) /
           static_cast<double>(targets.size(0));
  };
  if (ctc_only) {
    out.loss = ctc_loss();
    return out;
  }
  auto sos = torch::zeros({targets.size(0), 1}, targets.options());
  PredictorOutput pred = model->predict(torch::cat({sos, targets}, 1));
  if (pred_dropout > 0) {
    const torch::Tensor keep =
        (torch::rand({pred.pred.size(0), 1, 1}, pred.pred.options()) >= pred_dropout)
            .to(pred.pred.dtype());
    pred.pred = pred.pred * keep;
  }
  torch::Tensor logits = model->joint(enc.enc, pred.pred);  // [B, T', U+1, V]
  torch::Tensor loss = rnnt_loss(logits, targets, enc.lens, target_lens, 0, Reduction::Mean,
                                 RnntAlgorithm::Auto, first_emit);
  const double w = model->config().ctc_weight;
  if (w > 0) loss = (1 - w) * loss + w * ctc_loss();
  out.loss = loss;
  return out;
}

// The dense member's CTC posteriors for distillation when the step did not train it: a
// forward pass of the encoder and the CTC head only, no gradients.
torch::Tensor teacher_log_probs(Transducer& model, const Batch& b, const torch::Device& device,
                                const PrunableLayers& layers) {
  torch::NoGradGuard no_grad;
  clear_masks(layers);
  return ctc_log_probs(model, model->encode(b.feats.to(device), b.feat_lens.to(device)));
}

// One training session of a run: the trainer's named steps, in the order run() calls them.
class TrainSession {
 public:
  TrainSession(TrainConfig& cfg, const TrainerOptions& opts, World& world)
      : cfg_(cfg), opts_(opts), world_(world), root_(world.is_root()) {}

  // What run() checks before it touches the disk (config, device, parent, the run directory).
  void check(bool run_dir) {
    check_config();
    if (!run_dir) return;
    if (!opts_.resume && RunDir::is_run_dir(cfg_.run))
      throw InvalidArgument(cfg_.run + ": already holds a training run; continue it with --resume "
                            "or choose another --run");
    if (opts_.resume && !load_latest_checkpoint(RunDir::open(cfg_.run)))
      throw IoError(cfg_.run, "no complete checkpoint to resume from");
  }

  TrainSummary run(const std::atomic<bool>* stop) {
    check_config();
    open_run();
    try {
      load_data();
      build_model();
      if (ckpt_ && progress_of(cfg_, st_) >= 1.0) return finished_summary();
      emit_start();
      const bool stopped = train_loop(stop);
      return finish(stopped);
    } catch (const std::exception& e) {
      // The run stays resumable from its last checkpoint; the monitor shows why it stopped.
      try {
        emit({{"type", "error"}, {"step", st_.step}, {"message", e.what()}});
      } catch (...) {
        // The error being reported matters more than a failure to log it.
      }
      throw;
    }
  }

 private:
  // --- Open or resume -----------------------------------------------------------------------------
  // Everything that can be checked without touching the disk is checked first, so a bad config
  // or a missing device never leaves a half-made run directory behind.
  void check_config() {
    if (cfg_.run.empty()) throw ConfigError("train: --run is required");
    if (cfg_.data.empty()) throw ConfigError("train: --data is required");
    if (opts_.resume) return;
    cfg_.Validate();
    (void)resolve_device(cfg_.device);
    if (cfg_.fbank) fbank_ = *cfg_.fbank;
    if (cfg_.init_from.empty()) return;
    parent_ = load_parent(cfg_.init_from);
    if (cfg_.fbank && !(*cfg_.fbank == parent_->bundle.fbank))
      throw ConfigError("fbank: a fine-tune hears what its parent heard (" +
                        parent_->bundle.fbank.to_json().dump() + "); leave fbank out");
    fbank_ = parent_->bundle.fbank;
    if (!opts_.model_given) {
      // No model asked for: train the parent's (with this run's training-only settings).
      const TransducerConfig asked = cfg_.model;
      cfg_.model = parent_->bundle.config;
      if (!parent_->preset.empty()) cfg_.preset = parent_->preset;
      cfg_.model.dropout = asked.dropout;
      if (asked.ctc_weight > 0 && cfg_.model.ctc_weight > 0) cfg_.model.ctc_weight = asked.ctc_weight;
      cfg_.Validate();
    }
    check_parent_compatible(*parent_, cfg_.model, opts_.model_given ? cfg_.preset : "");
  }

  void open_run() {
    const fs::path run_path = cfg_.run;
    if (!opts_.resume && root_ && RunDir::is_run_dir(run_path))
      throw InvalidArgument(run_path.string() +
                            ": already holds a training run; continue it with --resume or choose "
                            "another --run");
    // Rank 0 makes the run directory; the other workers only ever read it (to resume).
    if (opts_.resume) run_ = RunDir::open(run_path);
    else if (root_) run_ = RunDir::create(run_path);
    if (opts_.resume) resume_config();
    cfg_.Validate();
    configure_threads(cfg_.threads);
    device_ = resolve_device(cfg_.device);
    torch::manual_seed(cfg_.seed);
    if (root_) log_.emplace(run_->events_path());
    world_.CheckSame("training config", comparable_config());
  }

  void resume_config() {
    auto latest = load_latest_checkpoint(*run_);
    if (!latest) throw IoError(cfg_.run, "no complete checkpoint to resume from");
    ckpt_path_ = latest->first;
    ckpt_ = std::move(latest->second);
    // The features the run was trained on, whatever today's defaults are.
    fbank_ = fbank_of(ckpt_->model_meta, ckpt_path_);
    TrainConfig saved = TrainConfig::from_json(ckpt_->config);
    if (opts_.model_given && !(saved.model == cfg_.model))
      throw ConfigError(cfg_.run + ": the run was trained with a different model config (" +
                        saved.model.ToString() + "); resume it without --preset/--config");
    if (opts_.mode_given && saved.mode != cfg_.mode)
      throw ConfigError(cfg_.run + ": the run was trained in mode " + to_string(saved.mode) +
                        ", not " + to_string(cfg_.mode));
    // The budget may be changed on resume; everything else continues as saved.
    if (cfg_.steps > 0 || cfg_.minutes > 0) {
      saved.steps = cfg_.steps;
      saved.minutes = cfg_.minutes;
    }
    saved.run = cfg_.run;
    saved.data = cfg_.data;
    saved.device = cfg_.device;
    saved.threads = cfg_.threads;
    cfg_ = saved;
  }

  // What every worker must agree on: the config without what is local to a rank, and the
  // checkpoint it resumes from.
  std::string comparable_config() const {
    nlohmann::json j = cfg_.to_json();
    for (const char* local : {"run", "data", "device", "threads"}) j.erase(local);
    j["resume_from"] = ckpt_path_.filename().string();
    return j.dump(1);
  }

  // --- Data -------------------------------------------------------------------------------------
  void load_data() {
    auto train_utts = read_subset(resolve_subset(cfg_.data, "train"));
    try {
      dev_utts_ = read_subset(resolve_subset(cfg_.data, "dev"));
    } catch (const IoError&) {
      // No dev subset: periodic evaluation is skipped (said in the start event).
    }
    data_.emplace(std::move(train_utts), tokenizer_, fbank_, opts_.progress_bar && root_);
    world_.CheckSame("training corpus", fmt::format("{} utterances, {:.6f} hours", data_->size(),
                                                    data_->total_hours()));
    if (static_cast<int64_t>(dev_utts_.size()) > cfg_.eval_utterances) {
      std::mt19937_64 pick(cfg_.seed);
      std::shuffle(dev_utts_.begin(), dev_utts_.end(), pick);
      dev_utts_.resize(static_cast<size_t>(cfg_.eval_utterances));
    }
    // Rank 0 alone evaluates.
    if (root_) dev_ = EvalSet::Load(dev_utts_, fbank_, /*progress=*/false);
  }

  // --- Model, optimiser, policy -----------------------------------------------------------------
  void build_model() {
    if (ckpt_) {
      bundle_ = ModelBundle::FromTensors(ckpt_->model_meta, ckpt_->weights, ckpt_path_);
      st_.from_json(ckpt_->state.at("trainer"));
    } else if (parent_) {
      // Weights and feature normalisation of the parent; optimiser, schedule and ranks fresh.
      bundle_ = ModelBundle::Create(cfg_.model, parent_->bundle.stats);
      bundle_.load_weights(parent_->bundle.weights(), parent_->path);
    } else {
      bundle_ = ModelBundle::Create(cfg_.model, data_->compute_stats());
    }
    if (!ckpt_) bundle_.fbank = fbank_;
    if (!ckpt_ && root_) write_run_json();
    // What the parent cost (itself and its ancestors), for the cost figures with the parent.
    if (root_) parent_info_ = parent_info_of_run(run_->read_run_json());
    bundle_.model->to(device_);
    bundle_.model->train();
    params_ = named_params(bundle_.model);
    for (auto& [n, p] : params_) plist_.push_back(p);
    adam_.emplace(plist_, torch::optim::AdamOptions(cfg_.lr).weight_decay(cfg_.weight_decay));
    layers_ = bundle_.model->prunable_layers();
    freeze_untrainable();
    specs_ = specs_of(layers_);
    policy_ = make_policy(cfg_, specs_);
    rng_.seed(cfg_.seed);
    if (ckpt_) restore_checkpoint();
    // Every worker starts from rank 0's weights (equal already when all is well; cheap).
    {
      torch::NoGradGuard no_grad;
      world_.Broadcast(plist_, 0);
    }
    if (world_.size() > 1) torch::manual_seed(cfg_.seed + 7919 * static_cast<uint64_t>(world_.rank()));
  }

  // cfg.trainable: the parameters it leaves out get no gradient, so Adam never moves them (the
  // all-reduce keeps a gradient that no rank produced undefined).
  void freeze_untrainable() {
    if (cfg_.trainable == "all") return;
    for (auto& [name, p] : params_) {
      const bool prunable = std::any_of(layers_.begin(), layers_.end(), [&](const PrunableLayer& l) {
        return l.weight.is_same(p);
      });
      p.requires_grad_(prunable == (cfg_.trainable == "pruned"));
    }
  }

  void write_run_json() {
    nlohmann::json rj = {{"config", cfg_.to_json()},
                         {"mode", to_string(cfg_.mode)},
                         {"preset", cfg_.preset},
                         {"omnisparse_version", OMNISPARSE_VERSION},
                         {"created", unix_time_now()},
                         {"host", host_name()},
                         {"fingerprint", bundle_.fingerprint()},
                         {"parameters", bundle_.model->num_parameters()},
                         {"train_utterances", data_->size()},
                         {"train_hours", data_->total_hours()},
                         {"dev_utterances", dev_utts_.size()},
                         {"workers", world_.size()}};
    if (parent_) rj["parent"] = parent_->info;
    run_->write_run_json(rj);
  }

  void restore_checkpoint() {
    // "adam_step" (one count for all) is what checkpoints before per-parameter steps hold.
    restore_adam_state(*adam_, params_, ckpt_->optimizer, ckpt_->state.value("adam_step", int64_t{0}),
                       ckpt_->state.value("adam_steps", std::map<std::string, int64_t>{}),
                       ckpt_path_);
    if (policy_->mutable_ranks() && !ckpt_->ranks.empty())
      *policy_->mutable_ranks() = RankSet::Restore(ckpt_->ranks_meta, ckpt_->ranks);
    policy_->restore(ckpt_->state.value("policy", nlohmann::json::object()));
    set_mt_state(rng_, ckpt_->state.value("rng", std::string()));
    if (ckpt_->state.contains("torch_seed"))
      torch::manual_seed(ckpt_->state.at("torch_seed").get<uint64_t>());
  }

  // A finished run is left exactly as it is (give a larger --steps/--minutes to continue it).
  TrainSummary finished_summary() const {
    TrainSummary done;
    done.steps = st_.step;
    done.passes = st_.passes;
    done.wall_s = st_.train_s;
    done.finished = true;
    return done;
  }

  // --- Events -----------------------------------------------------------------------------------
  void emit(nlohmann::json ev) {
    if (!log_) return;  // not rank 0
    const std::string type = ev.at("type");
    const int64_t step = ev.at("step");
    ev.erase("type");
    ev.erase("step");
    log_->append(type, step, ev);
    if (opts_.on_event) {
      ev["type"] = type;
      ev["step"] = step;
      ev["time"] = unix_time_now();
      opts_.on_event(ev);
    }
  }

  nlohmann::json parent_cost(const char* key) const {
    return parent_info_.is_object() ? parent_info_.value(key, nlohmann::json()) : nlohmann::json();
  }

  nlohmann::json with_parent(nlohmann::json ev) const {
    if (!parent_info_.is_object()) return ev;
    const nlohmann::json pp = parent_cost("total_passes"), pw = parent_cost("total_wall_s");
    ev["parent_passes"] = pp;
    ev["total_passes"] = pp.is_number() ? nlohmann::json(st_.passes + pp.get<int64_t>()) : nlohmann::json();
    ev["total_wall_s"] = pw.is_number() ? nlohmann::json(st_.train_s + pw.get<double>()) : nlohmann::json();
    return ev;
  }

  void emit_start() {
    emit({{"type", ckpt_ ? "resume" : "start"},
          {"step", st_.step},
          {"mode", to_string(cfg_.mode)},
          {"preset", cfg_.preset},
          {"total_steps", cfg_.steps > 0 ? nlohmann::json(cfg_.steps) : nlohmann::json()},
          {"minutes", cfg_.minutes > 0 ? nlohmann::json(cfg_.minutes) : nlohmann::json()},
          {"device", device_.str()},
          {"workers", world_.size()},
          {"backend", world_.backend()},
          {"threads", cfg_.threads},
          {"parameters", bundle_.model->num_parameters()},
          {"train_utterances", data_->size()},
          {"dev_utterances", dev_.size()},
          {"passes", st_.passes},
          {"parent", parent_info_}});
  }

  // --- One step ---------------------------------------------------------------------------------
  struct StepOutcome {
    double loss = 0;      // the whole batch's (all workers)
    double seconds = 0;   // the step's wall time, averaged over the workers
    bool stop = false;    // some worker was asked to stop
    double sync_s = 0;    // in the gradient all-reduce
    double straggle_s = 0;  // the slowest worker's step work minus the workers' mean
    std::vector<SubnetConfig> plan;
  };

  StepOutcome train_step(const Batch& augmented, double progress, double lr, bool stop_asked) {
    StepOutcome out;
    Batch batch = augmented;  // tensors shared, not copied
    if (batch.feats_unmasked.defined() && progress < cfg_.spec_augment_start)
      batch.feats = batch.feats_unmasked;
    out.plan = policy_->plan(st_.step, progress, layers_);
    for (auto& group : adam_->param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr * policy_->lr_factor(out.plan));
    if (auto m = policy_->take_mask_event()) {
      nlohmann::json ev = {{"type", "masks"}, {"step", st_.step}, {"progress", progress}};
      ev.update(*m);
      emit(ev);
    }
    adam_->zero_grad();
    const double share = batch.global_utts > 0
                             ? static_cast<double>(batch.num_utts()) / batch.global_utts : 1.0;
    double local_loss = batch.num_utts() > 0 ? member_passes(batch, progress, out.plan, share) : 0.0;
    st_.passes += static_cast<int64_t>(out.plan.size());
    clear_masks(layers_);
    // The step's time runs from the previous step's all-reduce to this one's, so that every
    // worker adds the same all-reduced seconds (the minute budget and the learning rate depend
    // on them: a rank's own clock would let the ranks' schedules drift apart).
    const auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - clock_).count();
    clock_ = now;
    const SyncResult sync = sync_gradients(local_loss * share, dt, stop_asked);
    out.loss = sync.loss;
    if (!std::isfinite(out.loss))
      throw Error(fmt::format("training diverged at step {}: loss is {} (lower --lr?)", st_.step,
                              out.loss));
    torch::nn::utils::clip_grad_norm_(plist_, cfg_.grad_clip);
    adam_->step();
    policy_->after_step(layers_);
    out.stop = sync.stop;
    out.sync_s = sync.sync_s;
    out.straggle_s = sync.straggle_s;
    out.seconds = sync.seconds;
    return out;
  }

  // Forward and backward of every planned member on this worker's shard; the summed gradient of
  // mean losses is scaled by `share` (this shard's part of the batch). Returns the mean loss.
  double member_passes(const Batch& batch, double progress, const std::vector<SubnetConfig>& plan,
                       double share) {
    double step_loss = 0;
    const bool ctc_only = progress < cfg_.ctc_warmup;
    const double distill = cfg_.mode == TrainMode::Omni ? cfg_.omni.distill_weight : 0.0;
    torch::Tensor teacher;  // [T', B, V] the dense member's CTC log-probabilities, detached
    for (const SubnetConfig& sc : plan) {
      const bool distill_this = distill > 0 && !sc.is_dense();
      if (distill_this && !teacher.defined()) {
        teacher = teacher_log_probs(bundle_.model, batch, device_, layers_);
        ++st_.passes;  // a forward-only pass, counted like any other
        ++st_.teacher_passes;
      }
      const std::optional<SharedCore> core =
          shared_core_of(sc, /*after_others=*/&sc != &plan.front());
      if (sc.is_dense()) clear_masks(layers_);
      else policy_->ranks()->apply(layers_, sc);
      BatchLoss parts = batch_loss(bundle_.model, batch, device_, ctc_only, distill > 0,
                                   cfg_.pred_dropout_at(progress));
      torch::Tensor loss = parts.loss;
      if (distill > 0 && sc.is_dense()) teacher = parts.ctc_lp.detach();
      if (distill_this) loss = loss + distill * ctc_distill_kl(parts.ctc_lp, teacher, parts.ctc_lens);
      (loss * (share / static_cast<double>(plan.size()))).backward();
      if (core) scale_shared_grad(*core);
      step_loss += loss.item<double>() / plan.size();
    }
    return step_loss;
  }

  // omni.shared_grad: the masks of the weights a member shares with every smaller member (its
  // next sparser level), and the gradient accumulated before the member's backward pass.
  struct SharedCore {
    std::vector<torch::Tensor> mask;    // per prunable layer; undefined: no core in that layer
    std::vector<torch::Tensor> before;  // per prunable layer; undefined: no gradient yet
  };

  // after_others: earlier members of this step left gradients that must keep their scale.
  std::optional<SharedCore> shared_core_of(const SubnetConfig& member, bool after_others) {
    const std::optional<SubnetConfig> core = policy_->shared_core(member);
    if (!core) return std::nullopt;
    policy_->ranks()->apply(layers_, *core);
    SharedCore c;
    for (const PrunableLayer& l : layers_) {
      c.mask.push_back(l.mask->defined() ? l.mask->clone() : torch::Tensor());
      const torch::Tensor& g = l.weight.grad();
      c.before.push_back(after_others && g.defined() ? g.clone() : torch::Tensor());
    }
    return c;
  }

  // Multiplies this member's part of each prunable gradient (now minus before) by
  // omni.shared_grad where the core mask keeps the weight.
  void scale_shared_grad(const SharedCore& core) {
    torch::NoGradGuard no_grad;
    const double f = cfg_.omni.shared_grad;
    for (size_t i = 0; i < layers_.size(); ++i) {
      torch::Tensor g = layers_[i].weight.mutable_grad();
      if (!core.mask[i].defined() || !g.defined()) continue;
      const torch::Tensor keep = 1.0 - (1.0 - f) * core.mask[i];
      if (core.before[i].defined()) g.copy_(core.before[i] + (g - core.before[i]) * keep);
      else g.mul_(keep);
    }
  }

  struct SyncResult {
    double loss = 0, seconds = 0;
    bool stop = false;
    double sync_s = 0;  // this rank's time in the all-reduce (waiting for the others included)
    double straggle_s = 0;  // max over the ranks of their work since the last all-reduce, minus
                            // the mean
  };

  // Sums the gradients over the workers (one flat all-reduce that also carries the loss, the
  // step time and the stop request, so every rank takes the same decisions). A gradient that no
  // rank produced (a shard left empty, a part of the model this phase does not train) stays
  // undefined, so Adam skips it exactly as it would for one worker.
  SyncResult sync_gradients(double weighted_loss, double dt, bool stop_asked) {
    SyncResult r{weighted_loss, dt, stop_asked};
    if (world_.size() == 1) return r;
    const int64_t n = static_cast<int64_t>(plist_.size());
    // Each rank's own dt in a slot of its own: the all-reduce sums zeros into the others'.
    const int64_t w = world_.size();
    at::Tensor extra = at::zeros({n + 3 + w}, at::kFloat);
    std::vector<at::Tensor> grads;
    for (int64_t i = 0; i < n; ++i) {
      at::Tensor& p = plist_[static_cast<size_t>(i)];
      if (p.grad().defined()) extra[i] = 1.0f;
      else p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    extra[n] = static_cast<float>(weighted_loss);
    extra[n + 1] = static_cast<float>(dt);
    extra[n + 2] = stop_asked ? 1.0f : 0.0f;
    const auto t0 = std::chrono::steady_clock::now();
    extra[n + 3 + world_.rank()] = static_cast<float>(
        std::chrono::duration<double>(t0 - work_clock_).count());  // this rank's work since then
    grads.push_back(extra.to(device_));
    world_.AllReduceSum(grads);
    work_clock_ = std::chrono::steady_clock::now();
    r.sync_s = std::chrono::duration<double>(work_clock_ - t0).count();
    extra = grads.back().to(at::kCPU);
    for (int64_t i = 0; i < n; ++i)
      if (extra[i].item<float>() == 0.0f) plist_[static_cast<size_t>(i)].mutable_grad() = at::Tensor();
    r.loss = extra[n].item<float>();
    r.seconds = extra[n + 1].item<float>() / world_.size();
    r.stop = extra[n + 2].item<float>() > 0;
    const at::Tensor dts = extra.narrow(0, n + 3, w);
    r.straggle_s = (dts.max() - dts.mean()).item<float>();
    return r;
  }

  // --- The loop ---------------------------------------------------------------------------------
  bool train_loop(const std::atomic<bool>* stop) {
    BatchProducer producer(*data_, bundle_.stats, cfg_, st_.epoch, st_.batch_index,
                           BatchShard{world_.rank(), world_.size()});
    const int64_t bar_total = cfg_.steps > 0 ? cfg_.steps : static_cast<int64_t>(cfg_.minutes * 60);
    Progress bar("train", bar_total, opts_.progress_bar && root_);
    bool stopped = false;
    Window window;
    clock_ = work_clock_ = std::chrono::steady_clock::now();
    while (progress_of(cfg_, st_) < 1.0) {
      const bool stop_asked = stop && stop->load();
      // Alone, a stop request ends the run before the next step; with workers, after it (the
      // request travels with the step's all-reduce).
      if (stop_asked && world_.size() == 1) {
        stopped = true;
        break;
      }
      const double progress = progress_of(cfg_, st_);
      const double lr = learning_rate(cfg_, st_.step, progress);
      Batch batch = producer.next();
      StepOutcome o = train_step(batch, progress, lr, stop_asked);
      st_.train_s += o.seconds;
      ++st_.step;
      st_.samples += batch.global_utts;
      st_.epoch = batch.epoch;
      st_.batch_index = batch.index + 1;
      window.add(batch.global_utts, o.seconds, o.loss, o.sync_s, o.straggle_s);
      after_step(bar, window, o, lr);
      if (o.stop) {
        stopped = progress_of(cfg_, st_) < 1.0;
        break;
      }
    }
    bar.finish(stopped ? "stopped" : "done");
    return stopped;
  }

  struct Window {
    double samples = 0, seconds = 0, loss_sum = 0, sync_s = 0, straggle_s = 0;
    int64_t n = 0;
    void add(double s, double dt, double loss, double sync, double straggle) {
      samples += s;
      seconds += dt;
      loss_sum += loss;
      sync_s += sync;
      straggle_s += straggle;
      ++n;
    }
  };

  // Logging, periodic evaluation, checkpoints and the workers' weight check after a step.
  void after_step(Progress& bar, Window& w, const StepOutcome& o, double lr) {
    const double p = progress_of(cfg_, st_);
    bar.set(cfg_.steps > 0 ? st_.step : static_cast<int64_t>(st_.train_s),
            fmt::format("loss {:.3f}", o.loss));
    if (st_.step % cfg_.log_every == 0 || p >= 1.0) {
      emit(with_parent(step_event(w, o, lr, p)));
      w = Window{};
    }
    if (world_.size() > 1 && st_.step % kSyncCheckEvery == 0) world_.CheckInSync(plist_, st_.step);
    if (st_.step % cfg_.eval_every == 0 && p < 1.0) {
      evaluate();
      world_.Barrier();  // the others wait for rank 0's evaluation (not training time)
      clock_ = work_clock_ = std::chrono::steady_clock::now();
    }
    if (st_.step % cfg_.checkpoint_every == 0 && p < 1.0) {
      save();
      world_.Barrier();
      clock_ = work_clock_ = std::chrono::steady_clock::now();
    }
  }

  nlohmann::json step_event(const Window& w, const StepOutcome& o, double lr, double p) const {
    std::vector<double> sp;
    for (auto& sc : o.plan) sp.push_back(std::round(sc.mean_level() * 1e4) / 1e4);
    const double elapsed = st_.train_s;
    return {{"type", "step"},
            {"step", st_.step},
            {"loss", w.loss_sum / std::max<int64_t>(1, w.n)},
            {"lr", lr},
            {"samples_per_s", w.seconds > 0 ? w.samples / w.seconds : 0.0},
            {"workers", world_.size()},
            {"sync_ms", 1e3 * w.sync_s / std::max<int64_t>(1, w.n)},
            {"straggle_ms", 1e3 * w.straggle_s / std::max<int64_t>(1, w.n)},
            {"sparsities", sp},
            {"progress", p},
            {"passes", st_.passes},
            {"teacher_passes", st_.teacher_passes},
            {"epoch", st_.epoch},
            {"elapsed_s", elapsed},
            {"eta_s", p > 0 ? nlohmann::json(elapsed * (1 - p) / p) : nlohmann::json()}};
  }

  // --- Evaluate and save ------------------------------------------------------------------------
  void evaluate() {
    if (!root_ || dev_.size() == 0) return;
    bundle_.model->eval();
    nlohmann::json results = nlohmann::json::array();
    for (const SubnetConfig& sc : policy_->eval_configs(specs_)) {
      if (policy_->ranks() && !policy_->ranks()->empty()) policy_->ranks()->apply(layers_, sc);
      EvalReport r = omnisparse::evaluate(bundle_, dev_, EvalOptions{});
      results.push_back({{"sparsity", std::round(sc.mean_level() * 1e4) / 1e4},
                         {"id", sc.id()},
                         {"wer", r.score.words.rate()},
                         {"cer", r.score.chars.rate()},
                         {"rtf", r.rtf}});
    }
    clear_masks(layers_);
    bundle_.model->train();
    last_eval_ = {{"type", "eval"}, {"step", st_.step}, {"set", "dev"}, {"results", results}};
    emit(last_eval_);
  }

  // Every worker takes the same draws from the shared generator; rank 0 alone writes.
  void save() {
    const uint64_t torch_seed = std::uniform_int_distribution<uint64_t>()(rng_);
    if (root_) {
      Checkpoint c;
      bundle_.model->to(torch::kCPU);
      c.weights = bundle_.weights();
      c.model_meta = bundle_.metadata();
      bundle_.model->to(device_);
      std::map<std::string, int64_t> adam_steps;
      c.optimizer = adam_state_tensors(*adam_, params_, &adam_steps);
      if (const RankSet* r = policy_->ranks(); r && !r->empty()) {
        c.ranks = r->tensors();
        c.ranks_meta = r->meta();
      }
      c.state = {{"trainer", st_.to_json()},
                 {"adam_steps", adam_steps},
                 {"policy", policy_->state()},
                 {"rng", mt_state(rng_)},
                 {"torch_seed", torch_seed}};
      c.config = cfg_.to_json();
      fs::path path = save_checkpoint(run_->checkpoints(), st_.step, c);
      emit({{"type", "checkpoint"}, {"step", st_.step}, {"path", fs::relative(path, run_->path()).string()}});
    }
    // The seed a resumed run starts its dropout from (each worker its own stream).
    torch::manual_seed(torch_seed + 7919 * static_cast<uint64_t>(world_.rank()));
  }

  TrainSummary finish(bool stopped) {
    if (!stopped) {
      policy_->finish(layers_);
      evaluate();
    }
    if (world_.size() > 1) world_.CheckInSync(plist_, st_.step);
    save();
    world_.Barrier();
    TrainSummary sum;
    sum.steps = st_.step;
    sum.passes = st_.passes;
    sum.wall_s = st_.train_s;
    sum.finished = !stopped;
    sum.last_eval = last_eval_;
    const nlohmann::json pp = parent_cost("total_passes"), pw = parent_cost("total_wall_s");
    sum.parent_passes = pp.is_number() ? pp.get<int64_t>() : 0;
    sum.parent_wall_s = pw.is_number() ? pw.get<double>() : 0.0;
    emit(with_parent({{"type", stopped ? "stopped" : "done"},
                      {"step", st_.step},
                      {"passes", st_.passes},
                      {"teacher_passes", st_.teacher_passes},
                      {"wall_s", st_.train_s},
                      {"parent_wall_s", pw},
                      {"session_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count()},
                      {"samples", st_.samples},
                      {"workers", world_.size()}}));
    return sum;
  }

  static constexpr int64_t kSyncCheckEvery = 50;  // steps between the workers' weight checks

  TrainConfig& cfg_;
  const TrainerOptions& opts_;
  World& world_;
  const bool root_;
  const std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();

  std::optional<ParentModel> parent_;
  std::optional<RunDir> run_;
  std::optional<Checkpoint> ckpt_;
  fs::path ckpt_path_;
  torch::Device device_{torch::kCPU};
  std::optional<EventLog> log_;

  CharTokenizer tokenizer_;
  FbankConfig fbank_;
  std::vector<Utterance> dev_utts_;
  std::optional<TrainData> data_;
  EvalSet dev_;

  ModelBundle bundle_;
  nlohmann::json parent_info_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::vector<at::Tensor> plist_;
  std::optional<torch::optim::Adam> adam_;
  PrunableLayers layers_;
  LayerSpecs specs_;
  std::unique_ptr<TrainPolicy> policy_;
  std::mt19937_64 rng_;
  State st_;
  std::chrono::steady_clock::time_point clock_;  // the last all-reduce (or pause) of the loop
  std::chrono::steady_clock::time_point work_clock_;  // the end of the last all-reduce (or pause)
  nlohmann::json last_eval_;
};

}  // namespace

Trainer::Trainer(TrainConfig cfg, TrainerOptions opts) : cfg_(std::move(cfg)), opts_(std::move(opts)) {}

void Trainer::check(bool run_dir) const {
  TrainConfig cfg = cfg_;
  auto alone = World::Single();
  TrainSession(cfg, opts_, *alone).check(run_dir);
}

TrainSummary Trainer::run(const std::atomic<bool>* stop) {
  keep_step_buffers_in_heap();
  std::unique_ptr<World> alone;
  World* world = opts_.world;
  if (!world) {
    alone = World::Single();
    world = alone.get();
  }
  TrainSession session(cfg_, opts_, *world);
  return session.run(stop);
}

}  // namespace omnisparse
