// Simulator throughput on one core: events/s generating turns, and writing JSON Lines to memory.
// Run: build-bench/bench/sim_bench (or bench/run.sh). Counters: items_per_second (events/s),
// bytes_per_second (JSONL bytes/s).
#include <benchmark/benchmark.h>

#include "sim/event_writer.h"
#include "sim/fleet.h"
#include "sim/scenario.h"
#include "vigil/sim.h"

namespace {

constexpr int64_t kEventsPerDay = 500000;

// Generation only: the fleet model, no formatting.
void BM_SimGenerate(benchmark::State& state) {
  auto scenario = vigil::sim::LoadScenario("demo");
  vigil::sim::Fleet::Options o;
  o.start = scenario->start;
  o.days = 1;
  o.events_per_day = kEventsPerDay;
  auto fleet = vigil::sim::Fleet::Create(*scenario, o);
  std::vector<vigil::sim::SimEvent> events;
  int64_t n = 0;
  for (auto _ : state) {
    for (int64_t m = 0; m < (*fleet)->Minutes(); ++m) {
      events.clear();
      (*fleet)->GenerateMinute(m, &events);
      n += static_cast<int64_t>(events.size());
    }
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_SimGenerate)->Unit(benchmark::kMillisecond)->UseRealTime();

// The whole path of `vigil simulate` minus the disk: generate, format, hand chunks to a sink.
void Simulate(benchmark::State& state, vigil::SimFormat format, vigil::SimCompression compression) {
  vigil::SimulationOptions o;
  o.scenario = "demo";
  o.days = 1;
  o.events_per_day = kEventsPerDay;
  o.format = format;
  o.compression = compression;
  int64_t events = 0, bytes = 0;
  for (auto _ : state) {
    auto r = vigil::SimulateToSink(
        o,
        [](std::string_view chunk) {
          benchmark::DoNotOptimize(chunk.data());
          return vigil::Status::Ok();
        },
        nullptr);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    events += r->events;
    bytes += r->raw_bytes;
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(bytes);
}

void BM_SimJsonl(benchmark::State& state) {
  Simulate(state, vigil::SimFormat::kJsonl, vigil::SimCompression::kNone);
}
void BM_SimCsv(benchmark::State& state) {
  Simulate(state, vigil::SimFormat::kCsv, vigil::SimCompression::kNone);
}
void BM_SimJsonlZstd(benchmark::State& state) {
  Simulate(state, vigil::SimFormat::kJsonl, vigil::SimCompression::kZstd);
}
BENCHMARK(BM_SimJsonl)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SimCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SimJsonlZstd)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
