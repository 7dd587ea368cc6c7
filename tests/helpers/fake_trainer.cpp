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
// Unknown flags (the real trainer's --data, --preset, --mode, ...) are accepted and ignored.
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
  long steps = 20, crash_at = -1, signal_at = -1, eval_every = 5;
  int interval_ms = 20;
  bool resume = false, json_out = false;
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
    else if (a == "--resume") resume = true;
    else if (a == "--json") json_out = true;
    else if (a == "train") continue;
    else if (a.rfind("--", 0) == 0 && i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      ++i;  // an unknown flag with a value
  }
  if (run.empty()) {
    std::cerr << "error: --run is required\n";
    return 2;
  }
  fs::create_directories(fs::path(run) / "checkpoints");
  const fs::path events_path = fs::path(run) / "events.jsonl";
  long first = 1;
  if (resume) {
    first = last_step(events_path) + 1;
  } else {
    fs::remove(events_path);
    // The real layout: the training config under "config", a few facts beside it.
    json cfg = {{"mode", "omni"}, {"preset", "tiny"}, {"data", "/fake/corpus"},
                {"steps", steps}, {"minutes", 0.0}, {"device", "cpu"}, {"seed", 1},
                {"gmp", {{"target_sparsity", 0.8}}}};
    json doc = {{"config", cfg}, {"mode", "omni"}, {"preset", "tiny"}};
    std::ofstream(fs::path(run) / "run.json") << doc.dump(2) << '\n';
  }
  std::ofstream events(events_path, std::ios::app);
  std::cerr << "fake trainer: " << (resume ? "resuming at step " : "starting at step ") << first
            << "\n";
  emit(events, json_out,
       {{"type", "start"}, {"step", first - 1}, {"mode", "omni"}, {"total_steps", steps},
        {"minutes", nullptr}, {"device", "cpu"}});
  const double t0 = now();
  for (long s = first; s <= steps; ++s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    const double loss = 3.0 * std::exp(-0.05 * static_cast<double>(s)) + 0.3;
    const double elapsed = now() - t0;
    emit(events, json_out,
         {{"type", "step"}, {"step", s}, {"loss", loss}, {"lr", 1e-3 * std::min(1.0, s / 5.0)},
          {"samples_per_s", 32.0}, {"sparsities", {0.0, 0.9, 0.5, 0.3}},
          {"progress", static_cast<double>(s) / steps}, {"passes", 4 * s},
          {"elapsed_s", elapsed},
          {"eta_s", elapsed / (s - first + 1) * static_cast<double>(steps - s)}});
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
  }
  emit(events, json_out,
       {{"type", "done"}, {"step", steps}, {"passes", 4 * steps}, {"wall_s", now() - t0}});
  std::cerr << "fake trainer: done\n";
  return 0;
}
