// omnisparse demo: the main job end to end on the built-in commands corpus (the README's first
// command): synthesise the corpus, train an omni supernet on the tiny preset, sweep its ladder and
// search per-layer configs on dev, write RUN/results.h5 and the front plot, print the front.
//
//   DIR/corpus/     the synthetic corpus (skipped when DIR/corpus/corpus.json exists)
//   DIR/run/        the run directory (resumed when unfinished; the workbench opens it)
//   DIR/front.png   the Pareto plot (not in a headless build)
//
// Every stage calls the same core code as its own command (synth, train, pareto); nothing is
// spawned. Ctrl-C during training stops at the next step with a checkpoint; running the demo
// again resumes. Full: 3000 utterances, 15 training minutes (~20 min on 2 cores); --quick: 600
// utterances, 3 minutes (a few minutes in all).
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/pareto_report.h"
#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/stream/stream_timing.h"
#include "core/data/synth_corpus.h"
#include "core/io/event_log.h"
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
  SynthConfig s;
  s.out = corpus.string();
  s.utterances = a.quick ? 600 : 3000;
  s.domain = "commands";
  s.seed = static_cast<uint64_t>(a.seed);
  s.overwrite = fs::exists(corpus);  // an interrupted synthesis leaves no corpus.json
  say(fmt::format("corpus: synthesising {} utterances into {}", s.utterances, corpus.string()));
  SynthSummary sum = synthesize_corpus(s, !globals().quiet && !globals().json);
  say(fmt::format("corpus: {:.2f} h of audio in {:.0f} s", sum.audio_s / 3600, sum.wall_s));
}

// Returns false when training was interrupted (the run stays resumable).
bool train_stage(const DemoArgs& a, const fs::path& corpus, const fs::path& run_path) {
  bool resume = false;
  if (RunDir::is_run_dir(run_path)) {
    const RunDir run = RunDir::open(run_path);
    if (run_finished(run)) {
      say("train: reusing the finished run " + run_path.string());
      return true;
    }
    if (run.latest_checkpoint()) {
      resume = true;
    } else {
      // Killed before its first checkpoint: nothing to keep, start over.
      fs::remove_all(run_path);
    }
  }
  TrainConfig cfg;
  if (!a.config_file.empty()) {
    try {
      cfg = TrainConfig::from_json(nlohmann::json::parse(read_file(a.config_file)));
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(a.config_file, std::string("not valid JSON: ") + e.what());
    } catch (const ConfigError& e) {
      throw ConfigError(a.config_file + ": " + e.what());
    }
  }
  cfg.data = corpus.string();
  cfg.run = run_path.string();
  if (a.config_file.empty()) {
    cfg.preset = "tiny";
    cfg.model = TrainConfig::preset_config("tiny");
    // What made the tiny transducer learn the commands corpus in minutes on 2 CPU cores
    // (experiments/learning_curve/README.md): an auxiliary CTC head at 20 ms carrying half the
    // loss, so the encoder learns acoustics before the predictor's language model takes over,
    // and small batches at a higher peak learning rate for more updates per minute. The first
    // quarter of the time trains the encoder on CTC alone: without that warm-up the transducer
    // learned to guess the first word at frame 0 from its prior and decoded the wrong sentence.
    cfg.ctc_warmup = 0.25;
    cfg.model.ctc_weight = 0.5;
    cfg.model.ctc_upsample = 2;
    cfg.lr = 3e-3;
    cfg.lr_warmup_steps = 60;
    cfg.max_frames_per_batch = 6000;
    cfg.max_batch = 32;
  }
  cfg.mode = TrainMode::Omni;
  cfg.steps = 0;
  cfg.minutes = a.minutes > 0 ? a.minutes : (a.quick ? 3 : 15);
  if (a.config_file.empty()) {
    cfg.checkpoint_every = a.quick ? 50 : 100;
    cfg.eval_every = a.quick ? 100 : 200;
    cfg.eval_utterances = a.quick ? 40 : 100;
  }
  cfg.seed = static_cast<uint64_t>(a.seed);
  cfg.threads = globals().threads;
  cfg.Validate();
  say(fmt::format("train: {} omni supernet ({} preset) for {} minutes into {}",
                  resume ? "resuming the" : "a new", cfg.preset, cfg.minutes, run_path.string()));
  TrainerOptions opts;
  opts.resume = resume;
  opts.progress_bar = !globals().quiet && !globals().json;
  std::signal(SIGINT, on_demo_signal);
  std::signal(SIGTERM, on_demo_signal);
  TrainSummary s = Trainer(cfg, opts).run(&g_demo_stop);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  say(fmt::format("train: {} steps, {} forward+backward passes, {:.0f} s of training", s.steps,
                  s.passes, s.wall_s));
  return s.finished;
}

void run_demo(const DemoArgs& a) {
  configure_threads(globals().threads);
  const fs::path dir = a.out;
  fs::create_directories(dir);
  const fs::path corpus = dir / "corpus", run = dir / "run";

  synth_stage(a, corpus);
  if (!train_stage(a, corpus, run)) {
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

  const fs::path plot = dir / "front.png";
  bool plotted = false;
#ifdef OMNISPARSE_WITH_QT
  render_front_plot(r, plot);
  plotted = true;
#endif
  if (globals().json) {
    nlohmann::json j = report_json(r);
    j["corpus"] = corpus.string();
    j["run"] = run.string();
    if (plotted) j["plot"] = plot.string();
    std::cout << j.dump() << "\n";
    return;
  }
  print_front_table(std::cout, r);
  if (plotted) std::cout << "plot: " << plot.string() << "\n";
  std::cout << "open it in the workbench: omnisparse-workbench " << run.string() << "\n";
}

}  // namespace

static void demo_command(CLI::App& root) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* c = root.add_subcommand(
      "demo", "The main job end to end: synthesise a corpus, train a supernet, sweep and search "
              "its sub-networks, plot the Pareto front");
  c->add_option("--out", a->out, "Directory for the corpus, the run and the plot")
      ->capture_default_str();
  c->add_flag("--quick", a->quick, "A few minutes: 600 utterances, 3 training minutes");
  c->add_option("--minutes", a->minutes, "Training minutes (default 15, --quick 3)");
  c->add_option("--config", a->config_file,
                "Training config JSON as for `train --config` (mode, data, run and minutes are "
                "the demo's)");
  c->add_option("--seed", a->seed, "Seed for the corpus, training and search")->capture_default_str();
  c->callback([a] { run_demo(*a); });
}
OMNISPARSE_COMMAND(90, demo_command);

}  // namespace omnisparse::cli
