// A scripted stand-in for `omnisparse train`, used by the training-panel tests: writes run.json
// and events.jsonl over time exactly like the real trainer (contract: DESIGN.md section 5) and
// crashes on command, so the monitor's process handling is tested without a real training.
//
//   fake_trainer --run DIR --steps N --interval-ms M [--crash-at K] [--signal-at K]
//                [--eval-every E] [--resume] [--json] [train] [any other --flag value]
//
// --crash-at K: after step K, prints three stderr lines and exits with code 3.
// --signal-at K: after step K, raises SIGKILL (no stderr, no error event).
// --resume: continues after the last step found in events.jsonl (appends).
// --parent-passes P [--parent-wall-s W]: the run has a parent that cost P passes and W seconds:
//   the start event carries "parent", step/done events parent_passes, total_passes (4 s + P)
//   and total_wall_s.
// --refresh-every R: a supernet's "masks" events: a rank refresh at step 0 (no overlap), every
//   R steps, and at the first step at or past --freeze-at F (default 0.5, "frozen": true); the
//   n-th refresh has overlap 1 - level / (10 n) for the levels 0.5, 0.7 and 0.9.
// --workers N|auto: a data-parallel run of N workers (auto: 1): run.json and the start/resume
//   event carry "workers" (and "backend" gloo / none, "threads" 1), step events "workers",
//   "sync_ms" and the total samples_per_s (32 per worker), done "workers".
// --lose-worker-at K: after step K, does what the launcher does when worker rank 1 is killed:
//   appends an "error" event naming it ("failed_rank": 1), prints the CLI's error line and
//   exits with code 1.
// --handle-term: SIGTERM asks it to stop after the current step, like the real trainer (or
//   the launcher, which passes it to every worker): a "stopped" event, exit code 0.
// --mode, --preset, --init-from, --members, --distribution, --p-dense, --distill, --freeze-at,
// --ramp-end, --follow-ramp / --no-follow-ramp
// land in run.json's config like the real trainer's. Other flags (--data, --device, ...) are
// accepted and ignored.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_term = 0;
extern "C" void on_term(int) { g_term = 1; }

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Appends one event line and flushes, like the real trainer (a reader may see it at once).
void emit(std::ofstream& events, bool to_stdout, json e) {
  e["time"] = now();
  const std::string line = e.dump();
  events << line << '\n';
  events.flush();
  if (to_stdout) std::cout << line << std::endl;
}

long last_step(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  long step = 0;
  while (std::getline(in, line)) {
    try {
      const json e = json::parse(line);
      if (e.value("type", "") == "step") step = e.value("step", 0L);
    } catch (const std::exception&) {
    }
  }
  return step;
}

}  // namespace

int main(int argc, char** argv) {
  std::string run;
  long steps = 20, crash_at = -1, signal_at = -1, eval_every = 5, parent_passes = -1;
  long refresh_every = 0, lose_worker_at = -1;
  int workers = 1;
  int interval_ms = 20;
  bool resume = false, json_out = false, handle_term = false;
  double parent_wall_s = 0;
  std::string mode = "omni", preset = "tiny", init_from;
  json omni = {{"members_per_step", 1}, {"distribution", "levels"}, {"p_dense", 0.2},
               {"freeze_at", 0.5}, {"distill_weight", 0.0}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "fake_trainer: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--run") run = value();
    else if (a == "--steps") steps = std::stol(value());
    else if (a == "--interval-ms") interval_ms = std::stoi(value());
    else if (a == "--crash-at") crash_at = std::stol(value());
    else if (a == "--signal-at") signal_at = std::stol(value());
    else if (a == "--eval-every") eval_every = std::stol(value());
    else if (a == "--parent-passes") parent_passes = std::stol(value());
    else if (a == "--parent-wall-s") parent_wall_s = std::stod(value());
    else if (a == "--refresh-every") refresh_every = std::stol(value());
    else if (a == "--workers") {
      const std::string w = value();
      workers = w == "auto" ? 1 : std::stoi(w);
    } else if (a == "--lose-worker-at") lose_worker_at = std::stol(value());
    else if (a == "--mode") mode = value();
    else if (a == "--preset") preset = value();
    else if (a == "--init-from") init_from = value();
    else if (a == "--members") omni["members_per_step"] = std::stoi(value());
    else if (a == "--distribution") omni["distribution"] = value();
    else if (a == "--p-dense") omni["p_dense"] = std::stod(value());
    else if (a == "--distill") omni["distill_weight"] = std::stod(value());
    else if (a == "--freeze-at") omni["freeze_at"] = std::stod(value());
    else if (a == "--ramp-end") omni["ramp_end"] = std::stod(value());
    else if (a == "--follow-ramp") omni["follow_ramp"] = true;
    else if (a == "--no-follow-ramp") omni["follow_ramp"] = false;
    else if (a == "--resume") resume = true;
    else if (a == "--handle-term") handle_term = true;
    else if (a == "--json") json_out = true;
    else if (a == "train") continue;
    else if (a.rfind("--", 0) == 0 && i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      ++i;  // an unknown flag with a value
  }
  if (run.empty()) {
    std::cerr << "error: --run is required\n";
    return 2;
  }
  // run.json's "parent" (core/train/parent_model.h): a parent run that cost what was asked.
  auto parent_info = [&] {
    return json{{"path", init_from.empty() ? std::string("/fake/parent") : init_from},
                {"kind", "run"}, {"fingerprint", "fake"}, {"mode", "dense"}, {"step", 100},
                {"passes", parent_passes}, {"wall_s", parent_wall_s},
                {"total_passes", parent_passes}, {"total_wall_s", parent_wall_s}};
  };
  fs::create_directories(fs::path(run) / "checkpoints");
  const fs::path events_path = fs::path(run) / "events.jsonl";
  long first = 1;
  if (resume) {
    first = last_step(events_path) + 1;
  } else {
    fs::remove(events_path);
    // The real layout: the training config under "config", a few facts beside it.
    json cfg = {{"mode", mode}, {"preset", preset}, {"data", "/fake/corpus"},
                {"steps", steps}, {"minutes", 0.0}, {"device", "cpu"}, {"seed", 1},
                {"init_from", init_from}, {"omni", omni},
                {"gmp", {{"target_sparsity", 0.8}}}};
    json doc = {{"config", cfg}, {"mode", mode}, {"preset", preset}, {"workers", workers}};
    if (parent_passes >= 0) doc["parent"] = parent_info();
    std::ofstream(fs::path(run) / "run.json") << doc.dump(2) << '\n';
  }
  if (handle_term) std::signal(SIGTERM, on_term);
  std::ofstream events(events_path, std::ios::app);
  std::cerr << "fake trainer: " << (resume ? "resuming at step " : "starting at step ") << first
            << "\n";
  emit(events, json_out,
       {{"type", resume ? "resume" : "start"}, {"step", first - 1}, {"mode", mode},
        {"total_steps", steps}, {"minutes", nullptr}, {"device", "cpu"}, {"workers", workers},
        {"backend", workers > 1 ? "gloo" : "none"}, {"threads", 1},
        {"parent", parent_passes >= 0 ? parent_info() : json()}});
  const double t0 = now();
  // What a run with a parent adds to its step / done events.
  auto with_parent = [&](json e, long passes, double wall) {
    if (parent_passes < 0) return e;
    e["parent_passes"] = parent_passes;
    e["total_passes"] = passes + parent_passes;
    e["total_wall_s"] = wall + parent_wall_s;
    e["teacher_passes"] = 0;
    return e;
  };
  const double freeze_at = omni.value("freeze_at", 0.5);
  bool frozen = false;
  long refreshes = 0, last_refresh = 0;
  for (long s = first; s <= steps; ++s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    // Like the real trainer: the refresh happens when step s-1 is planned, before it trains.
    const double planned = static_cast<double>(s - 1) / steps;
    if (refresh_every > 0 && !frozen &&
        (refreshes == 0 || s - 1 - last_refresh >= refresh_every || planned >= freeze_at)) {
      frozen = planned >= freeze_at;
      json overlap = json::object();
      for (const char* level : {"0.50", "0.70", "0.90"})
        if (refreshes > 0) overlap[level] = 1.0 - std::stod(level) / (10.0 * refreshes);
      emit(events, json_out,
           {{"type", "masks"}, {"step", s - 1}, {"progress", planned}, {"overlap", overlap},
            {"frozen", frozen}});
      ++refreshes;
      last_refresh = s - 1;
    }
    const double loss = 3.0 * std::exp(-0.05 * static_cast<double>(s)) + 0.3;
    const double elapsed = now() - t0;
    emit(events, json_out,
         with_parent({{"type", "step"}, {"step", s}, {"loss", loss},
                      {"lr", 1e-3 * std::min(1.0, s / 5.0)}, {"samples_per_s", 32.0 * workers},
                      {"workers", workers}, {"sync_ms", workers > 1 ? 2.5 : 0.0},
                      {"sparsities", {0.0, 0.9, 0.5, 0.3}},
                      {"progress", static_cast<double>(s) / steps}, {"passes", 4 * s},
                      {"elapsed_s", elapsed},
                      {"eta_s", elapsed / (s - first + 1) * static_cast<double>(steps - s)}},
                     4 * s, elapsed));
    if (eval_every > 0 && s % eval_every == 0) {
      json results = json::array();
      for (double level : {0.0, 0.5, 0.9})
        results.push_back({{"sparsity", level}, {"wer", 0.2 + level * 0.3 + 2.0 / (s + 4)},
                           {"cer", 0.1 + level * 0.2}});
      emit(events, json_out, {{"type", "eval"}, {"step", s}, {"set", "dev"}, {"results", results}});
      const std::string ckpt = "checkpoints/ckpt-" + std::to_string(s) + ".safetensors";
      std::ofstream(fs::path(run) / ckpt) << "fake";
      emit(events, json_out, {{"type", "checkpoint"}, {"step", s}, {"path", ckpt}});
    }
    if (s == crash_at) {
      std::cerr << "train: step " << s << ": loss is NaN\n";
      std::cerr << "train: the newest checkpoint is kept; rerun with --resume\n";
      std::cerr << "error: training diverged at step " << s << "\n";
      return 3;
    }
    if (s == signal_at) std::raise(SIGKILL);
    if (s == lose_worker_at) {
      const std::string msg =
          "worker rank 1 was killed by signal 9 (Killed); the other workers were stopped";
      emit(events, false, {{"type", "error"}, {"step", s}, {"message", msg}, {"failed_rank", 1}});
      std::cerr << "omnisparse train: error: " << msg
                << "; continue with --resume (any number of workers)\n";
      return 1;
    }
    if (g_term) {
      emit(events, json_out,
           with_parent({{"type", "stopped"}, {"step", s}, {"passes", 4 * s},
                        {"wall_s", now() - t0}, {"workers", workers}},
                       4 * s, now() - t0));
      std::cerr << "fake trainer: stopped at step " << s << "\n";
      return 0;
    }
  }
  const double wall = now() - t0;
  emit(events, json_out,
       with_parent({{"type", "done"}, {"step", steps}, {"passes", 4 * steps}, {"wall_s", wall},
                    {"workers", workers}},
                   4 * steps, wall));
  std::cerr << "fake trainer: done\n";
  return 0;
}
