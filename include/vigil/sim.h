// The speech-pipeline telemetry simulator: turn events in the DESIGN §2.1 schema for a simulated
// fleet, with injected incidents and their ground truth (DESIGN §5.2). docs/simulator.md
// describes the model, the scenario file format and the built-in scenarios.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

/// Output format of the simulated events.
enum class SimFormat {
  kJsonl,  ///< one JSON object per line, `latency_ms` nested
  kCsv,    ///< a header, then one row per event; dotted column names (`latency_ms.e2e`)
};

/// Compression of the events file.
enum class SimCompression { kNone, kGzip, kZstd };

/// What to simulate and where to write it.
struct SimulationOptions {
  /// A built-in scenario name (`demo`, `smoke`) or the path of a scenario YAML file.
  std::string scenario = "demo";
  std::optional<int> days;                ///< default: the scenario's
  std::optional<int64_t> events_per_day;  ///< mean turns per day; default: the scenario's
  std::optional<TimeMs> start;            ///< first simulated instant; default: the scenario's
  uint64_t seed = 1;                      ///< same options and seed give the same bytes
  SimFormat format = SimFormat::kJsonl;
  SimCompression compression = SimCompression::kNone;
  /// Simulate() writes `events.jsonl` (or `.csv`, plus `.gz`/`.zst`) and `truth.json` here,
  /// creating the directory if needed.
  std::string out_dir;
};

/// What a simulation produced.
struct SimulationSummary {
  int64_t events = 0;     ///< turns written
  int64_t raw_bytes = 0;  ///< event bytes before compression
  int64_t bytes = 0;      ///< event bytes written (after compression)
  int incidents = 0;      ///< injected incidents inside the run (entries of truth.json)
  int decoys = 0;         ///< decoys inside the run
  double seconds = 0;     ///< wall time
  TimeMs start = 0, end = 0;
  std::string events_path, truth_path;  ///< empty when writing to a sink
};

/// Receives the event bytes in order, in chunks of about a megabyte.
using SimByteSink = std::function<Status(std::string_view chunk)>;

/// Simulates into options.out_dir. Errors: kNotFound (unknown scenario), kConfig (bad scenario
/// file; the message names file, line and key), kInvalidArgument, kIoError.
Result<SimulationSummary> Simulate(const SimulationOptions& options);

/// Simulates into `sink` (compressed as the options say) and, when `truth_json` is not null,
/// stores the ground truth there. No files are written.
Result<SimulationSummary> SimulateToSink(const SimulationOptions& options, const SimByteSink& sink,
                                         std::string* truth_json);

/// The names of the built-in scenarios.
std::vector<std::string> BuiltinScenarioNames();

/// Loads and validates a scenario (built-in name or file) without simulating.
Status CheckScenario(const std::string& name_or_path);

}  // namespace vigil
