#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "sim/detectability.h"
#include "sim/event_writer.h"
#include "sim/fleet.h"
#include "sim/random_world.h"
#include "sim/scenario.h"
#include "sim/truth.h"
#include "vigil/sim.h"

namespace vigil {
namespace {

bool IsRandomWorld(const SimulationOptions& o) { return o.scenario == sim::kRandomWorld; }

Result<sim::Scenario> LoadScenario(const SimulationOptions& o) {
  if (IsRandomWorld(o)) {
    return sim::ParseScenario(sim::RandomWorldYaml(o.seed),
                              "random world (seed " + std::to_string(o.seed) + ")");
  }
  return sim::LoadScenario(o.scenario);
}

Result<std::unique_ptr<sim::Fleet>> MakeFleet(const SimulationOptions& o) {
  VIGIL_ASSIGN_OR_RETURN(sim::Scenario s, LoadScenario(o));
  sim::Fleet::Options fo;
  fo.start = o.start.value_or(s.start);
  fo.days = o.days.value_or(s.days);
  fo.events_per_day = o.events_per_day.value_or(s.events_per_day);
  fo.seed = o.seed;
  return sim::Fleet::Create(s, fo);
}

constexpr size_t kChunk = 1 << 20;

Result<SimulationSummary> Run(const SimulationOptions& options, const SimByteSink& sink,
                              std::string* truth_json) {
  auto t0 = std::chrono::steady_clock::now();
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<sim::Fleet> fleet, MakeFleet(options));
  SimulationSummary summary;
  summary.start = fleet->Start();
  summary.end = fleet->End();

  VIGIL_ASSIGN_OR_RETURN(auto out, sim::StreamCompressor::Create(options.compression, sink));
  sim::EventFormatter formatter(*fleet, options.format);
  sim::ByteBuffer buf;
  buf.Append(formatter.Header());
  std::vector<sim::SimEvent> events;
  sim::DetectabilityCounter detectability(*fleet);
  for (int64_t m = 0; m < fleet->Minutes(); ++m) {
    events.clear();
    fleet->GenerateMinute(m, &events);
    for (const sim::SimEvent& e : events) {
      formatter.Append(e, &buf);
      detectability.Add(e);
    }
    summary.events += static_cast<int64_t>(events.size());
    if (buf.size() >= kChunk) {
      summary.raw_bytes += static_cast<int64_t>(buf.size());
      VIGIL_RETURN_IF_ERROR(out->Write(buf.view()));
      buf.clear();
    }
  }
  summary.raw_bytes += static_cast<int64_t>(buf.size());
  VIGIL_RETURN_IF_ERROR(out->Write(buf.view()));
  VIGIL_RETURN_IF_ERROR(out->Finish());
  summary.bytes = out->bytes_out();
  std::vector<double> figures = detectability.Figures();
  std::string truth = sim::TruthJson(*fleet, &summary.incidents, &summary.decoys, &figures);
  if (truth_json) *truth_json = std::move(truth);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

Status WriteFile(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return IoError("cannot write '" + path + "'");
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? Status::Ok() : IoError("cannot write '" + path + "'");
}

}  // namespace

Result<SimulationSummary> SimulateToSink(const SimulationOptions& options, const SimByteSink& sink,
                                         std::string* truth_json) {
  return Run(options, sink, truth_json);
}

Result<SimulationSummary> Simulate(const SimulationOptions& options) {
  if (options.out_dir.empty()) return InvalidArgument("no output directory (--out)");
  // Fail on a bad scenario before touching the output directory.
  if (!IsRandomWorld(options)) VIGIL_RETURN_IF_ERROR(CheckScenario(options.scenario));
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return IoError("cannot create directory '" + options.out_dir + "': " + ec.message());
  std::string events_path = options.out_dir + "/events." +
                            (options.format == SimFormat::kCsv ? "csv" : "jsonl") +
                            (options.compression == SimCompression::kGzip   ? ".gz"
                             : options.compression == SimCompression::kZstd ? ".zst"
                                                                            : "");
  std::string truth_path = options.out_dir + "/truth.json";
  std::FILE* f = std::fopen(events_path.c_str(), "wb");
  if (!f) return IoError("cannot write '" + events_path + "'");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(f, &std::fclose);
  std::string truth;
  auto sink = [&](std::string_view chunk) -> Status {
    if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) {
      return IoError("cannot write '" + events_path + "' (disk full?)");
    }
    return Status::Ok();
  };
  VIGIL_ASSIGN_OR_RETURN(SimulationSummary summary, Run(options, sink, &truth));
  if (std::fclose(file.release()) != 0) return IoError("cannot write '" + events_path + "'");
  VIGIL_RETURN_IF_ERROR(WriteFile(truth_path, truth));
  // A drawn world is kept beside its events, so it can be read and replayed as a scenario file.
  if (IsRandomWorld(options)) {
    VIGIL_RETURN_IF_ERROR(
        WriteFile(options.out_dir + "/world.yaml", sim::RandomWorldYaml(options.seed)));
  }
  summary.events_path = events_path;
  summary.truth_path = truth_path;
  return summary;
}

std::vector<std::string> BuiltinScenarioNames() { return sim::BuiltinScenarios(); }

Status CheckScenario(const std::string& name_or_path) {
  if (name_or_path == sim::kRandomWorld) return Status::Ok();
  auto s = sim::LoadScenario(name_or_path);
  return s.ok() ? Status::Ok() : s.status();
}

}  // namespace vigil
