// Ingest throughput on a JSON Lines file of the DESIGN §2.1 schema: vigil end to end (parse, map,
// aggregate into the cube) against simdjson parsing the same lines and doing nothing else, the
// ceiling for any JSON-based ingest. The file comes from VIGIL_BENCH_EVENTS (bench/run.sh makes
// it).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "ingest/file_reader.h"
#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/ingest.h"

namespace {

const char* EventsPath() {
  const char* p = std::getenv("VIGIL_BENCH_EVENTS");
  return p ? p : "out/bench/events.jsonl";
}

std::shared_ptr<const vigil::Config> SpeechConfig() {
  static std::shared_ptr<const vigil::Config> config = [] {
    const char* dir = std::getenv("VIGIL_SOURCE_DIR");
    std::string path = std::string(dir ? dir : ".") + "/examples/speech/vigil.yaml";
    auto c = vigil::Config::Load(path);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().message().c_str());
      std::exit(1);
    }
    return std::make_shared<const vigil::Config>(std::move(*c));
  }();
  return config;
}

const vigil::internal::InputData& Events() {
  static vigil::internal::InputData buffer = [] {
    auto info = vigil::internal::CheckInput(EventsPath());
    auto opened = info.ok() ? vigil::internal::OpenInput(*info, std::chrono::seconds(10))
                            : vigil::Result<vigil::internal::OpenedInput>(info.status());
    if (!opened.ok() || opened->stream) {
      std::fprintf(stderr, "%s: %s (run bench/run.sh to create it)\n", EventsPath(),
                   opened.ok() ? "not a plain file" : opened.status().message().c_str());
      std::exit(1);
    }
    return std::move(opened->mapped);
  }();
  return buffer;
}

void BM_VigilIngest(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const auto& events = Events();  // read once, outside the timing: the file is in the page cache
  (void)events;
  uint64_t n = 0, bytes = 0;
  for (auto _ : state) {
    vigil::Cube cube(SpeechConfig());
    vigil::IngestOptions options;
    options.threads = threads;
    auto stats = vigil::IngestFiles({EventsPath()}, &cube, options);
    if (!stats.ok()) {
      state.SkipWithError(stats.status().message().c_str());
      return;
    }
    n += stats->events;
    bytes += stats->bytes;
    benchmark::DoNotOptimize(cube.cell_count());
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["events_per_s_per_core"] =
      benchmark::Counter(static_cast<double>(n) / threads, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_VigilIngest)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// simdjson DOM parse of every line, touching nothing: the ceiling.
void BM_SimdjsonParseOnly(benchmark::State& state) {
  const auto& buf = Events();
  simdjson::dom::parser parser;
  uint64_t n = 0;
  for (auto _ : state) {
    const char* p = buf.data();
    const char* end = p + buf.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      size_t len = (nl ? nl : end) - p;
      simdjson::dom::element doc;
      if (len && !parser.parse(reinterpret_cast<const uint8_t*>(p), len, false).get(doc)) ++n;
      p += len + 1;
    }
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(buf.size()) * state.iterations());
}
BENCHMARK(BM_SimdjsonParseOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
