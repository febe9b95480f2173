// vigil simulate: writes simulated speech-pipeline telemetry and its ground truth.
#include <cstdio>
#include <memory>

#include "command.h"
#include "vigil/sim.h"

namespace vigil::cli {
namespace {

struct SimulateFlags {
  int days = 0;
  int64_t events_per_day = 0;
  uint64_t seed = 1;
  std::string scenario = "demo";
  std::string world;
  std::string format = "jsonl";
  bool gzip = false, zstd = false;
  std::string start;
  std::string out;
};

std::string HumanBytes(int64_t b) {
  char buf[32];
  if (b >= (1LL << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(1LL << 30));
  else if (b >= (1LL << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / double(1LL << 20));
  else
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  return buf;
}

int Run(const SimulateFlags& f, CLI::App* sub) {
  SimulationOptions o;
  o.scenario = f.world.empty() ? f.scenario : f.world;
  if (sub->count("--days")) o.days = f.days;
  if (sub->count("--events-per-day")) o.events_per_day = f.events_per_day;
  o.seed = f.seed;
  o.format = f.format == "csv" ? SimFormat::kCsv : SimFormat::kJsonl;
  o.compression = f.gzip   ? SimCompression::kGzip
                  : f.zstd ? SimCompression::kZstd
                           : SimCompression::kNone;
  if (!f.start.empty()) {
    auto t = ParseTimestamp(f.start);
    if (!t.ok()) return ReportError(InvalidArgument("--start: " + t.status().message()));
    o.start = *t;
  }
  o.out_dir = f.out;
  auto r = Simulate(o);
  if (!r.ok()) return ReportError(r.status());
  const SimulationSummary& s = *r;
  std::fprintf(stderr,
               "simulate: %lld events, %s, %.2f s (%.2f M events/s), %d incidents, %d decoys, "
               "%s .. %s -> %s, %s\n",
               static_cast<long long>(s.events), HumanBytes(s.bytes).c_str(), s.seconds,
               s.seconds > 0 ? s.events / s.seconds / 1e6 : 0.0, s.incidents, s.decoys,
               FormatTimestamp(s.start).c_str(), FormatTimestamp(s.end).c_str(),
               s.events_path.c_str(), s.truth_path.c_str());
  return 0;
}

const bool kRegistered = RegisterCommand({
    "simulate",
    "Write simulated speech-pipeline telemetry (events + truth.json) with injected incidents",
    10,
    [](CLI::App* sub) -> Action {
      auto f = std::make_shared<SimulateFlags>();
      sub->add_option("--days", f->days, "Days to simulate (default: the scenario's)")
          ->check(CLI::Range(1, 3660));
      sub->add_option("--events-per-day", f->events_per_day,
                      "Mean turns per day (default: the scenario's)")
          ->check(CLI::Range(int64_t{1}, int64_t{1000000000000}));
      sub->add_option("--seed", f->seed, "Random seed: the same seed gives the same bytes")
          ->default_val(1);
      auto* scenario = sub->add_option("--scenario", f->scenario,
                                       "Built-in scenario (demo, smoke) or a scenario YAML file")
                           ->default_val("demo");
      sub->add_option("--world", f->world,
                      "random: a whole world drawn from --seed (written to OUT/world.yaml)")
          ->check(CLI::IsMember({"random"}))
          ->excludes(scenario);
      sub->add_option("--format", f->format, "Output format")
          ->check(CLI::IsMember({"jsonl", "csv"}))
          ->default_val("jsonl");
      auto* gz = sub->add_flag("--gzip", f->gzip, "Compress the events with gzip");
      auto* zs = sub->add_flag("--zstd", f->zstd, "Compress the events with zstd");
      gz->excludes(zs);
      sub->add_option("--start", f->start,
                      "First simulated instant, RFC 3339 (default: the scenario's, 2026-03-02)");
      sub->add_option("--out", f->out, "Output directory (events file and truth.json)")->required();
      return [f, sub] { return Run(*f, sub); };
    },
});

}  // namespace
}  // namespace vigil::cli
