// Subcommands register themselves here: one file per subcommand, no central list to edit.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "vigil/status.h"

namespace vigil::cli {

/// What a subcommand does once its options are parsed; returns the process exit code.
using Action = std::function<int()>;

struct Command {
  std::string name;
  std::string help;
  int order;  ///< position in `vigil --help`
  /// Declares the options on `sub` and returns the action that uses them.
  std::function<Action(CLI::App* sub)> setup;
};

/// Adds a subcommand; used as `static const bool kRegistered = RegisterCommand({...});`.
bool RegisterCommand(Command command);

/// Prints `vigil: <message>` on stderr and returns the exit code for the status (DESIGN §4).
int ReportError(const Status& status);

/// Prints `vigil: warning: <message>` on stderr.
void Warn(const std::string& message);

}  // namespace vigil::cli
