// vigil: the command-line front end. Parses flags, runs one subcommand, maps errors to exit codes
// (0 ok, 1 runtime failure, 2 bad usage or config).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include "command.h"

namespace vigil::cli {
namespace {
std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

bool RegisterCommand(Command command) {
  Registry().push_back(std::move(command));
  return true;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "vigil: %s\n", status.message().c_str());
  return ExitCodeFor(status.code());
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "vigil: warning: %s\n", message.c_str());
}

}  // namespace vigil::cli

namespace {
int Main(int argc, char** argv) {
  using namespace vigil::cli;
  CLI::App app{"vigil: finds, explains and routes regressions in speech-pipeline telemetry"};
  app.set_version_flag("--version", std::string("vigil ") + VIGIL_VERSION);
  app.require_subcommand(1);
  std::vector<Command> commands = Registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const Command& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    actions.emplace_back(sub, c.setup(sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, action] : actions) {
      if (sub->parsed()) return action();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
}  // namespace

// Anything thrown while setting up (before a subcommand runs) is reported, not a crash.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vigil: internal error\n");
  }
  return 1;
}
