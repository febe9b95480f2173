// `vigil ingest --config C FILES...`: adds events to the stored cube.
#include <cstdio>

#include "command.h"
#include "common.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config;
  std::vector<std::string> files;
  int threads = 0;
  bool quiet = false;
  bool force = false;
};

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("FILES", o->files, "JSON Lines or CSV files (.gz and .zst too)")->required();
  app->add_option("--threads", o->threads,
                  "Parser threads (default: ingest.threads or one per core)");
  app->add_flag("--quiet", o->quiet, "Print only errors");
  app->add_flag("--force", o->force,
                "Ingest files whose content the store already holds (counted again)");
  return [o]() -> int {
    auto opened = OpenStoredCube(o->config, /*require_events=*/false, "vigil ingest");
    if (!opened.ok()) return ReportError(opened.status());
    auto stats = IngestIntoStore(&*opened, o->files, o->threads, o->quiet, o->force);
    if (!stats.ok()) return ReportError(stats.status());
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"ingest", "Add events files to the stored cube", 20, Setup});

}  // namespace
}  // namespace vigil::cli
