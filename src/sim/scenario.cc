#include "sim/scenario.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/text.h"

namespace vigil::sim {
namespace {

constexpr const char* kDimNames[kDimCount] = {
    "platform",  "os_version", "device_model",      "locale",  "app_build", "asr_model",
    "tts_voice", "asr_mode",   "conversation_mode", "network", "region"};
constexpr const char* kStageNames[kStageCount] = {"endpoint", "asr_final", "nlu", "dialog",
                                                  "tts_first_audio"};

TimeSpec Offset(int64_t ms) { return TimeSpec{false, ms}; }

// Incidents and decoys of the built-ins, in the scenario file format (one parser for both).
constexpr const char* kDemoInjections = R"(
name: demo
description: A fortnight of a global assistant fleet with eight incidents and four decoys.
start: 2026-03-02
days: 14
events_per_day: 150000
incidents:
  - {id: t1, kind: latency_step, slice: {platform: watchOS, asr_model: asr-42}, stage: asr_final,
     size: 0.8, onset: 2d14h5m, duration: 6h, ramp: 10m}
  - {id: t2, kind: latency_drift, slice: {tts_voice: voice-8}, stage: tts_first_audio,
     size: 1.5, onset: 3d6h, duration: 2d}
  - {id: t3, kind: failure_spike, slice: {app_build: 2026.10.2}, stage: tts_first_audio,
     size: 0.05, onset: 4d19h30m, duration: 3h, ramp: 5m}
  - {id: t4, kind: timeout_storm, slice: {network: cellular, region: us-east}, stage: asr_final,
     size: 0.08, onset: 7d16h, duration: 2h30m, ramp: 5m}
  - {id: t5, kind: rephrase_rise, slice: {locale: de-DE, asr_model: asr-42}, size: 0.08,
     onset: 8d7h, duration: 10h, ramp: 30m}
  - {id: t6, kind: false_barge_in_rise, slice: {device_model: iPhone 16}, size: 0.06,
     onset: 9d13h, duration: 5h, ramp: 10m}
  - {id: t7, kind: volume_drop, slice: {locale: fr-FR}, size: 0.7, onset: 10d9h, duration: 3h,
     ramp: 5m}
  - {id: t8, kind: rollout_regression, slice: {asr_model: asr-43}, stage: asr_final, size: 0.8,
     onset: 11d}
decoys:
  - {id: d1, kind: mix_shift, slice: {device_model: iPhone 12}, size: 0.35, onset: 5d14h,
     duration: 14h, ramp: 2h}
)";

constexpr const char* kSmokeInjections = R"(
name: smoke
description: Two small days for tests; two incidents and a mix-shift decoy.
start: 2026-03-02
days: 2
events_per_day: 20000
incidents:
  - {id: t1, kind: latency_step, slice: {platform: watchOS}, stage: asr_final, size: 0.8,
     onset: 1d10h, duration: 6h, ramp: 10m}
  - {id: t2, kind: failure_spike, slice: {region: eu-central}, stage: dialog, size: 0.1,
     onset: 1d18h, duration: 3h, ramp: 5m}
decoys:
  - {id: d1, kind: mix_shift, slice: {device_model: iPhone 12}, size: 0.35, onset: 14h,
     duration: 8h, ramp: 1h}
)";

}  // namespace

const std::array<const char*, 9> kIncidentKinds = {
    "latency_step",  "latency_drift",       "rollout_regression", "failure_spike", "timeout_storm",
    "rephrase_rise", "false_barge_in_rise", "volume_drop",        "joint"};
const std::array<const char*, 1> kDecoyKinds = {"mix_shift"};

const char* DimName(Dim dim) { return kDimNames[static_cast<int>(dim)]; }
std::optional<Dim> DimFromName(std::string_view name) {
  for (int i = 0; i < kDimCount; ++i) {
    if (name == kDimNames[i]) return static_cast<Dim>(i);
  }
  return std::nullopt;
}
const char* StageName(Stage stage) { return kStageNames[static_cast<int>(stage)]; }
std::optional<Stage> StageFromName(std::string_view name) {
  for (int i = 0; i < kStageCount; ++i) {
    if (name == kStageNames[i]) return static_cast<Stage>(i);
  }
  return std::nullopt;
}

Scenario DefaultScenario() {
  Scenario s;
  s.name = "default";
  s.start = DaysFromCivil(2026, 3, 2) * kDayMs;
  s.diurnal = {0.35, 0.22, 0.15, 0.11, 0.10, 0.13, 0.30, 0.65, 0.95, 1.05, 1.10, 1.15,
               1.20, 1.15, 1.10, 1.10, 1.15, 1.30, 1.50, 1.65, 1.70, 1.45, 1.05, 0.65};
  s.weekend_diurnal = {0.45, 0.30, 0.20, 0.14, 0.11, 0.11, 0.18, 0.35, 0.65, 0.95, 1.20, 1.35,
                       1.40, 1.35, 1.30, 1.30, 1.35, 1.45, 1.55, 1.60, 1.55, 1.30, 0.95, 0.65};
  s.weekly = {1.00, 1.02, 1.03, 1.04, 1.06, 0.92, 0.85};
  auto holi = [](double f) { return std::vector<Holiday>{{DaysFromCivil(2026, 3, 4), f, "Holi"}}; };
  s.locales = {
      {"en-US", 0.30, -300, DstRule::kUs, {{"us-east", 0.6}, {"us-west", 0.4}}, {}},
      {"es-US", 0.05, -360, DstRule::kUs, {{"us-east", 0.3}, {"us-west", 0.7}}, {}},
      {"en-GB", 0.07, 0, DstRule::kEu, {{"eu-west", 1}}, {}},
      {"de-DE", 0.07, 60, DstRule::kEu, {{"eu-central", 1}}, {}},
      {"fr-FR", 0.06, 60, DstRule::kEu, {{"eu-central", 0.5}, {"eu-west", 0.5}}, {}},
      {"es-ES", 0.04, 60, DstRule::kEu, {{"eu-west", 1}}, {}},
      {"it-IT", 0.03, 60, DstRule::kEu, {{"eu-central", 1}}, {}},
      {"ja-JP", 0.09, 540, DstRule::kNone, {{"ap-northeast", 1}}, {}},
      {"zh-CN", 0.08, 480, DstRule::kNone, {{"ap-east", 1}}, {}},
      {"hi-IN", 0.06, 330, DstRule::kNone, {{"ap-south", 1}}, holi(0.55)},
      {"en-IN", 0.04, 330, DstRule::kNone, {{"ap-south", 1}}, holi(0.7)},
      {"pt-BR", 0.05, -180, DstRule::kNone, {{"sa-east", 1}}, {}},
      {"en-AU", 0.03, 600, DstRule::kAu, {{"ap-southeast", 1}}, {}},
      {"ko-KR", 0.03, 540, DstRule::kNone, {{"ap-northeast", 1}}, {}},
  };
  s.platforms = {
      {"iOS",
       0.58,
       0.62,
       0.36,
       0.02,
       0.30,
       {{"18.3", 0.15}, {"18.4", 0.30}, {"18.5", 0.55}},
       {{"iPhone 12", 0.10, 1.8, 0.30},
        {"iPhone 13", 0.16, 1.30, 0.45},
        {"iPhone 14", 0.20, 1.15, 0.55},
        {"iPhone 15", 0.26, 1.00, 0.70},
        {"iPhone 16", 0.28, 0.85, 0.80}}},
      {"macOS",
       0.14,
       0.90,
       0.08,
       0.02,
       0.15,
       {{"15.3", 0.3}, {"15.4", 0.7}},
       {{"MacBook Air M1", 0.30, 1.10, 0.60},
        {"MacBook Pro M3", 0.40, 0.75, 0.80},
        {"iMac M4", 0.30, 0.70, 0.80}}},
      {"watchOS",
       0.14,
       0.45,
       0.50,
       0.05,
       0.0,
       {{"11.3", 0.4}, {"11.4", 0.6}},
       {{"Watch S8", 0.35, 2.2, 0.20},
        {"Watch S9", 0.40, 1.9, 0.30},
        {"Watch Ultra 2", 0.25, 1.8, 0.30}}},
      {"tvOS",
       0.08,
       0.97,
       0.0,
       0.03,
       0.10,
       {{"18.3", 0.5}, {"18.4", 0.5}},
       {{"Apple TV 4K", 0.70, 1.5, 0.20}, {"Apple TV HD", 0.30, 2.0, 0.10}}},
      {"visionOS", 0.06, 0.95, 0.03, 0.02, 0.60, {{"2.3", 1.0}}, {{"Vision Pro", 1.0, 0.9, 0.70}}},
  };
  s.app_builds = {
      {"2026.08.3", Offset(-60 * kDayMs), 10 * kDayMs, 1.0, 1.0, 1.0},
      {"2026.09.1", Offset(-25 * kDayMs), 7 * kDayMs, 0.9, 1.0, 1.0},
      {"2026.10.2", Offset(-8 * kDayMs), 5 * kDayMs, 0.8, 1.0, 1.0},
      {"2026.11.0", Offset(8 * kDayMs + 18 * kHourMs), 3 * kDayMs, 0.6, 1.0, 1.0},
  };
  s.asr_models = {
      {"asr-41", Offset(-90 * kDayMs), 10 * kDayMs, 1.0, 1.0, 1.1},
      {"asr-42", Offset(-20 * kDayMs), 7 * kDayMs, 0.95, 1.0, 1.0},
      {"asr-43", Offset(11 * kDayMs), 1 * kDayMs, 0.25, 1.0, 1.0},
  };
  s.tts_voices = {
      {"voice-7", Offset(-120 * kDayMs), 10 * kDayMs, 1.0, 1.0, 1.0},
      {"voice-8", Offset(-30 * kDayMs), 10 * kDayMs, 0.9, 1.0, 1.0},
  };
  auto& st = s.stages;
  st[0] = {{220, 480},
           {220, 480},
           0.001,
           0.0,
           0,
           "ENDPOINT_NO_SPEECH",
           "No speech detected after {ms} ms on {device_model}",
           "",
           ""};
  st[1] = {{180, 520},
           {110, 300},
           0.004,
           0.002,
           5000,
           "ASR_SHARD_UNAVAILABLE",
           "ASR shard asr-{shard} unavailable in {region}",
           "ASR_TIMEOUT",
           "ASR final result timed out after {ms} ms (shard asr-{shard})"};
  st[2] = {{35, 90},
           {25, 70},
           0.002,
           0.0005,
           2000,
           "NLU_INTENT_UNRESOLVED",
           "No intent above threshold for {locale} (best score 0.{score})",
           "NLU_TIMEOUT",
           "NLU timed out after {ms} ms"};
  st[3] = {{260, 700},
           {180, 520},
           0.005,
           0.003,
           8000,
           "DIALOG_UPSTREAM_ERROR",
           "Dialog upstream dlg-{shard} returned {status}",
           "DIALOG_TIMEOUT",
           "Dialog first token timed out after {ms} ms (shard dlg-{shard})"};
  st[4] = {{90, 220},
           {70, 180},
           0.002,
           0.001,
           3000,
           "TTS_VOICE_LOAD_FAILED",
           "Failed to load voice {tts_voice} (asset {hex})",
           "TTS_TIMEOUT",
           "TTS first audio timed out after {ms} ms for {tts_voice}"};
  s.networks[0] = {{30, 90}, 1.0};
  s.networks[1] = {{90, 320}, 4.0};
  s.networks[2] = {{0, 0}, 1.0};
  return s;
}

std::vector<std::string> BuiltinScenarios() { return {"demo", "smoke"}; }

Result<Scenario> LoadScenario(const std::string& name_or_path) {
  if (name_or_path == "demo") return ParseScenario(kDemoInjections, "built-in scenario 'demo'");
  if (name_or_path == "smoke") return ParseScenario(kSmokeInjections, "built-in scenario 'smoke'");
  namespace fs = std::filesystem;
  std::error_code ec;
  bool looks_like_file = name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml") ||
                         name_or_path.find('/') != std::string::npos;
  if (!fs::is_regular_file(name_or_path, ec)) {
    if (looks_like_file) return NotFound("scenario file '" + name_or_path + "' not found");
    return NotFound("unknown scenario '" + name_or_path +
                    "' (built-ins: demo, smoke; or the path of a YAML file)");
  }
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(name_or_path, 16 << 20, "scenario file"));
  return ParseScenario(text, name_or_path);
}

}  // namespace vigil::sim
