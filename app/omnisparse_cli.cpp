// omnisparse: the headless command-line front end. Every job the workbench does is here too.
// Subcommands live in app/cli/*.cpp and register themselves (see app/cli/command.h).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>

#include "app/cli/command.h"
#include "core/common/error.h"

namespace omnisparse::cli {
GlobalOptions& globals() {
  static GlobalOptions g;
  return g;
}
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> r;
  return r;
}
}  // namespace omnisparse::cli

int main(int argc, char** argv) {
  using namespace omnisparse::cli;
  CLI::App app{"omnisparse: train one omni-sparsity supernet for streaming speech recognition, "
               "then explore, hear and export its sub-networks"};
  app.set_version_flag("--version", std::string(OMNISPARSE_VERSION));
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("--json", globals().json, "Machine-readable JSON output on stdout");
  app.add_flag("-q,--quiet", globals().quiet, "No progress bars");
  CLI::Option* threads =
      app.add_option("--threads", globals().threads, "Torch CPU threads (per worker)")
          ->capture_default_str()
          ->check(CLI::PositiveNumber);
  globals().threads_option = threads;
  globals().argv.assign(argv, argv + argc);

  auto& reg = command_registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (auto& c : reg) c.setup(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::string sub;
    for (auto* s : app.get_subcommands()) sub = " " + s->get_name();
    // One line: LibTorch's own errors (c10::Error) carry a multi-line trace after the message.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    std::fprintf(stderr, "omnisparse%s: error: %s\n", sub.c_str(), what.c_str());
    return 1;
  }
  return 0;
}
