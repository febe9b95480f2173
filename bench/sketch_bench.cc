// Throughput of the sketches on the ingest hot path (Add) and on the query path (Merge,
// Quantile, Estimate).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/hash.h"
#include "vigil/sketch.h"

namespace vigil {
namespace {

// Latency-like values: log-normal around 300 ms.
std::vector<double> Latencies(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(300.0), 0.8);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

void BM_QuantileAdd(benchmark::State& state) {
  const std::vector<double> values = Latencies(1 << 16, 1);
  QuantileSketch s;
  size_t i = 0;
  for (auto _ : state) {
    s.Add(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(s);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuantileAdd);

// A fresh sketch per batch of values: includes the window growth of a new cube cell.
void BM_QuantileAddFreshSketch(benchmark::State& state) {
  const std::vector<double> values = Latencies(state.range(0), 2);
  for (auto _ : state) {
    QuantileSketch s;
    for (double v : values) s.Add(v);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_QuantileAddFreshSketch)->Arg(16)->Arg(1000);

void BM_QuantileMerge(benchmark::State& state) {
  QuantileSketch a, b;
  for (double v : Latencies(100000, 3)) a.Add(v);
  for (double v : Latencies(100000, 4)) b.Add(v);
  for (auto _ : state) {
    QuantileSketch target = a;
    target.Merge(b);
    benchmark::DoNotOptimize(target);
  }
}
BENCHMARK(BM_QuantileMerge);

void BM_QuantileQuantile(benchmark::State& state) {
  QuantileSketch s;
  for (double v : Latencies(100000, 5)) s.Add(v);
  double q = 0.95;
  for (auto _ : state) benchmark::DoNotOptimize(s.Quantile(q));
}
BENCHMARK(BM_QuantileQuantile);

void BM_QuantileSerializeRoundTrip(benchmark::State& state) {
  QuantileSketch s;
  for (double v : Latencies(100000, 6)) s.Add(v);
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    s.Serialize(&bytes);
    std::string_view in = bytes;
    auto r = QuantileSketch::Deserialize(&in);
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_QuantileSerializeRoundTrip);

std::vector<std::string> DeviceIds(size_t n) {
  std::vector<std::string> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = "device-" + std::to_string(i * 2654435761u);
  return ids;
}

// Adds of fresh device ids into one sketch of ~1e6 distinct values (dense).
void BM_DistinctAddDense(benchmark::State& state) {
  const std::vector<std::string> ids = DeviceIds(1 << 20);
  DistinctSketch s;
  size_t i = 0;
  for (auto _ : state) {
    s.Add(ids[i]);
    i = (i + 1) & (ids.size() - 1);
  }
  benchmark::DoNotOptimize(s);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DistinctAddDense);

// A fresh sketch per batch of `range` distinct ids: the sparse form of a small cube cell.
void BM_DistinctAddSparse(benchmark::State& state) {
  const std::vector<std::string> ids = DeviceIds(state.range(0));
  for (auto _ : state) {
    DistinctSketch s;
    for (const auto& id : ids) s.Add(id);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DistinctAddSparse)->Arg(100)->Arg(2000);

void BM_DistinctMergeDense(benchmark::State& state) {
  DistinctSketch a, b;
  for (int i = 0; i < 100000; ++i) a.AddHash(internal::Mix64(i));
  for (int i = 0; i < 100000; ++i) b.AddHash(internal::Mix64(i + 50000));
  for (auto _ : state) {
    DistinctSketch target = a;
    target.Merge(b);
    benchmark::DoNotOptimize(target);
  }
}
BENCHMARK(BM_DistinctMergeDense);

void BM_DistinctEstimate(benchmark::State& state) {
  DistinctSketch s;
  for (int i = 0; i < 100000; ++i) s.AddHash(internal::Mix64(i));
  for (auto _ : state) benchmark::DoNotOptimize(s.Estimate());
}
BENCHMARK(BM_DistinctEstimate);

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();
