// RUN/events.jsonl: one JSON object per line, appended by the trainer and tailed by the GUI and
// by scripts while it grows. Every event has
//   "type"  string: "step", "eval", "checkpoint", "done", "error", ...
//   "time"  number: Unix time in seconds (UTC) as a float with millisecond resolution,
//           e.g. 1764375296.123; easy to plot and to subtract, no parsing needed
//   "step"  integer: the optimiser step the event belongs to
// plus the event's own fields (a step event: loss, lr, samples_per_s, sparsities, progress).
//
//   EventLog log(run.events_path());
//   log.append("step", 120, {{"loss", 1.7}, {"lr", 1e-3}, {"progress", 0.12}});
//   EventRead r = read_events(run.events_path(), offset);   // GUI timer
//   offset = r.next_offset;                                   // a half-written line waits
//
// Each event is one write(2) on an O_APPEND descriptor, so lines from a crashed writer are never
// interleaved; a line cut short by a crash is closed with a newline when the log is next opened,
// so it shows up as one corrupt line instead of spoiling the next event. No fsync per line.
// EventLog::append is thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace omnisparse {

double unix_time_now();

class EventLog {
 public:
  // Opens (creating if needed) for appending. Throws IoError.
  explicit EventLog(const std::filesystem::path& path);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends {"type", "time", "step", ...fields} as one line. `fields` must be an object without
  // the keys type/time/step (InvalidArgument). Throws IoError if the write fails.
  void append(const std::string& type, int64_t step,
              const nlohmann::json& fields = nlohmann::json::object());
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mu_;
};

struct CorruptEventLine {
  uint64_t offset = 0;  // byte offset of the line in the file
  std::string reason;
};

struct EventRead {
  std::vector<nlohmann::json> events;     // complete, valid lines, in file order
  std::vector<CorruptEventLine> corrupt;  // skipped lines and why
  uint64_t next_offset = 0;               // pass back next time; stops before a partial line
  bool restarted = false;                 // the file shrank below `offset`: read from 0 again
};

// One events.jsonl line (or one line of `train --json`'s stdout, the same events) checked against
// the contract above: a JSON object with a string "type", a numeric "time" and an integer
// "step". True and the event in `out` when it holds; false with the reason in `why` when not,
// and with `why` empty for a blank line (not an error). The only parser of event lines.
bool parse_event_line(std::string_view line, nlohmann::json* out, std::string* why);

// Reads complete lines from `offset` on; never throws for content (corrupt lines are skipped
// and reported; a missing file reads as empty). Reads at most `max_bytes` per call; a single
// line longer than that is reported corrupt and skipped.
EventRead read_events(const std::filesystem::path& path, uint64_t offset = 0,
                      uint64_t max_bytes = 64ull << 20);

}  // namespace omnisparse
