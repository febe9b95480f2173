// `vigil ingest --config C FILES...`: adds events to the stored cube.
#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>

#include "command.h"
#include "common.h"
#include "vigil/ingest.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config;
  std::vector<std::string> files;
  int threads = 0;
  bool quiet = false;
};

void PrintSummary(const IngestStats& s, const Cube& cube, const Config& config) {
  for (const BadLine& b : s.first_bad_lines) {
    std::fprintf(stderr, "%s:%llu: %s\n", b.file.c_str(), static_cast<unsigned long long>(b.line),
                 b.reason.c_str());
  }
  if (s.bad_lines > s.first_bad_lines.size()) {
    std::fprintf(stderr, "... and %s more bad lines\n",
                 Thousands(s.bad_lines - s.first_bad_lines.size()).c_str());
  }
  for (const std::string& w : s.warnings) Warn(w);
  for (const FoldReport& f : cube.Folds()) {
    Warn(fmt::format("dimension '{}' reached its limit of {} values; {} events folded into "
                     "__other__ (raise limits.dimension_values.{})",
                     f.dimension, f.limit, Thousands(f.events), f.dimension));
  }
  double secs = std::max(s.seconds, 1e-9);
  std::fprintf(stderr,
               "ingested %s events from %s file%s (%s bad line%s) in %.2f s: %sevents/s, %.0f MB/s\n",
               Thousands(s.events).c_str(), Thousands(s.files).c_str(), s.files == 1 ? "" : "s",
               Thousands(s.bad_lines).c_str(), s.bad_lines == 1 ? "" : "s", s.seconds,
               HumanRate(s.events / secs).c_str(), s.bytes / secs / 1e6);
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("FILES", o->files, "JSON Lines or CSV files (.gz and .zst too)")->required();
  app->add_option("--threads", o->threads, "Parser threads (default: ingest.threads or one per core)");
  app->add_flag("--quiet", o->quiet, "Print only errors");
  return [o]() -> int {
    auto opened = OpenStoredCube(o->config, /*require_events=*/false);
    if (!opened.ok()) return ReportError(opened.status());
    auto& config = opened->config;
    auto& store = opened->store;
    Cube* cube = &opened->cube;
    IngestOptions options;
    options.threads = o->threads;
    bool tty = isatty(STDERR_FILENO) && !o->quiet;
    bool drew = false;
    if (tty) {
      options.progress = [&drew](const IngestProgress& p) {
        if (p.bytes_total < (64 << 20) && !drew) return;  // large inputs only
        double secs = std::max(p.seconds, 1e-9);
        std::fprintf(stderr, "\r  %5.1f%%  %sevents/s  %.0f MB/s  %s bad lines   ",
                     100.0 * p.bytes_done / std::max<uint64_t>(p.bytes_total, 1),
                     HumanRate(p.events / secs).c_str(), p.bytes_done / secs / 1e6,
                     Thousands(p.bad_lines).c_str());
        drew = true;
      };
    }
    auto stats = IngestFiles(o->files, cube, options);
    if (drew) std::fputs("\r\033[K", stderr);
    if (!stats.ok()) return ReportError(stats.status());
    Status saved = store->SaveCube(cube);
    if (!saved.ok()) return ReportError(saved);
    if (!o->quiet) {
      PrintSummary(*stats, *cube, *config);
      std::fprintf(stderr, "store %s: %s events in %s cells, %s to %s\n",
                   store->path().c_str(), Thousands(cube->event_count()).c_str(),
                   Thousands(cube->cell_count()).c_str(),
                   FormatTimestamp(cube->first_bucket()).c_str(),
                   FormatTimestamp(cube->last_bucket() + config->granularity_ms).c_str());
    }
    return 0;
  };
}

const bool kRegistered = RegisterCommand({"ingest", "Add events files to the stored cube", 20, Setup});

}  // namespace
}  // namespace vigil::cli
