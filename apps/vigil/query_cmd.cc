// `vigil query`: a metric's series for a slice, or (without --metric) a summary of the cube.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "command.h"
#include "common.h"
#include "vigil/cube.h"
#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config;
  std::string metric;
  std::string slice;
  std::string from, to, granularity;
  bool csv = false;
};

int PrintSummary(const Cube& cube) {
  const Config& c = cube.config();
  fmt::print("events {}  cells {}  from {} to {}  granularity {}\n", Thousands(cube.event_count()),
             Thousands(cube.cell_count()), FormatTimestamp(cube.first_bucket()),
             FormatTimestamp(cube.last_bucket() + c.granularity_ms),
             FormatDuration(c.granularity_ms));
  fmt::print("\ndimensions\n");
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    const auto& values = cube.DimensionValues(static_cast<int>(d));
    std::string shown;
    for (size_t i = 0; i < values.size() && i < 6; ++i) {
      shown += (i ? ", " : "") + (values[i].empty() ? std::string("(none)") : values[i]);
    }
    if (values.size() > 6) shown += ", ...";
    fmt::print("  {:<18} {:>6} values  {}\n", c.input.dimensions[d].name, values.size(), shown);
  }
  auto total = cube.Total({});
  if (!total.ok()) return ReportError(total.status());
  fmt::print("\nmetrics over all traffic\n");
  for (size_t i = 0; i < c.metrics.size(); ++i) {
    const MetricSpec& m = c.metrics[i];
    fmt::print("  {:<22} {:>14} {:<8} {}\n", m.name,
               FormatValue(cube.MetricValue(static_cast<int>(i), *total), m.unit), m.unit,
               m.description);
  }
  return 0;
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--metric", o->metric, "Metric name (omit for a summary of the cube)");
  app->add_option("--slice", o->slice, "dimension=value[,dimension=value...]; default all traffic");
  app->add_option("--from", o->from, "Start (RFC 3339 or epoch ms), inclusive");
  app->add_option("--to", o->to, "End (RFC 3339 or epoch ms), exclusive");
  app->add_option("--granularity", o->granularity,
                  "Bucket width, a multiple of the cube's (e.g. 1h)");
  app->add_flag("--csv", o->csv, "Print `time,value` CSV");
  return [o]() -> int {
    auto opened = OpenStoredCube(o->config, /*require_events=*/true);
    if (!opened.ok()) return ReportError(opened.status());
    auto& config = opened->config;
    Cube* cube = &opened->cube;
    if (o->metric.empty()) return PrintSummary(*cube);
    auto slice = ParseSlice(o->slice);
    if (!slice.ok()) return ReportError(slice.status());
    auto from = ParseTimeFlag("--from", o->from);
    if (!from.ok()) return ReportError(from.status());
    auto to = ParseTimeFlag("--to", o->to);
    if (!to.ok()) return ReportError(to.status());
    int64_t g = 0;
    if (!o->granularity.empty()) {
      auto d = ParseDuration(o->granularity);
      if (!d.ok()) return ReportError(InvalidArgument("--granularity: " + d.status().message()));
      g = *d;
    }
    auto series = cube->Series(o->metric, *slice, *from, *to, g);
    if (!series.ok()) return ReportError(series.status());
    const MetricSpec& m = config->metrics[config->FindMetric(o->metric)];
    if (o->csv) {
      fmt::print("time,value\n");
      for (const SeriesPoint& p : *series) {
        fmt::print("{},{}\n", FormatTimestamp(p.time),
                   std::isnan(p.value) ? std::string() : fmt::format("{:.10g}", p.value));
      }
      return 0;
    }
    fmt::print("{} ({}) for {}\n", m.name, m.unit.empty() ? MetricTypeName(m.type) : m.unit,
               FormatSlice(*slice));
    fmt::print("{:<22} {:>14} {:>10} {:>10}\n", "time", "value", "events", "support");
    for (const SeriesPoint& p : *series) {
      fmt::print("{:<22} {:>14} {:>10} {:>10}\n", FormatTimestamp(p.time),
                 FormatValue(p.value, m.unit), p.events, p.support);
    }
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"query", "Print a metric's series for a slice, or a cube summary", 30, Setup});

}  // namespace
}  // namespace vigil::cli
