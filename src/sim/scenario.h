// The scenario: the simulated fleet (locales, devices, software, pipeline stages) and what is
// injected into it (incidents with ground truth, and decoys that must not page anyone).
// DefaultScenario() is the fleet of the built-ins; a YAML scenario overrides it section by
// section (docs/simulator.md lists every key).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil::sim {

/// The dimensions of DESIGN §2.1, in output order.
enum class Dim : uint8_t {
  kPlatform,
  kOsVersion,
  kDeviceModel,
  kLocale,
  kAppBuild,
  kAsrModel,
  kTtsVoice,
  kAsrMode,
  kConversationMode,
  kNetwork,
  kRegion,
};
constexpr int kDimCount = 11;
/// The field name of a dimension ("device_model").
const char* DimName(Dim dim);
/// The dimension named `name`, if any.
std::optional<Dim> DimFromName(std::string_view name);

/// Pipeline stages in execution order; their latencies sum to e2e.
enum class Stage : uint8_t { kEndpoint, kAsrFinal, kNlu, kDialog, kTtsFirstAudio };
constexpr int kStageCount = 5;
/// The `latency_ms` key of a stage ("asr_final").
const char* StageName(Stage stage);
std::optional<Stage> StageFromName(std::string_view name);

/// Daylight-saving rules, enough for the locales simulated.
enum class DstRule : uint8_t {
  kNone,
  kUs,  ///< second Sunday of March 02:00 local → first Sunday of November 02:00 local
  kEu,  ///< last Sunday of March 01:00 UTC → last Sunday of October 01:00 UTC
  kAu,  ///< first Sunday of October 02:00 local → first Sunday of April 03:00 local (southern)
};

/// A point in time given either absolutely or as an offset from the scenario start.
struct TimeSpec {
  bool absolute = false;
  int64_t value = 0;  ///< epoch ms when absolute, else ms after the start (may be negative)
  TimeMs Resolve(TimeMs start) const { return absolute ? value : start + value; }
};

/// A (value, weight) pair of a categorical distribution.
using Weighted = std::pair<std::string, double>;

struct Holiday {
  int64_t date = 0;     ///< local calendar day, days since 1970-01-01
  double factor = 1.0;  ///< traffic multiplier for that local day
  std::string name;
};

struct LocaleSpec {
  std::string name;
  double share = 0;            ///< share of all turns
  int utc_offset_minutes = 0;  ///< standard-time offset
  DstRule dst = DstRule::kNone;
  std::vector<Weighted> regions;  ///< serving regions of its devices
  std::vector<Holiday> holidays;
};

struct DeviceModelSpec {
  std::string name;
  double share = 0;      ///< within its platform
  double speed = 1.0;    ///< multiplier on on-device stage latencies (larger = slower)
  double on_device = 0;  ///< probability that a connected turn runs ASR on the device
};

struct PlatformSpec {
  std::string name;
  double share = 0;
  double wifi = 1, cellular = 0, offline = 0;  ///< network of a turn
  double full_duplex = 0;                      ///< probability that a turn is full duplex
  std::vector<Weighted> os_versions;
  std::vector<DeviceModelSpec> device_models;
};

/// A software version (app build, ASR model, TTS voice) that rolls out over time. Its adoption
/// rises along an S-curve from 0 at `release` to `max_share` at `release + ramp`; newer versions
/// take their share from the older ones.
struct RolloutSpec {
  std::string name;
  TimeSpec release;
  int64_t ramp_ms = 0;
  double max_share = 1.0;
  double latency_factor = 1.0;   ///< on the stage it serves (asr_final, tts_first_audio)
  double rephrase_factor = 1.0;  ///< on the rephrase probability (ASR models)
};

/// A latency distribution: log-normal body given by two quantiles.
struct LatencySpec {
  double p50 = 100, p95 = 200;
};

struct StageSpec {
  LatencySpec on_device, server;
  double error = 0;                       ///< probability of an error at this stage
  double timeout = 0;                     ///< probability of a timeout (times the network's factor)
  double timeout_ms = 5000;               ///< reported in timeout messages
  std::string error_code, error_message;  ///< message template, see docs/simulator.md
  std::string timeout_code, timeout_message;
};

struct NetworkSpec {
  LatencySpec rtt;            ///< round trip added to server-side asr_final and tts_first_audio
  double timeout_factor = 1;  ///< multiplier on stage timeout probabilities
};

/// A joint injection's defaults: what it adds to the asr_final error probability and to the
/// rephrase probability when the scenario does not say.
constexpr double kJointError = 0.003;
constexpr double kJointRephrase = 0.006;

/// An injected change: an incident (with ground truth) or a decoy.
struct Injection {
  std::string id;
  std::string kind;  ///< see kIncidentKinds / kDecoyKinds
  std::vector<std::pair<Dim, std::string>> slice;
  std::optional<Stage> stage;
  double size = 0;  ///< relative for latency and volume kinds, absolute for rate kinds
  /// joint only: added to the asr_final error probability and to the rephrase probability
  /// (absolute), while `size` scales the asr_final latency.
  double joint_error = kJointError, joint_rephrase = kJointRephrase;
  TimeSpec onset;
  std::optional<int64_t> duration_ms;  ///< none: until the end of the simulation
  int64_t ramp_ms = 0;
  std::string error_code, error_message;  ///< failure_spike / timeout_storm overrides
  bool decoy = false;
};

/// Incident kinds: latency_step, latency_drift, rollout_regression, failure_spike, timeout_storm,
/// rephrase_rise, false_barge_in_rise, volume_drop, joint (asr_final latency and errors and the
/// rephrase rate at once, each modestly).
extern const std::array<const char*, 9> kIncidentKinds;
/// Decoy kinds that are injected (holidays, DST changes and healthy rollouts come from the fleet).
extern const std::array<const char*, 1> kDecoyKinds;

struct Scenario {
  std::string name;
  std::string description;
  TimeMs start = 0;
  int days = 14;
  int64_t events_per_day = 150000;
  double turns_per_device = 5;               ///< mean turns per device per day
  double device_skew = 2.5;                  ///< > 1: heavier repeat use by few devices
  std::array<double, 24> diurnal{};          ///< weekday weights by local hour
  std::array<double, 24> weekend_diurnal{};  ///< Saturday, Sunday and holidays
  std::array<double, 7> weekly{};            ///< Monday .. Sunday
  std::vector<LocaleSpec> locales;
  std::vector<PlatformSpec> platforms;
  std::vector<RolloutSpec> app_builds, asr_models, tts_voices;
  std::array<StageSpec, kStageCount> stages;
  std::array<NetworkSpec, 3> networks;  ///< wifi, cellular, offline
  double load_sensitivity = 0.25;       ///< server latency × (1 + s · (load / mean load − 1))
  double tail_probability = 0.01;       ///< share of each stage's draws in the heavy tail
  double tail_alpha = 1.6;              ///< Pareto index of the tail
  double cancel = 0.01;
  double rephrase = 0.045;
  double rephrase_after_error = 0.4;
  double barge_in = 0.1;
  double false_barge_in = 0.015;
  std::vector<Injection> injections;
};

/// The fleet shared by the built-ins, with no injections.
Scenario DefaultScenario();

/// Names of the built-in scenarios.
std::vector<std::string> BuiltinScenarios();

/// A built-in scenario by name, or a YAML file by path (anything naming an existing file or
/// ending in .yaml/.yml). Errors name the file, line and key (kConfig) or the unknown name.
Result<Scenario> LoadScenario(const std::string& name_or_path);

/// Parses scenario YAML text; `source` names it in error messages.
Result<Scenario> ParseScenario(const std::string& text, const std::string& source);

/// Checks internal consistency (shares, names, slices); errors are kConfig.
Status ValidateScenario(const Scenario& scenario, const std::string& source);

}  // namespace vigil::sim
