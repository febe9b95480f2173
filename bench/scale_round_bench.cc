// Detection at scale: one monitor `each: [d0, d1, ...], depth: 2` over days of 5-minute
// buckets, so the series count is set by the dimensions and their values (10³, 10⁴, 10⁵).
// Two regressions are planted in the last hour (failures up on d0=v0, and on d1=v1 × d2=v2),
// which makes about 1 series in 200 anomalous, with their parents and children.
// Per size: the batch (Detect over the history, every round at once), the service's first round
// (Investigate with a DetectionState), then its rounds over an hour of closed buckets (each
// judged, anomalies formed, explained away, deduplicated, grouped and explained); the state held
// per series (resident memory beyond the cube's) and the peak. Events go straight into the cube (no
// JSON), so what is timed is detection.
//   scale_round_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/pipeline.h"

namespace {

using vigil::Cube;
using vigil::TimeMs;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr int64_t kBucket = 5 * vigil::kMinuteMs;
constexpr int64_t kRounds = 12;  // an hour of closed buckets after the first round

std::shared_ptr<const vigil::Config> ScaleConfig(int dimensions) {
  std::string names;
  for (int d = 0; d < dimensions; ++d) names += (d ? ", d" : "d") + std::to_string(d);
  auto c = vigil::Config::Parse(R"(
input:
  time: ts
  dimensions: [)" + names + R"(]
  attributes: {outcome: outcome}
cube: {granularity: 5m}
metrics:
  fail_rate: {type: rate, where: "outcome != 'ok'"}
monitors:
  - {metric: fail_rate, each: [)" + names +
                                    R"(], depth: 2, min_volume: 5}
detect: {warmup: 2h}
)",
                                "<scale>");
  if (!c.ok()) std::abort();
  return std::make_shared<const vigil::Config>(std::move(*c));
}

// Buckets [first, last): `per_bucket` events each, every dimension uniform over `values`; the
// regressions from bucket `onset` on.
void AddEvents(Cube* cube, int64_t first, int64_t last, int per_bucket, int dimensions, int values,
               int64_t onset, std::mt19937* rng) {
  std::vector<std::string> names;
  for (int v = 0; v < values; ++v) names.push_back("v" + std::to_string(v));
  vigil::Event e;
  e.dimensions.resize(dimensions);
  e.attributes.resize(1);
  std::vector<int> picked(dimensions);
  for (int64_t k = first; k < last; ++k) {
    for (int i = 0; i < per_bucket; ++i) {
      e.time = kStart + k * kBucket + i * (kBucket / per_bucket);
      for (int d = 0; d < dimensions; ++d) {
        picked[d] = static_cast<int>((*rng)() % values);
        e.dimensions[d] = names[picked[d]];
      }
      double fail = 0.05;
      if (k >= onset && picked[0] == 0) fail = 0.3;
      if (k >= onset && picked[1] == 1 && picked[2] == 2) fail = 0.4;
      e.attributes[0] = std::uniform_real_distribution<>(0, 1)(*rng) < fail ? "error" : "ok";
      if (!cube->Add(e).ok()) std::abort();
    }
  }
}

double ResidentMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Resident memory now (not the peak): what the cube, then the cube and the carried state hold.
double CurrentMb() {
  malloc_trim(0);  // what was freed is not held
  std::ifstream statm("/proc/self/statm");
  double pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Arguments: dimensions, values of each, events per bucket, whether to time the batch too (it
// holds every series at once: left out where memory is the question), days of history, and the
// carried state's horizon in days (0: it holds every series whole).
void BM_ScaleRound(benchmark::State& state) {
  const int dimensions = static_cast<int>(state.range(0));
  const int values = static_cast<int>(state.range(1));
  const int per_bucket = static_cast<int>(state.range(2));
  const bool with_batch = state.range(3) != 0;
  const int64_t history = state.range(4) * 288 + 24;  // buckets: the days and two hours
  const int64_t onset = history - 12;
  const int64_t horizon_days = state.range(5);
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937 rng(7);
    Cube cube(ScaleConfig(dimensions));
    AddEvents(&cube, 0, history, per_bucket, dimensions, values, onset, &rng);
    double cube_mb = CurrentMb();
    state.ResumeTiming();
    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    const TimeMs end = kStart + history * kBucket;
    auto t0 = std::chrono::steady_clock::now();
    if (with_batch) {
      vigil::DetectOptions batch;
      batch.to = end;
      if (!vigil::Detect(cube, batch).ok()) std::abort();
    }
    auto t1 = std::chrono::steady_clock::now();
    // The service: a first round reads the whole history, then a round per closed bucket.
    vigil::DetectionState carried;
    carried.set_horizon(horizon_days * vigil::kDayMs);
    vigil::InvestigateOptions service;
    service.state = &carried;
    service.data_end = end;
    service.settled_before = end - vigil::kDayMs;
    auto first_round = vigil::Investigate(cube, service);
    auto t2 = std::chrono::steady_clock::now();
    double state_mb = CurrentMb();
    if (!first_round.ok()) std::abort();
    // Then an hour of rounds, one per closed bucket, each in two parts: reading and judging the
    // bucket (Detect carried), then the rest (Investigate over the same end: nothing new to read;
    // p-values, cohorts, runs, explain-away, grouping and explanation). The held vectors of all
    // series grow together, so a round that doubles their capacity costs more than the others:
    // the median and the slowest round are both reported.
    std::vector<double> judge, rest, whole;
    size_t anomalies = 0, candidates = 0, incidents = 0;
    for (int64_t k = history; k < history + kRounds; ++k) {
      state.PauseTiming();
      AddEvents(&cube, k, k + 1, per_bucket, dimensions, values, onset, &rng);
      state.ResumeTiming();
      auto t3 = std::chrono::steady_clock::now();
      vigil::DetectOptions round;
      round.state = &carried;
      round.to = kStart + (k + 1) * kBucket;
      auto judged = vigil::Detect(cube, round);
      auto t4 = std::chrono::steady_clock::now();
      service.data_end = round.to;
      auto next_round = vigil::Investigate(cube, service);
      auto t5 = std::chrono::steady_clock::now();
      if (!judged.ok() || !next_round.ok()) std::abort();
      judge.push_back(seconds(t3, t4));
      rest.push_back(seconds(t4, t5));
      whole.push_back(seconds(t3, t5));
      anomalies = next_round->detection.anomalies.size();
      candidates = next_round->detection.candidates;
      incidents = next_round->incidents.size();
    }
    const auto series = static_cast<double>(carried.series());
    state.counters["series"] = series;
    state.counters["cells"] = static_cast<double>(cube.cell_count());
    state.counters["cube_mb"] = cube_mb;
    state.counters["state_kb_per_series"] = (state_mb - cube_mb) * 1024 / series;
    if (with_batch) state.counters["batch_s"] = seconds(t0, t1);
    state.counters["first_round_s"] = seconds(t1, t2);
    state.counters["judge_median_s"] = Median(judge);
    state.counters["rest_median_s"] = Median(rest);
    state.counters["round_median_s"] = Median(whole);
    state.counters["round_max_s"] = *std::max_element(whole.begin(), whole.end());
    state.counters["points_held_per_series"] = static_cast<double>(carried.points_held()) / series;
    state.counters["anomalies"] = static_cast<double>(anomalies);
    state.counters["candidates"] = static_cast<double>(candidates);
    state.counters["incidents"] = static_cast<double>(incidents);
    state.counters["peak_rss_mb"] = ResidentMb();
  }
}
// About 10³, 10⁴ and 10⁵ series over two days.
BENCHMARK(BM_ScaleRound)
    ->Args({4, 12, 1000, 1, 2, 0})
    ->Args({5, 30, 4000, 1, 2, 0})
    ->Args({10, 47, 8000, 0, 2, 0})
    // A week of history held whole, and with the service's horizon (two days).
    ->Args({5, 30, 4000, 0, 7, 0})
    ->Args({5, 30, 4000, 0, 7, 2})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
