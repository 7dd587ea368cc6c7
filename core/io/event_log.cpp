#include "core/io/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/common/error.h"

namespace omnisparse {
namespace fs = std::filesystem;

double unix_time_now() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return static_cast<double>(ms) / 1000.0;
}

namespace {
void write_all(int fd, const fs::path& path, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw IoError(path, std::string("cannot append event: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
}
}  // namespace

EventLog::EventLog(const fs::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path, std::string("cannot open event log: ") + std::strerror(errno));
  // A previous writer killed mid-line left no newline: close that line so it stays one corrupt
  // line instead of swallowing our first event.
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rfd);
    }
    if (last != '\n') write_all(fd_, path_, "\n");
  }
}

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

void EventLog::append(const std::string& type, int64_t step, const nlohmann::json& fields) {
  if (!fields.is_object())
    throw InvalidArgument(path_.string() + ": event fields must be a JSON object");
  nlohmann::json e = {{"type", type}, {"time", unix_time_now()}, {"step", step}};
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (e.contains(it.key()))
      throw InvalidArgument(path_.string() + ": event field '" + it.key() + "' is reserved");
    e[it.key()] = *it;
  }
  // dump() escapes control characters, so the line holds no raw newline. NaN/Inf become null.
  const std::string line = e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  write_all(fd_, path_, line);
}

bool parse_event_line(std::string_view line, nlohmann::json* out, std::string* why) {
  why->clear();
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return false;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) *why = "not valid JSON";
  else if (!j.is_object()) *why = "not a JSON object";
  else if (!j.contains("type") || !j["type"].is_string()) *why = "no string 'type'";
  else if (!j.contains("time") || !j["time"].is_number()) *why = "no numeric 'time'";
  else if (!j.contains("step") || !j["step"].is_number_integer()) *why = "no integer 'step'";
  if (!why->empty()) return false;
  *out = std::move(j);
  return true;
}

EventRead read_events(const fs::path& path, uint64_t offset, uint64_t max_bytes) {
  EventRead r;
  r.next_offset = offset;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.next_offset = 0;
    r.restarted = offset > 0;
    return r;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return r;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size) {  // replaced or truncated: a new run in the same place
    offset = 0;
    r.restarted = true;
  }
  const uint64_t want = std::min<uint64_t>(size - offset, std::max<uint64_t>(max_bytes, 1));
  std::string buf(want, '\0');
  uint64_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd, buf.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  buf.resize(got);

  size_t pos = 0;
  while (pos < buf.size()) {
    const size_t nl = buf.find('\n', pos);
    if (nl == std::string::npos) break;  // partial line: the writer is mid-event
    const std::string_view line(buf.data() + pos, nl - pos);
    const uint64_t line_offset = offset + pos;
    pos = nl + 1;
    nlohmann::json j;
    std::string why;
    if (parse_event_line(line, &j, &why)) r.events.push_back(std::move(j));
    else if (!why.empty()) r.corrupt.push_back({line_offset, why});
  }
  if (pos == 0 && buf.size() == max_bytes && max_bytes > 0) {
    // One line longer than max_bytes: skip what we have; its tail is reported next time.
    r.corrupt.push_back({offset, "line longer than " + std::to_string(max_bytes) + " bytes"});
    pos = buf.size();
  }
  r.next_offset = offset + pos;
  return r;
}

}  // namespace omnisparse
