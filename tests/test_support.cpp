#include "tests/test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace omnisparse::test {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& tag) {
  std::string tmpl = (fs::temp_directory_path() / (tag + ".XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("OMNISPARSE_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
}

static std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Starts `exe` with `args` (no shell; execvp, so a bare name is looked up in PATH).
pid_t spawn(const std::string& exe, const std::vector<std::string>& args, const fs::path& out_path,
            const fs::path& err_path, int timeout_s) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(in, 0);
    std::vector<char*> argv;
    std::string name = exe;
    argv.push_back(name.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (timeout_s > 0) ::alarm(static_cast<unsigned>(timeout_s));
    ::execvp(name.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

CommandResult wait_for(pid_t pid, const fs::path& out_path, const fs::path& err_path) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace

pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& out_path,
                const fs::path& err_path, int timeout_s) {
  return spawn(OMNISPARSE_CLI, args, out_path, err_path, timeout_s);
}

CommandResult run_cli(const std::vector<std::string>& args, int timeout_s) {
  return run_program(OMNISPARSE_CLI, args, timeout_s);
}

CommandResult run_program(const std::string& exe, const std::vector<std::string>& args,
                          int timeout_s) {
  TempDir io("omnisparse-run");
  const fs::path out_path = io / "stdout", err_path = io / "stderr";
  return wait_for(spawn(exe, args, out_path, err_path, timeout_s), out_path, err_path);
}

}  // namespace omnisparse::test
