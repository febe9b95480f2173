// Detection at scale, with many-valued dimensions: one monitor `each: [a, b, c], depth: 2` over a
// day of 5-minute buckets, so the series count is set by the dimensions' values (10³, 10⁴, ...).
// Per size: the batch (Detect over the day, every round at once), the first round of carried
// detection (DetectionState) and then one round for one more closed bucket; the resident memory
// after each. Events go straight into the cube (no JSON), so what is timed is detection.
//   scale_round_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/detect.h"

namespace {

using vigil::Cube;
using vigil::TimeMs;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr int64_t kBucket = 5 * vigil::kMinuteMs;

std::shared_ptr<const vigil::Config> ScaleConfig() {
  auto c = vigil::Config::Parse(R"(
input:
  time: ts
  dimensions: [a, b, c]
  attributes: {outcome: outcome}
cube: {granularity: 5m}
metrics:
  fail_rate: {type: rate, where: "outcome != 'ok'"}
monitors:
  - {metric: fail_rate, each: [a, b, c], depth: 2, min_volume: 5}
detect: {warmup: 2h}
)",
                                "<scale>");
  if (!c.ok()) std::abort();
  return std::make_shared<const vigil::Config>(std::move(*c));
}

// Events of buckets [first, last): `per_bucket` each, a uniform over 8 values, b over nb, c over
// nc.
void AddEvents(Cube* cube, int64_t first, int64_t last, int per_bucket, int nb, int nc,
               std::mt19937* rng) {
  for (int64_t k = first; k < last; ++k) {
    for (int i = 0; i < per_bucket; ++i) {
      vigil::Event e;
      e.time = kStart + k * kBucket + i * (kBucket / per_bucket);
      e.dimensions = {"a" + std::to_string((*rng)() % 8), "b" + std::to_string((*rng)() % nb),
                      "c" + std::to_string((*rng)() % nc)};
      e.attributes = {(*rng)() % 20 == 0 ? "error" : "ok"};
      if (!cube->Add(e).ok()) std::abort();
    }
  }
}

double ResidentMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Arguments: values of b, values of c, events per bucket.
void BM_ScaleRound(benchmark::State& state) {
  const int nb = static_cast<int>(state.range(0));
  const int nc = static_cast<int>(state.range(1));
  const int per_bucket = static_cast<int>(state.range(2));
  constexpr int64_t kDay = 288;  // 5-minute buckets
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937 rng(7);
    Cube cube(ScaleConfig());
    AddEvents(&cube, 0, kDay, per_bucket, nb, nc, &rng);
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    vigil::DetectOptions batch;
    batch.to = kStart + kDay * kBucket;
    auto all = vigil::Detect(cube, batch);
    auto t1 = std::chrono::steady_clock::now();
    vigil::DetectionState carried;
    vigil::DetectOptions round;
    round.state = &carried;
    round.to = batch.to;
    auto first = vigil::Detect(cube, round);
    auto t2 = std::chrono::steady_clock::now();
    state.PauseTiming();
    AddEvents(&cube, kDay, kDay + 1, per_bucket, nb, nc, &rng);
    state.ResumeTiming();
    auto t3 = std::chrono::steady_clock::now();
    round.to = batch.to + kBucket;
    auto next = vigil::Detect(cube, round);
    auto t4 = std::chrono::steady_clock::now();
    if (!all.ok() || !first.ok() || !next.ok()) std::abort();
    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    state.counters["series"] = static_cast<double>(next->series);
    state.counters["batch_s"] = seconds(t0, t1);
    state.counters["first_round_s"] = seconds(t1, t2);
    state.counters["bucket_round_s"] = seconds(t3, t4);
    state.counters["points_judged"] = static_cast<double>(next->points);
    state.counters["anomalies"] = static_cast<double>(next->anomalies.size());
    state.counters["peak_rss_mb"] = ResidentMb();
    state.counters["cells"] = static_cast<double>(cube.cell_count());
  }
}
// About 10³, 3·10³ and 10⁴ series.
BENCHMARK(BM_ScaleRound)
    ->Args({30, 20, 2000})
    ->Args({60, 40, 4000})
    ->Args({110, 80, 8000})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
