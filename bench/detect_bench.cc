// Detection throughput on one core: the streaming detectors scoring every 5-minute bucket of a
// week (2,016 points) in each of 10,000 series, and in the prefix of series that the statsmodels
// baseline (bench/statsmodels_detect.py) scores in the same run, so that the ratio compares the
// same points. Each series gets a fresh detector, as a monitor does; creating it is timed.
//
// Data: VIGIL_BENCH_SERIES (default out/bench/series.npy); bench/run.sh creates it with
//   detect_bench --write_series=out/bench/series.npy [--series=10000]
// Prefix: VIGIL_BENCH_DETECT_PREFIX series (default 150, the baseline's default).
// Counters: points_per_s (per core: single thread, CPU time), flagged_share (share of judged
// points with p < 0.001, a sanity check that the detectors did their work).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "series_gen.h"
#include "vigil/detect.h"

namespace {

using vigil::bench::SeriesBlock;

const char* SeriesPath() {
  const char* p = std::getenv("VIGIL_BENCH_SERIES");
  return p ? p : "out/bench/series.npy";
}

int64_t PrefixSeries() {
  const char* p = std::getenv("VIGIL_BENCH_DETECT_PREFIX");
  return p && std::atoll(p) > 0 ? std::atoll(p) : 150;
}

const SeriesBlock& Series() {
  static SeriesBlock block = [] {
    auto b = vigil::bench::ReadNpy(SeriesPath());
    if (!b.ok()) {
      std::fprintf(stderr, "%s (run bench/run.sh to create it)\n", b.status().message().c_str());
      std::exit(1);
    }
    return std::move(*b);
  }();
  return block;
}

void BM_Detect(benchmark::State& state, const std::string& detector, int64_t series) {
  const SeriesBlock& data = Series();
  series = std::min(series, data.series);
  const vigil::TimeZone utc = vigil::TimeZone::Utc();
  vigil::DetectorOptions options;
  options.bucket_ms = vigil::bench::kBucketMs;
  options.direction = vigil::Direction::kBoth;
  options.utc_offset = [&utc](vigil::TimeMs t) { return utc.OffsetAt(t); };
  const vigil::TimeMs start = vigil::bench::SeriesStart();
  uint64_t points = 0, judged = 0, flagged = 0;
  for (auto _ : state) {
    for (int64_t s = 0; s < series; ++s) {
      auto d = vigil::Detector::Create(detector, options);
      if (!d.ok()) {
        state.SkipWithError(d.status().message().c_str());
        return;
      }
      const float* row = data.row(s);
      vigil::Observation o;
      for (int64_t t = 0; t < data.buckets; ++t) {
        o.time = start + t * vigil::bench::kBucketMs;
        o.value = row[t];
        vigil::Assessment a = (*d)->Update(o);
        if (a.warm && !std::isnan(o.value)) {
          ++judged;
          flagged += a.p_value < 1e-3;
        }
      }
      points += static_cast<uint64_t>(data.buckets);
    }
    benchmark::DoNotOptimize(flagged);
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
  state.counters["series"] = static_cast<double>(series);
  state.counters["flagged_share"] = judged ? static_cast<double>(flagged) / judged : 0;
}

void RegisterAll() {
  const int64_t all = Series().series;
  const int64_t prefix = std::min(PrefixSeries(), all);
  for (const char* detector : {"ensemble", "seasonal"}) {
    std::vector<int64_t> counts = {prefix};
    if (all != prefix) counts.push_back(all);
    for (int64_t n : counts) {
      std::string name = std::string("BM_Detect/") + detector + "/series:" + std::to_string(n);
      auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Detect, std::string(detector), n);
      b->Unit(benchmark::kMillisecond);
      if (n == all) {
        b->Iterations(1);  // tens of seconds each: one pass is plenty of points
      } else {
        b->MinTime(2.0);
      }
    }
  }
}

// `--write_series=PATH [--series=N]`: writes the benchmark series and exits.
int WriteSeries(const std::string& path, int64_t series) {
  auto status = vigil::bench::WriteNpy(vigil::bench::GenerateSeries(series), path);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 1;
  }
  std::printf("wrote %s: %lld series x %lld buckets\n", path.c_str(),
              static_cast<long long>(series), static_cast<long long>(vigil::bench::kWeekBuckets));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string write_path;
  int64_t series = 10000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--write_series=", 15) == 0) write_path = argv[i] + 15;
    if (std::strncmp(argv[i], "--series=", 9) == 0) series = std::atoll(argv[i] + 9);
  }
  if (!write_path.empty()) return WriteSeries(write_path, series);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
