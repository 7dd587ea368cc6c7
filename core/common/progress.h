// A progress bar on stderr for long CLI work: rewritten in place on a terminal, one line per
// ~10 % otherwise (logs stay readable), silent when disabled. Shows done/total, rate and ETA.
//
//   Progress bar("synth", total);
//   for (...) { ...; bar.tick(); }
//   bar.finish();
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace omnisparse {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  void tick(int64_t n = 1, const std::string& suffix = "");
  void set(int64_t done, const std::string& suffix = "");
  void finish(const std::string& suffix = "");
  double elapsed_s() const;

  // Globally silence every bar (the CLI's --quiet and --json).
  static void set_globally_enabled(bool enabled);

 private:
  void draw(bool final_line);
  std::string label_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_decile_ = -1;
  std::string suffix_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace omnisparse
