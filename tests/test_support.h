// Helpers shared by tests: scratch directories and running the real CLI.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace omnisparse::test {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "omnisparse-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Starts the built `omnisparse` CLI with `args` (no shell) in the background, its stdout and
// stderr into the given files (/dev/null to drop them); SIGALRM after timeout_s (0: none).
// Returns its pid, for the caller to signal and wait for.
pid_t spawn_cli(const std::vector<std::string>& args, const std::filesystem::path& out,
                const std::filesystem::path& err, int timeout_s = 0);

// Runs the built `omnisparse` CLI with `args` (no shell), capturing stdout and stderr.
CommandResult run_cli(const std::vector<std::string>& args, int timeout_s = 120);

// Writes `text` to `path` (binary, parents created).
void write_text(const std::filesystem::path& path, const std::string& text);

// Runs any program (a bare name is looked up in PATH) the same way; exit code 127 when it
// could not be started.
CommandResult run_program(const std::string& exe, const std::vector<std::string>& args,
                          int timeout_s = 120);


}  // namespace omnisparse::test
