// The compiled fleet model: turns a Scenario into a stream of turn events, minute by minute.
//
// Traffic: each locale's rate follows its diurnal and weekly shape in local time (holidays use
// the weekend shape times the holiday factor); a minute's count is Poisson with the summed rate,
// normalized so the whole run holds days × events_per_day turns on average. Each event then
// draws, from its own random stream: its locale, a device of that locale (heavy repeat use),
// the device's platform/model/OS/region and software versions (adoption curves), the network,
// ASR mode and conversation mode, stage latencies (log-normal bodies with a Pareto tail; device
// stages scale with the model's speed, server stages with regional load and network round
// trips), failures, rephrases and barge-ins. Injections then act on the events of their slice.
//
// Because every event has its own stream, disabling the injections changes nothing but the
// events inside injected slices and windows (tests use this as a counterfactual).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace vigil::sim {

enum class Outcome : uint8_t { kOk, kError, kTimeout, kCancelled };
const char* OutcomeName(Outcome outcome);

/// Index of e2e in SimEvent::latency (after the five stages).
constexpr int kE2e = kStageCount;

/// One simulated turn. Dimension values are indices into Fleet::Values(dim).
struct SimEvent {
  TimeMs ts = 0;
  uint64_t request_id = 0;
  uint64_t device_id = 0;
  std::array<uint16_t, kDimCount> dims{};
  std::array<float, kStageCount + 1> latency{};  ///< ms; stages then e2e
  uint8_t latency_mask = 0;                      ///< bit i: latency[i] present
  Outcome outcome = Outcome::kOk;
  int16_t error_kind = -1;  ///< index into Fleet::ErrorKinds(), -1 when ok
  uint32_t err_a = 0;       ///< random bits for a message's variable parts
  uint32_t err_b = 0;       ///< milliseconds shown in a message
  bool rephrased = false, barge_in = false, false_barge_in = false;

  bool Has(int i) const { return (latency_mask >> i) & 1; }
};

/// An error code with its message template.
struct ErrorKind {
  std::string code;
  std::string message;
};

struct FleetModel;  // the compiled scenario (sim/fleet_model.h)

/// Resolved injection, with absolute times.
struct ResolvedInjection {
  const Injection* spec = nullptr;
  TimeMs onset = 0, end = 0;  ///< end exclusive, clipped to the run
  int64_t ramp_ms = 0;
};

class Fleet {
 public:
  struct Options {
    TimeMs start = 0;
    int days = 1;
    int64_t events_per_day = 1000;
    uint64_t seed = 1;
    bool inject = true;  ///< false: the same run without incidents and decoys
  };

  /// Compiles the scenario; errors are kConfig or kInvalidArgument.
  static Result<std::unique_ptr<Fleet>> Create(const Scenario& scenario, const Options& options);

  ~Fleet();

  int64_t Minutes() const { return minutes_; }
  TimeMs Start() const { return options_.start; }
  TimeMs End() const { return options_.start + minutes_ * kMinuteMs; }
  const Scenario& scenario() const { return scenario_; }

  /// The values of a dimension, in the order their indices refer to.
  const std::vector<std::string>& Values(Dim dim) const { return values_[static_cast<int>(dim)]; }
  /// Index of `value` in Values(dim), or -1.
  int ValueIndex(Dim dim, const std::string& value) const;
  const std::vector<ErrorKind>& ErrorKinds() const { return error_kinds_; }
  /// Injections that overlap the run (in scenario order).
  const std::vector<ResolvedInjection>& Injections() const { return injections_; }

  /// Appends the events that start in minute `minute` (0-based), in time order.
  void GenerateMinute(int64_t minute, std::vector<SimEvent>* out);

  /// Expected traffic share of each locale (scenario order), as configured.
  std::vector<double> LocaleShares() const;

 private:
  Fleet(const Scenario& scenario, const Options& options);
  Status Compile();  // fleet_compile.cc

  Scenario scenario_;
  Options options_;
  int64_t minutes_ = 0;
  std::array<std::vector<std::string>, kDimCount> values_;
  std::vector<ErrorKind> error_kinds_;
  std::vector<ResolvedInjection> injections_;
  std::unique_ptr<FleetModel> model_;
};

}  // namespace vigil::sim
