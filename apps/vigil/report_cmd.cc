// `vigil report --config C --out report.html`: the self-contained HTML report of the stored cube
// and incidents.
#include <chrono>
#include <cstdio>

#include "command.h"
#include "common.h"
#include "vigil/report.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config, out, title = "Regression report";
  bool quiet = false;
};

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--out", o->out, "The HTML file to write")->required();
  app->add_option("--title", o->title, "Title of the report");
  app->add_flag("--quiet", o->quiet, "Print only errors");
  return [o]() -> int {
    auto opened = OpenStoredCube(o->config, /*require_events=*/true);
    if (!opened.ok()) return ReportError(opened.status());
    ReportOptions options;
    options.title = o->title;
    options.generated_at = WallClockNow();
    auto html = RenderReport(opened->cube, opened->store.get(), options);
    if (!html.ok()) return ReportError(html.status());
    Status written = WriteFileAtomically(o->out, *html);
    if (!written.ok()) return ReportError(written);
    if (!o->quiet) {
      auto incidents = LoadStoredIncidents(opened->store.get());
      std::fprintf(stderr, "report: %zu incidents, %.0f KB -> %s\n",
                   incidents.ok() ? incidents->size() : 0, html->size() / 1024.0, o->out.c_str());
    }
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"report", "Write the self-contained HTML report", 60, Setup});

}  // namespace
}  // namespace vigil::cli
