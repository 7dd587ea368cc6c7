// omnisparse train: dense, omni (supernet) or gmp (baseline) training into a run directory.
#include <torch/cuda.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/workers.h"
#include "core/common/error.h"
#include "core/dist/launcher.h"
#include "core/dist/world.h"
#include "core/io/event_log.h"
#include "core/io/run_dir.h"
#include "core/tensor/device.h"
#include "core/train/trainer.h"

namespace omnisparse::cli {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct TrainArgs {
  std::string data, run, config_file, preset, mode, device, init_from, distribution, predictor;
  double target_sparsity = -1, minutes = -1, freeze_at = -1, distill = -1, p_dense = -1,
         shared_grad = -1, ramp_end = -1;
  int members = -1;
  int follow_ramp = -1;  // -1: the config's; 0 / 1: --no-follow-ramp / --follow-ramp
  std::string workers = "auto", master;
  int nnodes = 1, node_rank = 0;
  int64_t steps = -1, checkpoint_every = -1, eval_every = -1;
  bool resume = false;
  int64_t seed = -1;
};

// The training config of the flags and --config; *names_model: the config file chose a model.
TrainConfig config_of(const TrainArgs& a, bool* names_model) {
  TrainConfig cfg;
  nlohmann::json j = nlohmann::json::object();
  if (!a.config_file.empty()) cfg = TrainConfig::from_file(a.config_file, &j);
  const bool config_names_model = j.is_object() && (j.contains("preset") || j.contains("model"));
  cfg.data = a.data;
  cfg.run = a.run;
  if (!a.preset.empty()) {
    cfg.preset = a.preset;
    cfg.model = TrainConfig::preset_config(a.preset);
  }
  if (!a.predictor.empty()) cfg.model.predictor = a.predictor;
  if (!a.mode.empty()) cfg.mode = parse_train_mode(a.mode);
  if (a.target_sparsity >= 0) cfg.gmp.target_sparsity = a.target_sparsity;
  if (!a.init_from.empty()) cfg.init_from = a.init_from;
  if (!a.resume && !cfg.init_from.empty()) cfg.apply_fine_tune_defaults(j);
  if (a.members >= 0) cfg.omni.members_per_step = a.members;
  if (!a.distribution.empty()) cfg.omni.distribution = a.distribution;
  if (a.p_dense >= 0) cfg.omni.p_dense = a.p_dense;
  if (a.freeze_at >= 0) cfg.omni.freeze_at = a.freeze_at;
  if (a.distill >= 0) cfg.omni.distill_weight = a.distill;
  if (a.shared_grad >= 0) cfg.omni.shared_grad = a.shared_grad;
  if (a.ramp_end >= 0) cfg.omni.ramp_end = a.ramp_end;
  if (a.follow_ramp >= 0) cfg.omni.follow_ramp = a.follow_ramp == 1;
  if (a.steps >= 0) cfg.steps = a.steps;
  if (a.minutes >= 0) cfg.minutes = a.minutes;
  if (a.steps >= 0 && a.minutes < 0) cfg.minutes = 0;
  if (a.minutes >= 0 && a.steps < 0) cfg.steps = 0;
  if (a.checkpoint_every > 0) cfg.checkpoint_every = a.checkpoint_every;
  if (a.eval_every > 0) cfg.eval_every = a.eval_every;
  if (!a.device.empty()) cfg.device = a.device;
  if (a.seed >= 0) cfg.seed = static_cast<uint64_t>(a.seed);
  cfg.threads = globals().threads;
  // A resumed run keeps its saved budget unless --steps/--minutes change it.
  if (!a.resume) {
    if (cfg.steps == 0 && cfg.minutes == 0) cfg.steps = 2000;
    cfg.Validate();
  }
  *names_model = config_names_model;
  return cfg;
}

void launch(const TrainArgs& a, const Layout& layout) {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  LaunchResult r = launch_self(layout, JobPlacement{a.nnodes, a.node_rank, a.master}, &g_stop);
  if (r.ok()) return;
  const std::string msg = r.message + "; the other workers were stopped";
  // The monitor (and a later reader of the run) sees why the run ended.
  try {
    if (RunDir::is_run_dir(a.run)) {
      const RunDir run = RunDir::open(a.run);
      const auto logged = read_events(run.events_path()).events;
      EventLog log(run.events_path());
      log.append("error", logged.empty() ? 0 : logged.back().value("step", int64_t{0}),
                 {{"message", msg}, {"failed_rank", r.failed_rank}});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train: could not record the error in %s: %s\n", a.run.c_str(), e.what());
  }
  throw DistError(msg + "; continue with --resume (any number of workers)");
}

TrainerOptions trainer_options(const TrainArgs& a, bool config_names_model, World* world) {
  TrainerOptions opts;
  opts.world = world;
  opts.resume = a.resume;
  opts.model_given = !a.preset.empty() || !a.predictor.empty() || config_names_model;
  opts.mode_given = !a.mode.empty();
  opts.progress_bar = !globals().quiet && !globals().json && (!world || world->is_root());
  if (globals().json) {
    opts.on_event = [](const nlohmann::json& ev) {
      std::cout << ev.dump() << "\n" << std::flush;
    };
  }
  return opts;
}

void run_train(const TrainArgs& a) {
  bool config_names_model = false;
  TrainConfig cfg = config_of(a, &config_names_model);
  const WorkerEnv env = WorkerEnv::FromEnvironment();
  const bool is_worker = is_worker_process();
  if (!is_worker) {
    const Layout layout = choose_layout(a.workers, cfg.device, JobPlacement{a.nnodes, a.node_rank, a.master});
    // Bad configs, parents and run directories are one line, before any worker starts.
    Trainer(cfg, trainer_options(a, config_names_model, nullptr)).check(/*run_dir=*/a.node_rank == 0);
    if (!globals().json) {
      if (!a.resume) std::fprintf(stderr, "train: %s\n", cfg.ToString().c_str());
      std::fprintf(stderr, "train: %s\n", layout.ToString().c_str());
    }
    if (layout.workers * a.nnodes > 1) return launch(a, layout);
    cfg.threads = layout.threads;
  } else if (cfg.device.rfind("cuda", 0) == 0 || (cfg.device == "auto" && cuda_available())) {
    cfg.device = "cuda:" + std::to_string(env.local_rank);  // one GPU per worker
  }
  std::unique_ptr<World> world;
  if (is_worker) {
    configure_threads(cfg.threads);
    world = World::Join(env, resolve_device(cfg.device));
  }

  const TrainerOptions opts = trainer_options(a, config_names_model, world.get());
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  Trainer trainer(cfg, opts);
  TrainSummary s = trainer.run(&g_stop);
  if (!globals().json && (!world || world->is_root())) {
    std::fprintf(stderr, "train: %s after %lld steps, %lld passes, %.0f s of training%s\n",
                 s.finished ? "finished" : "stopped (resume with --resume)",
                 static_cast<long long>(s.steps), static_cast<long long>(s.passes), s.wall_s,
                 s.parent_passes > 0
                     ? fmt::format(" ({} passes, {:.0f} s with the parent)",
                                   s.passes + s.parent_passes, s.wall_s + s.parent_wall_s)
                           .c_str()
                     : "");
  }
}

}  // namespace

static void train_command(CLI::App& root) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* c = root.add_subcommand("train", "Train a model (dense), a supernet (omni) or a pruned baseline (gmp)");
  c->add_option("--data", a->data, "Corpus root with train/ and dev/ (LibriSpeech layout)")->required();
  c->add_option("--run", a->run, "Run directory to create (or resume)")->required();
  c->add_option("--config", a->config_file, "Training config JSON (flags override it)");
  c->add_option("--preset", a->preset, "Model preset: tiny, small, medium (default tiny)");
  c->add_option("--predictor", a->predictor,
                "lstm (default) or stateless (the last model.context_size tokens, as sherpa-onnx "
                "runs it: needed for export --format sherpa-onnx)")
      ->check(CLI::IsMember({"lstm", "stateless"}));
  c->add_option("--mode", a->mode, "dense | omni | gmp (default omni)");
  c->add_option("--target-sparsity", a->target_sparsity, "gmp: the target sparsity (default 0.8)");
  c->add_option("--init-from", a->init_from,
                "Start from a trained run, checkpoint or exported model: weights only, its cost "
                "counted; a fine-tune's lr 1e-3, 30 warm-up steps and no CTC-only phase unless "
                "the config sets them");
  c->add_option("--members", a->members, "omni: members per step, k >= 1 (default 1)");
  c->add_option("--distribution", a->distribution,
                "omni: member rule sandwich | levels | space (default levels)");
  c->add_option("--p-dense", a->p_dense, "omni: probability a member is the dense one (default 0.2)");
  c->add_option("--ramp-end", a->ramp_end,
                "omni: progress at which the largest sparsity reaches the ladder's top (default "
                "0.2)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag_function(
      "--follow-ramp,!--no-follow-ramp", [a](int64_t n) { a->follow_ramp = n > 0 ? 1 : 0; },
      "omni: levels above the ramp train at the ramp's sparsity (gradual pruning, as gmp) "
      "instead of waiting for it");
  c->add_option("--freeze-at", a->freeze_at,
                "omni: progress after which the masks never change (default 0.5)");
  c->add_option("--distill", a->distill,
                "omni: weight of distillation from the dense member's CTC posteriors (default 0)");
  c->add_option("--shared-grad", a->shared_grad,
                "omni: after the freeze point, factor on a member's gradient into the weights "
                "the next sparser level also keeps (default 1; 0: each member trains only its "
                "own ring)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--steps", a->steps, "Optimiser steps for the whole run (default 2000)")
      ->check(CLI::PositiveNumber);
  c->add_option("--minutes", a->minutes, "Training minutes for the whole run (instead of --steps)")
      ->check(CLI::PositiveNumber);
  c->add_option("--workers", a->workers,
                "Data-parallel worker processes on this machine: N or auto (default: one per "
                "core on CPU, at most 8; one per GPU; $OMNISPARSE_WORKERS)");
  c->add_option("--nnodes", a->nnodes, "Machines in the job (each runs this command, default 1)");
  c->add_option("--node-rank", a->node_rank, "This machine's index in the job, 0..nnodes-1");
  c->add_option("--master", a->master,
                "HOST:PORT of node 0's rendezvous store (default: a free local port; needed "
                "with --nnodes > 1)");
  c->add_option("--checkpoint-every", a->checkpoint_every, "Steps between checkpoints (default 200)");
  c->add_option("--eval-every", a->eval_every, "Steps between dev evaluations (default 200)");
  c->add_option("--device", a->device, "auto | cpu | cuda | cuda:N (default auto)");
  c->add_option("--seed", a->seed, "Random seed (default 1)");
  c->add_flag("--resume", a->resume, "Continue the run in --run from its last complete checkpoint");
  c->callback([a] { run_train(*a); });
}
OMNISPARSE_COMMAND(30, train_command);

}  // namespace omnisparse::cli
