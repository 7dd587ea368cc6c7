// omnisparse demo: the main job end to end on a built-in corpus (the README's first command):
// synthesise the corpus, train a dense model, fine-tune an omni supernet from it (the recipe of
// experiments/omni_vs_individual), sweep the supernet's ladder and search per-layer configs on
// dev, prune the dense phase one-shot at the same levels, write results.h5 and the front plot,
// print every ladder member and the front beside the one-shot floor.
//
//   DIR/corpus/     the synthetic corpus (skipped when DIR/corpus/corpus.json exists)
//   DIR/dense/      the dense phase's run directory (its results.h5 holds the one-shot rows)
//   DIR/run/        the supernet (train --init-from DIR/dense); the workbench opens it
//   DIR/front.png   the Pareto plot (not in a headless build)
//
// Every stage calls the same core code as its own command (synth, train, pareto); nothing is
// spawned. Ctrl-C during training stops at the next step with a checkpoint; running the demo
// again resumes. Full: 3000 `commands` utterances, 10 + 5 training minutes (~17 min in all on 2
// cores); --quick: 600 `digits` utterances, 2.8 + 1.4 minutes (~4.5 minutes in all).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/pareto_report.h"
#include "app/cli/workers.h"
#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/stream/stream_timing.h"
#include "core/data/synth_corpus.h"
#include "core/io/event_log.h"
#include "core/io/results_store.h"
#include "core/io/run_cost.h"
#include "core/dist/world.h"
#include "core/io/run_dir.h"
#include "core/tensor/device.h"
#include "core/train/trainer.h"

namespace omnisparse::cli {

namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_demo_stop{false};
extern "C" void on_demo_signal(int) { g_demo_stop = true; }

struct DemoArgs {
  std::string out = "omnisparse-demo";
  bool quick = false;
  double minutes = -1;
  int64_t seed = 1;
  std::string config_file;  // training config JSON (train --config)
};

void say(const std::string& line) {
  if (!globals().json) std::fprintf(stderr, "demo: %s\n", line.c_str());
}

// The run finished when its last start/resume/stopped/done event is "done".
bool run_finished(const RunDir& run) {
  std::string last;
  for (const auto& ev : read_events(run.events_path()).events) {
    const std::string t = ev.value("type", "");
    if (t == "start" || t == "resume" || t == "stopped" || t == "done") last = t;
  }
  return last == "done";
}

void synth_stage(const DemoArgs& a, const fs::path& corpus) {
  if (fs::exists(corpus / "corpus.json")) {
    say("corpus: reusing " + corpus.string());
    return;
  }
#ifdef OMNISPARSE_NO_SYNTH
  (void)a;  // a corpus made elsewhere (DIR/corpus/corpus.json) is reused above
  throw Error(kNoSynthesizers);
#else
  SynthConfig s;
  s.out = corpus.string();
  s.utterances = a.quick ? 600 : 3000;
  s.domain = a.quick ? "digits" : "commands";
  s.seed = static_cast<uint64_t>(a.seed);
  s.overwrite = fs::exists(corpus);  // an interrupted synthesis leaves no corpus.json
  say(fmt::format("corpus: synthesising {} utterances into {}", s.utterances, corpus.string()));
  SynthSummary sum = synthesize_corpus(s, !globals().quiet && !globals().json);
  say(fmt::format("corpus: {:.2f} h of audio in {:.0f} s", sum.audio_s / 3600, sum.wall_s));
#endif
}

// The two phases' budgets in training minutes (the whole --minutes split 2:1).
struct Phases {
  double dense, omni;
};
Phases phases(const DemoArgs& a) {
  const double total = a.minutes > 0 ? a.minutes : (a.quick ? 4.2 : 15);
  return {total * 2 / 3, total / 3};
}

// One worker: the trainer in this process.
TrainSummary train_here(const TrainConfig& cfg, bool resume) {
  TrainerOptions opts;
  opts.resume = resume;
  opts.model_given = true;
  opts.progress_bar = !globals().quiet && !globals().json;
  return Trainer(cfg, opts).run(&g_demo_stop);
}

// Several: `omnisparse train` once per worker on the phase's config (written beside the run as
// RUN.config.json), exactly what `train --workers N --config RUN.config.json` does.
TrainSummary train_on_workers(const TrainConfig& cfg, bool resume, const Layout& layout) {
  const fs::path run(cfg.run);
  const fs::path config = run.parent_path() / (run.filename().string() + ".config.json");
  write_file_atomic(config, cfg.to_json().dump(2) + "\n");
  std::vector<std::string> args;
  if (globals().quiet || globals().json) args.push_back("-q");
  for (const std::string& x : {std::string("train"), std::string("--data"), cfg.data,
                               std::string("--run"), cfg.run, std::string("--config"), config.string()})
    args.push_back(x);
  if (resume) args.push_back("--resume");
  const LaunchResult r = launch_self(layout, JobPlacement{}, &g_demo_stop, &args);
  if (!r.ok())
    throw DistError(r.message + "; the other workers were stopped (run the demo again to resume)");
  const RunCost c = read_run_cost(RunDir::open(run));
  TrainSummary s;
  s.steps = c.steps;
  s.passes = c.passes;
  s.wall_s = c.wall_s;
  s.finished = c.finished;
  s.parent_passes = c.parent_passes.value_or(0);
  s.parent_wall_s = c.parent_wall_s.value_or(0.0);
  return s;
}

// Returns false when training was interrupted (the run stays resumable).
bool train_phase(const DemoArgs& a, TrainConfig cfg, const fs::path& run_path,
                 const std::string& what) {
  bool resume = false;
  if (RunDir::is_run_dir(run_path)) {
    const RunDir run = RunDir::open(run_path);
    if (run_finished(run)) {
      say("train: reusing the finished " + what + " " + run_path.string());
      return true;
    }
    if (run.latest_checkpoint()) {
      resume = true;
    } else {
      // Killed before its first checkpoint: nothing to keep, start over.
      fs::remove_all(run_path);
    }
  }
  cfg.run = run_path.string();
  cfg.seed = static_cast<uint64_t>(a.seed);
  // The workers the machine has, except in the quick demo: on its digits, one worker ended with a
  // better dense member (15-31 % dev WER over three runs) than two (33 and 51 % over two runs),
  // though per step the two train the same (not understood yet).
  Layout layout = choose_layout(a.quick ? "1" : "auto", cfg.device, JobPlacement{});
  if (a.quick) {
    layout.threads = globals().threads_given() ? globals().threads : 1;
    layout.why = "the quick demo trains with one";
  }
  cfg.threads = layout.threads;
  cfg.Validate();
  say(fmt::format("train: {} {} ({} preset) for {:.1f} minutes into {}; {}",
                  resume ? "resuming the" : "a new", what, cfg.preset, cfg.minutes,
                  run_path.string(), layout.ToString()));
  say("train: " + cfg.ToString());
  std::signal(SIGINT, on_demo_signal);
  std::signal(SIGTERM, on_demo_signal);
  const TrainSummary s = layout.workers > 1 ? train_on_workers(cfg, resume, layout)
                                            : train_here(cfg, resume);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  say(fmt::format("train: {} steps, {} forward+backward passes, {:.0f} s of training{}", s.steps,
                  s.passes, s.wall_s,
                  s.parent_passes > 0 ? fmt::format(" ({} passes, {:.0f} s with the dense phase)",
                                                    s.passes + s.parent_passes,
                                                    s.wall_s + s.parent_wall_s)
                                      : std::string()));
  return s.finished;
}

// The demo's training settings: the user's --config, else the defaults (core/train/
// train_config.h: what made the tiny model learn the commands corpus), with the evaluation
// cadence scaled to the run.
TrainConfig base_config(const DemoArgs& a, const fs::path& corpus) {
  TrainConfig cfg;
  if (!a.config_file.empty()) {
    cfg = TrainConfig::from_file(a.config_file);
  } else {
    cfg.checkpoint_every = a.quick ? 100 : 200;
    cfg.eval_every = a.quick ? 200 : 400;
    cfg.eval_utterances = a.quick ? 40 : 100;
    if (a.quick) {
      // Half-size batches and a shorter CTC-only phase: more transducer updates in the quick
      // demo's 4 minutes. Measured on the digits corpus (dev WER of the dense member): 61 %
      // with the default batches; 15-31 % over two runs with these batches and ctc_warmup 0.4;
      // 24 % with 0.25 while a second demo shared the two cores.
      cfg.max_frames_per_batch = 3000;
      cfg.max_batch = 16;
      cfg.ctc_warmup = 0.25;  // the dense phase's; the supernet phase has none
    }
  }
  cfg.data = corpus.string();
  cfg.steps = 0;
  return cfg;
}

// Phase 1: dense. Phase 2: the supernet fine-tuned from it (experiments/omni_vs_individual):
// one member per step (dense 20 %, else a uniform ladder level), the sparse members pruned
// gradually over the first half (follow_ramp), masks frozen half-way, a
// fine-tune's short warm-up and no CTC-only phase (the parent's encoder is trained).
bool train_stage(const DemoArgs& a, const fs::path& corpus, const fs::path& dense_run,
                 const fs::path& omni_run) {
  const Phases ph = phases(a);
  TrainConfig dense = base_config(a, corpus);
  dense.mode = TrainMode::Dense;
  dense.minutes = ph.dense;
  if (!train_phase(a, dense, dense_run, "dense phase")) return false;

  TrainConfig omni = base_config(a, corpus);
  omni.mode = TrainMode::Omni;
  omni.minutes = ph.omni;
  omni.init_from = dense_run.string();
  nlohmann::json given = nlohmann::json::object();
  if (!a.config_file.empty()) TrainConfig::from_file(a.config_file, &given);
  omni.apply_fine_tune_defaults(given);
  return train_phase(a, omni, omni_run, "omni supernet from the dense phase");
}

// The one-shot floor: the dense phase pruned by magnitude at the supernet's levels, scored on
// the same dev utterances, into the dense run's results.h5.
ParetoJobReport oneshot_stage(const fs::path& corpus, const fs::path& dense_run,
                              const std::vector<double>& levels) {
  ParetoJobConfig p;
  p.run = dense_run;
  p.data = corpus;
  p.set = "dev";
  p.oneshot = true;
  p.levels = levels;
  p.progress = !globals().quiet && !globals().json;
  say("one-shot: pruning the dense phase at the same levels (no retraining), for comparison");
  return run_pareto_job(p);
}

// The dense phase pruned one-shot to the same non-zero size or the next larger one: every row
// of its results.h5 scored on the set, not only its front.
std::optional<SubnetResult> oneshot_at(const ParetoJobReport& oneshot, const SubnetResult& s) {
  std::optional<SubnetResult> best;
  const ResultsStore store = ResultsStore::open_read_only(oneshot.results);
  for (const SubnetResult& r : store.all()) {
    if (!r.evals.count(oneshot.set)) continue;
    if (r.nonzero_params >= s.nonzero_params &&
        (!best || r.nonzero_params < best->nonzero_params))
      best = r;
  }
  return best;
}

// What the demo compares with the one-shot floor: every uniform member of the ladder (dense
// first, on the front or not) and every other front point, largest first.
std::vector<SubnetResult> comparison_rows(const ParetoJobReport& r) {
  std::vector<SubnetResult> rows;
  const ResultsStore store = ResultsStore::open_read_only(r.results);
  for (const SubnetResult& s : store.all()) {
    if (!s.evals.count(r.set)) continue;
    const bool on_front = std::any_of(r.front.begin(), r.front.end(),
                                      [&](const SubnetResult& f) { return f.id == s.id; });
    if (s.source == "sweep" || on_front) {
      rows.push_back(s);
      rows.back().pareto = on_front;
    }
  }
  std::sort(rows.begin(), rows.end(), [](const SubnetResult& x, const SubnetResult& y) {
    return x.nonzero_params > y.nonzero_params;
  });
  return rows;
}

void run_demo(const DemoArgs& a) {
  configure_threads(globals().threads);
  const fs::path dir = a.out;
  fs::create_directories(dir);
  const fs::path corpus = dir / "corpus", dense = dir / "dense", run = dir / "run";

  synth_stage(a, corpus);
  if (!train_stage(a, corpus, dense, run)) {
    say("stopped; run `omnisparse demo" + std::string(a.quick ? " --quick" : "") + " --out " +
        dir.string() + "` again to resume");
    return;
  }

  ParetoJobConfig p;
  p.run = run;
  p.data = corpus;
  p.set = "dev";
  p.budgets = {"0.3"};
  p.evo.population = a.quick ? 6 : 8;
  p.evo.generations = a.quick ? 2 : 3;
  p.evo.seed = static_cast<uint64_t>(a.seed);
  p.subset = a.quick ? 0 : 100;  // quick: dev has ~60 utterances, use them all
  p.progress = !globals().quiet && !globals().json;
  p.stream_timing = time_subnet_streaming;
  say("pareto: sweeping the ladder and searching per-layer configs under 30 % of dense nnz");
  const ParetoJobReport r = run_pareto_job(p);
  const ParetoJobReport floor =
      oneshot_stage(corpus, dense, base_config(a, corpus).omni.ladder);

  const fs::path plot = dir / "front.png";
  bool plotted = false;
#ifdef OMNISPARSE_WITH_QT
  render_front_plot(r, plot, {floor});
  plotted = true;
#endif
  if (globals().json) {
    nlohmann::json j = report_json(r);
    j["corpus"] = corpus.string();
    j["run"] = run.string();
    j["dense_run"] = dense.string();
    nlohmann::json cmp = nlohmann::json::array();
    for (const SubnetResult& s : comparison_rows(r)) {
      auto o = oneshot_at(floor, s);
      cmp.push_back({{"id", s.id},
                     {"label", s.label},
                     {"nonzero_params", s.nonzero_params},
                     {"on_front", s.pareto},
                     {"wer", s.evals.at(r.set).wer},
                     {"oneshot_wer", o ? nlohmann::json(o->evals.at(floor.set).wer) : nlohmann::json()},
                     {"oneshot_nonzero_params", o ? nlohmann::json(o->nonzero_params) : nlohmann::json()}});
    }
    j["oneshot_comparison"] = cmp;
    if (plotted) j["plot"] = plot.string();
    std::cout << j.dump() << "\n";
    return;
  }
  print_front_table(std::cout, r);
  std::cout << fmt::format("\nThe supernet's members against the dense phase pruned one-shot (no "
                           "retraining) on the same {} utterances (* = on the front):\n", r.set);
  std::cout << fmt::format("{:<30} {:>9} {:>12} {:>16}\n", "sub-network", "nnz", "supernet WER",
                           "one-shot WER");
  for (const SubnetResult& s : comparison_rows(r)) {
    auto o = oneshot_at(floor, s);
    std::string label = (s.pareto ? "* " : "  ") + s.label;
    if (label.size() > 30) label = label.substr(0, 29) + "~";
    std::cout << fmt::format("{:<30} {:>9} {:>11.1f}% {:>16}\n", label, s.nonzero_params,
                             100 * s.evals.at(r.set).wer,
                             o ? fmt::format("{:.1f}% ({})", 100 * o->evals.at(floor.set).wer,
                                             o->nonzero_params)
                               : std::string("-"));
  }
  if (plotted) std::cout << "plot: " << plot.string() << "\n";
  std::cout << "open it in the workbench: omnisparse-workbench " << run.string() << " "
            << dense.string() << "\n";
}

}  // namespace

static void demo_command(CLI::App& root) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* c = root.add_subcommand(
      "demo", "The main job end to end: synthesise a corpus, train a supernet, sweep and search "
              "its sub-networks, plot the Pareto front");
  c->add_option("--out", a->out, "Directory for the corpus, the run and the plot")
      ->capture_default_str();
  c->add_flag("--quick", a->quick,
              "Under 5 minutes: 600 utterances of digit strings, 4.2 training minutes");
  c->add_option("--minutes", a->minutes,
                "Training minutes, two thirds dense and one third supernet (default 15, --quick "
                "4.2)");
  c->add_option("--config", a->config_file,
                "Training config JSON as for `train --config`, for both phases (mode, data, run, "
                "parent and minutes are the demo's)");
  c->add_option("--seed", a->seed, "Seed for the corpus, training and search")->capture_default_str();
  c->callback([a] { run_demo(*a); });
}
OMNISPARSE_COMMAND(90, demo_command);

}  // namespace omnisparse::cli
