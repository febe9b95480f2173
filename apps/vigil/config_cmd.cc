// `vigil config check FILE` and `vigil config docs`.
#include <fmt/format.h>

#include <cstdio>

#include "command.h"
#include "common.h"
#include "vigil/time.h"

namespace vigil::cli {
namespace {

Action Setup(CLI::App* app) {
  app->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* check = app->add_subcommand("check", "Validate a config file and summarize it");
  check->add_option("FILE", *file, "The YAML config")->required();
  CLI::App* docs =
      app->add_subcommand("docs", "Print the reference of every config key (Markdown)");
  return [=]() -> int {
    if (docs->parsed()) {
      std::fputs(ConfigReferenceMarkdown().c_str(), stdout);
      return 0;
    }
    auto config = LoadConfig(*file);
    if (!config.ok()) return ReportError(config.status());
    const Config& c = **config;
    fmt::print("{}: ok\n", *file);
    fmt::print("  {} dimensions, {} measures, {} flags, {} attributes; granularity {}\n",
               c.input.dimensions.size(), c.input.measures.size(), c.input.flags.size(),
               c.input.attributes.size(), FormatDuration(c.granularity_ms));
    fmt::print("  {} metrics:", c.metrics.size());
    for (const MetricSpec& m : c.metrics) fmt::print(" {}", m.name);
    fmt::print("\n  {} monitors; store {}\n", c.monitors.size(), c.StorePath());
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"config", "Check a config file or print the key reference", 90, Setup});

}  // namespace
}  // namespace vigil::cli
