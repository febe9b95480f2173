// The compiled fleet behind sim::Fleet, and the jobs that build and run it, one file each:
// fleet_compile.cc (a scenario into dimensions, shapes, platforms, versions, locales and
// devices), traffic.cc (how many turns, from whom), latency.cc (how long each stage takes),
// failures.cc (errors, timeouts, cancellations and what the user does next) and injection.cc
// (the incidents and decoys acting on their slice).
//
// Every random draw of a turn comes from that turn's own stream, in a fixed order: the turn's
// id, its locale, its device, its network, ASR mode and conversation mode (traffic.cc), then
// stage by stage a cancellation, a latency, a round trip and a failure (failures.cc, latency.cc),
// then the follow-ups. The jobs are called in that order; changing it changes every run.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/fleet.h"
#include "sim/rng.h"

namespace vigil::sim {

/// How an injection acts on the events of its slice.
enum class InjectionKind : uint8_t {
  kLatency,  ///< latency_step, latency_drift, rollout_regression
  kFailure,
  kTimeout,
  kRephrase,
  kFalseBargeIn,
  kVolumeDrop,
  kMixShift,
  kJoint,  ///< a latency, a failure and a rephrase change at once, on asr_final
};

/// A log-normal body: exp(mu + sigma * z).
struct LogNormal {
  double mu = 0, sigma = 0;
  static LogNormal From(const LatencySpec& spec);
};

/// A device of the pool; its uniforms pick the software versions it runs as they roll out.
struct Device {
  uint64_t id;
  uint16_t platform, model, os, region;
  float u_build, u_asr, u_voice;
};

struct CompiledLocale {
  const LocaleSpec* spec;
  double share;
  size_t begin, end;                                 ///< its devices' range in FleetModel::devices
  std::vector<std::pair<double, uint16_t>> regions;  ///< cumulative
};

struct CompiledPlatform {
  double cum_wifi, cum_cellular;  ///< normalized cumulative network weights
  double full_duplex;
  std::vector<std::pair<double, uint16_t>> models, oses;  ///< cumulative, global indices
};

/// One version of a software family (app build, ASR model, TTS voice).
struct Version {
  uint16_t value;
  TimeMs release;
  int64_t ramp;
  double max_share, latency_factor, rephrase_factor;
};

/// One change an injection makes to the turns of its slice, at full size.
struct InjectedChange {
  InjectionKind kind;  ///< kLatency, kFailure, kTimeout, kRephrase, kFalseBargeIn, kVolumeDrop
                       ///< or kMixShift
  int stage = -1;      ///< the stage whose latency, error or timeout it moves
  double size = 0;     ///< relative for latency and volume, absolute for probabilities
};

struct CompiledInjection {
  InjectionKind kind;
  std::vector<std::pair<int, uint16_t>> slice;
  std::vector<InjectedChange> changes;  ///< one, or three for a joint injection
  TimeMs onset = 0, end = 0;
  int64_t ramp = 0;
  int16_t error_kind = -1;  ///< override for its failure or timeout change
  uint64_t salt = 0;
  std::vector<std::vector<uint32_t>> matching_devices;  ///< mix shift: per locale

  /// The share of the full effect at `t`: 0 outside the window, rising over the ramp.
  double Ramp(TimeMs t) const;
};

/// The value whose cumulative weight first exceeds `u`.
template <typename T>
uint16_t PickCum(const std::vector<std::pair<double, T>>& cum, double u) {
  for (const auto& [c, v] : cum) {
    if (u < c) return v;
  }
  return cum.back().second;
}

/// The compiled scenario, plus per-minute scratch.
struct FleetModel {
  std::vector<CompiledLocale> locales;
  std::vector<CompiledPlatform> platforms;
  std::vector<double> model_speed, model_on_device;
  std::vector<Device> devices;
  std::array<double, 25> diurnal{}, weekend{};
  std::array<double, 7> weekly{};
  double scale = 1;
  std::vector<double> region_mean;                // raw load per region, averaged over the run
  std::vector<std::vector<double>> region_share;  // [locale][region]
  std::array<std::vector<Version>, 3> families;   // app_build, asr_model, tts_voice
  std::array<LogNormal, kStageCount> on_device, server;
  std::array<LogNormal, 3> rtt;
  std::vector<CompiledInjection> injections;

  // Per-minute scratch.
  std::vector<double> lam;  // cumulative rate over the locales
  std::vector<double> region_factor;
  std::array<std::vector<std::pair<double, uint16_t>>, 3> version_cum;
  std::vector<const CompiledInjection*> active;
  std::vector<uint16_t> offsets;

  /// Locale `l`'s unnormalized rate at `t` (its share times its local diurnal, weekly and
  /// holiday shape).
  double RawRate(size_t l, TimeMs t) const;
};

/// Who sends a turn and how: drawn by traffic.cc, read by the stages.
struct Turn {
  size_t locale = 0;
  const Device* device = nullptr;
  const CompiledPlatform* platform = nullptr;
  uint16_t asr = 0, voice = 0;  ///< indices into FleetModel::families[1] and [2]
  int network = 0;              ///< 0 wifi, 1 cellular, 2 offline
  bool on_device = false;
  bool full_duplex = false;
};

/// What the active injections do to one event.
struct InjectedEffects {
  double lat_mult[kStageCount] = {1, 1, 1, 1, 1};
  double err_add[kStageCount] = {0, 0, 0, 0, 0}, to_add[kStageCount] = {0, 0, 0, 0, 0};
  int16_t err_override[kStageCount] = {-1, -1, -1, -1, -1};
  int16_t to_override[kStageCount] = {-1, -1, -1, -1, -1};
  double rephrase_add = 0, fbi_add = 0, drop = 0;
};

// traffic.cc

/// Measures the run's traffic: the scale that makes it hold days × events_per_day turns and
/// each region's mean load; sizes the per-minute scratch.
void MeasureTraffic(const Fleet::Options& options, int64_t minutes, size_t regions, FleetModel* m);

/// Fills m->lam and m->region_factor for the minute whose middle is `tm`; returns the expected
/// number of turns in it.
double MinuteTraffic(const Scenario& s, TimeMs tm, FleetModel* m);

/// Fills m->version_cum: each family's adoption at `tm`.
void AdoptVersions(TimeMs tm, FleetModel* m);

/// Draws how many turns start in `minute` and their sorted offsets (m->offsets); returns the
/// count.
int64_t DrawTurnCount(uint64_t seed, int64_t minute, double lambda, FleetModel* m);

/// Draws the turn's locale and the index of its device within the locale's pool.
void DrawLocaleAndDevice(const FleetModel& m, const Scenario& s, double lambda, Rng& r,
                         size_t* locale, size_t* device);

/// Fills the turn from its device and draws its network, ASR mode and conversation mode;
/// writes the dimensions of `e`.
void DrawTurn(const FleetModel& m, size_t locale, const Device& device, Rng& r, Turn* turn,
              SimEvent* e);

// latency.cc

/// Compiles the stage and network latency parameters.
void CompileLatency(const Scenario& s, FleetModel* m);

/// Draws stage `st`'s latency for the turn, before injections.
double DrawStageLatency(const FleetModel& m, const Scenario& s, const Turn& turn, int st,
                        bool at_device, Rng& r);

// failures.cc

/// The error kinds of the stages: per stage error then timeout, then the cancellation.
void CompileErrorKinds(const Scenario& s, std::vector<ErrorKind>* kinds);

/// Walks the pipeline stage by stage (a failure or cancellation ends the turn), then draws the
/// rephrase and barge-in follow-ups.
void RunStages(const FleetModel& m, const Scenario& s, const Turn& turn,
               const InjectedEffects& effects, Rng& r, SimEvent* e);

// injection.cc

/// Compiles the injections that overlap the run; injections of failures or timeouts with their
/// own code or message add error kinds.
Status CompileInjections(const Fleet& fleet, FleetModel* m, std::vector<ErrorKind>* error_kinds,
                         std::vector<ResolvedInjection>* resolved);

/// Fills m->active: the injections overlapping the minute starting at `t0`.
void ActivateInjections(TimeMs t0, FleetModel* m);

/// The device a mix shift moves the turn onto, or `device` unchanged. Its draws come from the
/// request id, not the event's stream, so everything else about the event stays put.
size_t ShiftDevice(const FleetModel& m, size_t locale, uint64_t request_id, TimeMs ts,
                   size_t device);

/// What the active injections whose slice holds `e` do to it.
InjectedEffects EffectsOn(const FleetModel& m, const SimEvent& e);

/// Whether a volume drop removes the turn.
bool Dropped(const InjectedEffects& effects, uint64_t request_id);

}  // namespace vigil::sim
