#include "core/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include <fmt/format.h>

namespace omnisparse {

namespace {
std::atomic<bool> g_enabled{true};
}

void Progress::set_globally_enabled(bool enabled) { g_enabled = enabled; }

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  auto t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 0)),
      enabled_(enabled && g_enabled),
      tty_(::isatty(2) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && done_ > 0) finish();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::tick(int64_t n, const std::string& suffix) { set(done_ + n, suffix); }

void Progress::set(int64_t done, const std::string& suffix) {
  done_ = std::min(done, total_ > 0 ? total_ : done);
  suffix_ = suffix;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
  } else {
    int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
    if (decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  draw(false);
}

void Progress::finish(const std::string& suffix) {
  if (finished_) return;
  finished_ = true;
  if (!suffix.empty()) suffix_ = suffix;
  if (total_ > 0) done_ = total_;
  if (enabled_) draw(true);
}

void Progress::draw(bool final_line) {
  const double el = elapsed_s();
  const double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 0.0;
  const double rate = el > 0 ? done_ / el : 0.0;
  const double eta = (rate > 0 && total_ > 0) ? (total_ - done_) / rate : -1;
  constexpr int kWidth = 28;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::string line = fmt::format("{} [{}] {}/{} {:.0f}% {:.1f}/s {} {}", label_, bar, done_,
                                 total_, 100 * frac, rate,
                                 final_line ? "in " + format_duration(el)
                                            : "ETA " + format_duration(eta),
                                 suffix_);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace omnisparse
