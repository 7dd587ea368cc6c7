#include "core/train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/corpus.h"
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

BatchLoss batch_loss(Transducer& model, const Batch& b, const torch::Device& device, bool ctc_only,
                     bool want_ctc) {
  auto feats = b.feats.to(device), feat_lens = b.feat_lens.to(device);
  auto targets = b.targets.to(device), target_lens = b.target_lens.to(device);
  EncoderOutput enc = model->encode(feats, feat_lens);
  BatchLoss out;
  const bool need_ctc = ctc_only || want_ctc || model->config().ctc_weight > 0;
  if (need_ctc) {
    out.ctc_lp = ctc_log_probs(model, enc);
    out.ctc_lens = enc.lens * model->config().ctc_upsample;
  }
  auto ctc_loss = [&] {
    // Per utterance, like the RNN-T loss. LibTorch's Mean divides each utterance's CTC loss by
    // its target length first, which makes the auxiliary loss ~35x smaller than the RNN-T loss
    // on character targets: measured, a 0.3 weight then never taught the encoder anything and
    // the transducer settled for the predictor's language model (same WER with zeroed audio).
    return torch::ctc_loss(out.ctc_lp, targets, out.ctc_lens, target_lens, 0, at::Reduction::Sum,
                           /*zero_infinity=*/true) /
           static_cast<double>(targets.size(0));
  };
  if (ctc_only) {
    out.loss = ctc_loss();
    return out;
  }
  auto sos = torch::zeros({targets.size(0), 1}, targets.options());
  PredictorOutput pred = model->predict(torch::cat({sos, targets}, 1));
  torch::Tensor logits = model->joint(enc.enc, pred.pred);  // [B, T', U+1, V]
  torch::Tensor loss = rnnt_loss(logits, targets, enc.lens, target_lens, 0, Reduction::Mean);
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

}  // namespace

Trainer::Trainer(TrainConfig cfg, TrainerOptions opts) : cfg_(std::move(cfg)), opts_(std::move(opts)) {}

TrainSummary Trainer::run(const std::atomic<bool>* stop) {
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path run_path = cfg_.run;
  if (cfg_.run.empty()) throw ConfigError("train: --run is required");
  if (cfg_.data.empty()) throw ConfigError("train: --data is required");

  // --- Run directory and (when resuming) the last complete checkpoint -----------------------
  // Everything that can be checked without touching the disk is checked first, so a bad
  // config or a missing device never leaves a half-made run directory behind.
  std::optional<ParentModel> parent;
  if (!opts_.resume) {
    cfg_.Validate();
    (void)resolve_device(cfg_.device);
    if (!cfg_.init_from.empty()) {
      parent = load_parent(cfg_.init_from);
      if (!opts_.model_given) {
        // No model asked for: train the parent's (with this run's training-only settings).
        const TransducerConfig asked = cfg_.model;
        cfg_.model = parent->bundle.config;
        if (!parent->preset.empty()) cfg_.preset = parent->preset;
        cfg_.model.dropout = asked.dropout;
        if (asked.ctc_weight > 0 && cfg_.model.ctc_weight > 0) cfg_.model.ctc_weight = asked.ctc_weight;
        cfg_.Validate();
      }
      check_parent_compatible(*parent, cfg_.model, opts_.model_given ? cfg_.preset : "");
    }
  }
  std::optional<Checkpoint> ckpt;
  fs::path ckpt_path;
  if (!opts_.resume && RunDir::is_run_dir(run_path))
    throw InvalidArgument(run_path.string() +
                          ": already holds a training run; continue it with --resume or choose "
                          "another --run");
  RunDir run = opts_.resume ? RunDir::open(run_path) : RunDir::create(run_path);
  if (opts_.resume) {
    auto latest = load_latest_checkpoint(run);
    if (!latest) throw IoError(run_path, "no complete checkpoint to resume from");
    ckpt_path = latest->first;
    ckpt = std::move(latest->second);
    TrainConfig saved = TrainConfig::from_json(ckpt->config);
    if (opts_.model_given && !(saved.model == cfg_.model))
      throw ConfigError(run_path.string() + ": the run was trained with a different model config (" +
                        saved.model.ToString() + "); resume it without --preset/--config");
    if (opts_.mode_given && saved.mode != cfg_.mode)
      throw ConfigError(run_path.string() + ": the run was trained in mode " + to_string(saved.mode) +
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
  cfg_.Validate();
  configure_threads(cfg_.threads);
  const torch::Device device = resolve_device(cfg_.device);
  torch::manual_seed(cfg_.seed);

  EventLog log(run.events_path());
  auto emit = [&](nlohmann::json ev) {
    const std::string type = ev.at("type");
    const int64_t step = ev.at("step");
    ev.erase("type");
    ev.erase("step");
    log.append(type, step, ev);
    if (opts_.on_event) {
      ev["type"] = type;
      ev["step"] = step;
      ev["time"] = unix_time_now();
      opts_.on_event(ev);
    }
  };

  State st;
  try {
  // --- Data -----------------------------------------------------------------------------------
  CharTokenizer tokenizer;
  FbankConfig fbank;
  auto train_utts = read_librispeech(resolve_subset(cfg_.data, "train"));
  std::vector<Utterance> dev_utts;
  try {
    dev_utts = read_librispeech(resolve_subset(cfg_.data, "dev"));
  } catch (const IoError&) {
    // No dev subset: periodic evaluation is skipped (said in the start event).
  }
  TrainData data(std::move(train_utts), tokenizer, fbank, opts_.progress_bar);
  if (static_cast<int64_t>(dev_utts.size()) > cfg_.eval_utterances) {
    std::mt19937_64 pick(cfg_.seed);
    std::shuffle(dev_utts.begin(), dev_utts.end(), pick);
    dev_utts.resize(static_cast<size_t>(cfg_.eval_utterances));
  }
  EvalSet dev = EvalSet::Load(dev_utts, fbank, /*progress=*/false);

  // --- Model, optimiser, policy ----------------------------------------------------------------
  ModelBundle bundle;
  if (ckpt) {
    bundle = ModelBundle::FromTensors(ckpt->model_meta, ckpt->weights, ckpt_path);
    st.from_json(ckpt->state.at("trainer"));
  } else if (parent) {
    // Weights and feature normalisation of the parent; optimiser, schedule and ranks fresh.
    bundle = ModelBundle::Create(cfg_.model, parent->bundle.stats);
    bundle.load_weights(parent->bundle.weights(), parent->path);
  } else {
    bundle = ModelBundle::Create(cfg_.model, data.compute_stats());
  }
  if (!ckpt) {
    nlohmann::json rj = {{"config", cfg_.to_json()},
                         {"mode", to_string(cfg_.mode)},
                         {"preset", cfg_.preset},
                         {"omnisparse_version", OMNISPARSE_VERSION},
                         {"created", unix_time_now()},
                         {"fingerprint", bundle.fingerprint()},
                         {"parameters", bundle.model->num_parameters()},
                         {"train_utterances", data.size()},
                         {"train_hours", data.total_hours()},
                         {"dev_utterances", dev_utts.size()}};
    if (parent) rj["parent"] = parent->info;
    run.write_run_json(rj);
  }
  // What the parent cost (itself and its ancestors), for the cost figures with the parent.
  const nlohmann::json parent_info = parent_info_of_run(run.read_run_json());
  auto parent_cost = [&](const char* key) -> nlohmann::json {
    return parent_info.is_object() ? parent_info.value(key, nlohmann::json()) : nlohmann::json();
  };
  auto with_parent = [&](nlohmann::json ev) {
    const nlohmann::json pp = parent_cost("total_passes"), pw = parent_cost("total_wall_s");
    if (!parent_info.is_object()) return ev;
    ev["parent_passes"] = pp;
    ev["total_passes"] = pp.is_number() ? nlohmann::json(st.passes + pp.get<int64_t>()) : nlohmann::json();
    ev["total_wall_s"] = pw.is_number() ? nlohmann::json(st.train_s + pw.get<double>()) : nlohmann::json();
    return ev;
  };
  bundle.model->to(device);
  bundle.model->train();
  auto params = named_params(bundle.model);
  std::vector<at::Tensor> plist;
  for (auto& [n, p] : params) plist.push_back(p);
  torch::optim::Adam adam(plist, torch::optim::AdamOptions(cfg_.lr).weight_decay(cfg_.weight_decay));
  const PrunableLayers layers = bundle.model->prunable_layers();
  const LayerSpecs specs = specs_of(layers);
  auto policy = make_policy(cfg_, specs);
  std::mt19937_64 rng(cfg_.seed);
  if (ckpt) {
    // "adam_step" (one count for all) is what checkpoints before per-parameter steps hold.
    restore_adam_state(adam, params, ckpt->optimizer, ckpt->state.value("adam_step", int64_t{0}),
                       ckpt->state.value("adam_steps", std::map<std::string, int64_t>{}),
                       ckpt_path);
    if (policy->mutable_ranks() && !ckpt->ranks.empty())
      *policy->mutable_ranks() = RankSet::Restore(ckpt->ranks_meta, ckpt->ranks);
    policy->restore(ckpt->state.value("policy", nlohmann::json::object()));
    set_mt_state(rng, ckpt->state.value("rng", std::string()));
    if (ckpt->state.contains("torch_seed")) torch::manual_seed(ckpt->state.at("torch_seed").get<uint64_t>());
  }

  if (ckpt && progress_of(cfg_, st) >= 1.0) {
    // Nothing left in the budget: a finished run is left exactly as it is (give a larger
    // --steps/--minutes to continue training it).
    TrainSummary done;
    done.steps = st.step;
    done.passes = st.passes;
    done.wall_s = st.train_s;
    done.finished = true;
    return done;
  }

  emit({{"type", ckpt ? "resume" : "start"},
        {"step", st.step},
        {"mode", to_string(cfg_.mode)},
        {"preset", cfg_.preset},
        {"total_steps", cfg_.steps > 0 ? nlohmann::json(cfg_.steps) : nlohmann::json()},
        {"minutes", cfg_.minutes > 0 ? nlohmann::json(cfg_.minutes) : nlohmann::json()},
        {"device", device.str()},
        {"parameters", bundle.model->num_parameters()},
        {"train_utterances", data.size()},
        {"dev_utterances", dev.size()},
        {"passes", st.passes},
        {"parent", parent_info}});

  auto save = [&]() {
    Checkpoint c;
    bundle.model->to(torch::kCPU);
    c.weights = bundle.weights();
    c.model_meta = bundle.metadata();
    bundle.model->to(device);
    std::map<std::string, int64_t> adam_steps;
    c.optimizer = adam_state_tensors(adam, params, &adam_steps);
    if (const RankSet* r = policy->ranks(); r && !r->empty()) {
      c.ranks = r->tensors();
      c.ranks_meta = r->meta();
    }
    const uint64_t torch_seed = std::uniform_int_distribution<uint64_t>()(rng);
    c.state = {{"trainer", st.to_json()},
               {"adam_steps", adam_steps},
               {"policy", policy->state()},
               {"rng", mt_state(rng)},
               {"torch_seed", torch_seed}};
    torch::manual_seed(torch_seed);  // the same seed a resumed run starts its dropout from
    c.config = cfg_.to_json();
    fs::path path = save_checkpoint(run.checkpoints(), st.step, c);
    emit({{"type", "checkpoint"}, {"step", st.step}, {"path", fs::relative(path, run.path()).string()}});
  };

  nlohmann::json last_eval;
  auto evaluate_now = [&]() {
    if (dev.size() == 0) return;
    bundle.model->eval();
    nlohmann::json results = nlohmann::json::array();
    for (const SubnetConfig& sc : policy->eval_configs(specs)) {
      if (policy->ranks() && !policy->ranks()->empty()) policy->ranks()->apply(layers, sc);
      EvalReport r = evaluate(bundle, dev, EvalOptions{});
      results.push_back({{"sparsity", std::round(sc.mean_level() * 1e4) / 1e4},
                         {"id", sc.id()},
                         {"wer", r.score.words.rate()},
                         {"cer", r.score.chars.rate()},
                         {"rtf", r.rtf}});
    }
    clear_masks(layers);
    bundle.model->train();
    last_eval = {{"type", "eval"}, {"step", st.step}, {"set", "dev"}, {"results", results}};
    emit(last_eval);
  };

  // --- The loop -------------------------------------------------------------------------------
  BatchProducer producer(data, bundle.stats, cfg_, st.epoch, st.batch_index);
  const int64_t bar_total = cfg_.steps > 0 ? cfg_.steps : static_cast<int64_t>(cfg_.minutes * 60);
  Progress bar("train", bar_total, opts_.progress_bar);
  bool stopped = false;
  double window_samples = 0, window_s = 0, loss_sum = 0;
  int64_t loss_n = 0;
  auto loop_clock = std::chrono::steady_clock::now();

  while (progress_of(cfg_, st) < 1.0) {
    if (stop && stop->load()) {
      stopped = true;
      break;
    }
    const double progress = progress_of(cfg_, st);
    const double lr = learning_rate(cfg_, st.step, progress);
    for (auto& group : adam.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

    Batch batch = producer.next();
    std::vector<SubnetConfig> plan = policy->plan(st.step, progress, layers);
    if (auto m = policy->take_mask_event()) {
      nlohmann::json ev = {{"type", "masks"}, {"step", st.step}, {"progress", progress}};
      ev.update(*m);
      emit(ev);
    }
    adam.zero_grad();
    double step_loss = 0;
    const bool ctc_only = progress < cfg_.ctc_warmup;
    const double distill = cfg_.mode == TrainMode::Omni ? cfg_.omni.distill_weight : 0.0;
    torch::Tensor teacher;  // [T', B, V] the dense member's CTC log-probabilities, detached
    for (const SubnetConfig& sc : plan) {
      const bool distill_this = distill > 0 && !sc.is_dense();
      if (distill_this && !teacher.defined()) {
        teacher = teacher_log_probs(bundle.model, batch, device, layers);
        ++st.passes;  // a forward-only pass, counted like any other
        ++st.teacher_passes;
      }
      if (sc.is_dense()) clear_masks(layers);
      else policy->ranks()->apply(layers, sc);
      BatchLoss parts = batch_loss(bundle.model, batch, device, ctc_only, distill > 0);
      torch::Tensor loss = parts.loss;
      if (!std::isfinite(loss.item<double>()))
        throw Error(fmt::format("training diverged at step {}: loss is {} (lower --lr?)", st.step,
                                loss.item<double>()));
      if (distill > 0 && sc.is_dense()) teacher = parts.ctc_lp.detach();
      if (distill_this) loss = loss + distill * ctc_distill_kl(parts.ctc_lp, teacher, parts.ctc_lens);
      (loss / static_cast<double>(plan.size())).backward();
      step_loss += loss.item<double>() / plan.size();
      ++st.passes;
    }
    clear_masks(layers);
    torch::nn::utils::clip_grad_norm_(plist, cfg_.grad_clip);
    adam.step();
    policy->after_step(layers);

    auto t = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t - loop_clock).count();
    loop_clock = t;
    st.train_s += dt;
    ++st.step;
    st.samples += batch.num_utts();
    st.epoch = batch.epoch;
    st.batch_index = batch.index + 1;
    window_samples += batch.num_utts();
    window_s += dt;
    loss_sum += step_loss;
    ++loss_n;

    const double p = progress_of(cfg_, st);
    bar.set(cfg_.steps > 0 ? st.step : static_cast<int64_t>(st.train_s),
            fmt::format("loss {:.3f}", step_loss));
    if (st.step % cfg_.log_every == 0 || p >= 1.0) {
      std::vector<double> sp;
      for (auto& sc : plan) sp.push_back(std::round(sc.mean_level() * 1e4) / 1e4);
      const double elapsed = st.train_s;
      emit(with_parent({{"type", "step"},
            {"step", st.step},
            {"loss", loss_sum / loss_n},
            {"lr", lr},
            {"samples_per_s", window_s > 0 ? window_samples / window_s : 0.0},
            {"sparsities", sp},
            {"progress", p},
            {"passes", st.passes},
            {"teacher_passes", st.teacher_passes},
            {"epoch", st.epoch},
            {"elapsed_s", elapsed},
            {"eta_s", p > 0 ? nlohmann::json(elapsed * (1 - p) / p) : nlohmann::json()}}));
      window_samples = window_s = loss_sum = 0;
      loss_n = 0;
    }
    if (st.step % cfg_.eval_every == 0 && p < 1.0) {
      evaluate_now();
      loop_clock = std::chrono::steady_clock::now();  // evaluation time is not training time
    }
    if (st.step % cfg_.checkpoint_every == 0 && p < 1.0) {
      save();
      loop_clock = std::chrono::steady_clock::now();
    }
  }
  bar.finish(stopped ? "stopped" : "done");

  TrainSummary sum;
  if (!stopped) {
    policy->finish(layers);
    evaluate_now();
  }
  save();
  sum.steps = st.step;
  sum.passes = st.passes;
  sum.wall_s = st.train_s;
  sum.finished = !stopped;
  sum.last_eval = last_eval;
  sum.parent_passes = parent_cost("total_passes").is_number() ? parent_cost("total_passes").get<int64_t>() : 0;
  sum.parent_wall_s = parent_cost("total_wall_s").is_number() ? parent_cost("total_wall_s").get<double>() : 0.0;
  emit(with_parent({{"type", stopped ? "stopped" : "done"},
                    {"step", st.step},
                    {"passes", st.passes},
                    {"teacher_passes", st.teacher_passes},
                    {"wall_s", st.train_s},
                    {"parent_wall_s", parent_cost("total_wall_s")},
                    {"session_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count()},
                    {"samples", st.samples}}));
  return sum;
  } catch (const std::exception& e) {
    // The run stays resumable from its last checkpoint; the monitor shows why it stopped.
    try {
      emit({{"type", "error"}, {"step", st.step}, {"message", e.what()}});
    } catch (...) {
    }
    throw;
  }
}

}  // namespace omnisparse
