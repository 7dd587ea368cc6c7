// Subcommands of the `omnisparse` CLI register themselves: each app/cli/<name>.cpp defines a
// setup function that adds a CLI11 subcommand with its options and callback, and registers it
// with OMNISPARSE_COMMAND(order, setup). main() adds them all in `order`.
//
// A callback reports failure by throwing omnisparse::Error (or any std::exception); main prints
// one line `omnisparse <cmd>: error: <what>` and exits 1. --json is a global flag.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace omnisparse::cli {

struct GlobalOptions {
  bool json = false;   // machine-readable output on stdout
  bool quiet = false;  // no progress bars
  int threads = 1;     // torch intra-op threads
  const CLI::Option* threads_option = nullptr;
  bool threads_given() const { return threads_option && threads_option->count() > 0; }
  std::vector<std::string> argv;  // the whole command line (a launcher re-runs it for workers)
};

GlobalOptions& globals();

using CommandSetup = std::function<void(CLI::App& root)>;
struct CommandEntry {
  int order;
  std::string name;
  CommandSetup setup;
};
std::vector<CommandEntry>& command_registry();

inline bool register_command(int order, const char* name, CommandSetup setup) {
  command_registry().push_back({order, name, std::move(setup)});
  return true;
}

}  // namespace omnisparse::cli

#define OMNISPARSE_COMMAND(order, fn) \
  static const bool omnisparse_registered_##fn = ::omnisparse::cli::register_command(order, #fn, fn)
