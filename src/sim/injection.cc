// Incident injection: resolving each injection's window against the run, compiling its slice,
// and, per event, what the active ones do: a mix shift moves turns onto devices of its slice;
// the others scale a stage's latency, add failures or timeouts (with their own error kind),
// rephrases or false barge-ins, or drop turns.
#include <algorithm>

#include "common/hash.h"
#include "sim/fleet_model.h"

namespace vigil::sim {
namespace {

InjectionKind KindOf(const std::string& k) {
  if (k == "failure_spike") return InjectionKind::kFailure;
  if (k == "timeout_storm") return InjectionKind::kTimeout;
  if (k == "rephrase_rise") return InjectionKind::kRephrase;
  if (k == "false_barge_in_rise") return InjectionKind::kFalseBargeIn;
  if (k == "volume_drop") return InjectionKind::kVolumeDrop;
  if (k == "mix_shift") return InjectionKind::kMixShift;
  return InjectionKind::kLatency;
}

// A mix shift's devices: per locale, the pool indices of the devices in its slice.
void MatchDevices(const FleetModel& m, CompiledInjection* ci) {
  const size_t nl = m.locales.size();
  ci->matching_devices.resize(nl);
  for (size_t l = 0; l < nl; ++l) {
    for (size_t k = m.locales[l].begin; k < m.locales[l].end; ++k) {
      const Device& d = m.devices[k];
      bool match = true;
      for (const auto& [dim, v] : ci->slice) {
        uint16_t have = dim == static_cast<int>(Dim::kPlatform)      ? d.platform
                        : dim == static_cast<int>(Dim::kDeviceModel) ? d.model
                                                                     : d.os;
        match = match && have == v;
      }
      if (match) ci->matching_devices[l].push_back(static_cast<uint32_t>(k - m.locales[l].begin));
    }
  }
}

}  // namespace

double CompiledInjection::Ramp(TimeMs t) const {
  if (t < onset || t >= end) return 0;
  if (ramp <= 0) return 1;
  return std::min(1.0, static_cast<double>(t - onset) / static_cast<double>(ramp));
}

Status CompileInjections(const Fleet& fleet, FleetModel* m, std::vector<ErrorKind>* error_kinds,
                         std::vector<ResolvedInjection>* resolved) {
  uint64_t salt = 1;
  for (const Injection& in : fleet.scenario().injections) {
    ResolvedInjection ri;
    ri.spec = &in;
    ri.onset = in.onset.Resolve(fleet.Start());
    ri.end = in.duration_ms ? ri.onset + *in.duration_ms : fleet.End();
    ri.end = std::min(ri.end, fleet.End());
    ri.ramp_ms = in.ramp_ms;
    if (in.kind == "latency_drift" && ri.ramp_ms == 0) ri.ramp_ms = ri.end - ri.onset;
    if (ri.onset >= fleet.End() || ri.end <= std::max(ri.onset, fleet.Start())) continue;
    CompiledInjection ci;
    ci.kind = KindOf(in.kind);
    for (const auto& [d, v] : in.slice) {
      int idx = fleet.ValueIndex(d, v);
      if (idx < 0)
        return ConfigError("injection " + in.id + ": no such " + DimName(d) + " '" + v + "'");
      ci.slice.emplace_back(static_cast<int>(d), static_cast<uint16_t>(idx));
    }
    ci.stage = in.stage ? static_cast<int>(*in.stage) : -1;
    ci.size = in.size;
    ci.onset = ri.onset;
    ci.end = ri.end;
    ci.ramp = ri.ramp_ms;
    ci.salt = internal::Mix64(salt++ * 0x9e3779b97f4a7c15ULL);
    if ((ci.kind == InjectionKind::kFailure || ci.kind == InjectionKind::kTimeout) &&
        (!in.error_code.empty() || !in.error_message.empty())) {
      const ErrorKind& base =
          (*error_kinds)[2 * ci.stage + (ci.kind == InjectionKind::kTimeout ? 1 : 0)];
      error_kinds->push_back({in.error_code.empty() ? base.code : in.error_code,
                              in.error_message.empty() ? base.message : in.error_message});
      ci.error_kind = static_cast<int16_t>(error_kinds->size() - 1);
    }
    if (ci.kind == InjectionKind::kMixShift) MatchDevices(*m, &ci);
    m->injections.push_back(std::move(ci));
    resolved->push_back(ri);
  }
  return Status::Ok();
}

void ActivateInjections(TimeMs t0, FleetModel* m) {
  m->active.clear();
  for (const auto& ci : m->injections) {
    if (ci.onset < t0 + kMinuteMs && ci.end > t0) m->active.push_back(&ci);
  }
}

size_t ShiftDevice(const FleetModel& m, size_t locale, uint64_t request_id, TimeMs ts,
                   size_t device) {
  for (const CompiledInjection* ci : m.active) {
    if (ci->kind != InjectionKind::kMixShift) continue;
    const auto& match = ci->matching_devices[locale];
    uint64_t h = internal::Mix64(request_id ^ ci->salt);
    if (!match.empty() && (h >> 11) * 0x1.0p-53 < ci->size * ci->Ramp(ts)) {
      device = match[internal::Mix64(h) % match.size()];
    }
  }
  return device;
}

InjectedEffects EffectsOn(const FleetModel& m, const SimEvent& e) {
  InjectedEffects x;
  for (const CompiledInjection* ci : m.active) {
    if (ci->kind == InjectionKind::kMixShift) continue;
    bool match = true;
    for (const auto& [d, v] : ci->slice) match = match && e.dims[d] == v;
    if (!match) continue;
    double eff = ci->size * ci->Ramp(e.ts);
    if (eff <= 0) continue;
    switch (ci->kind) {
      case InjectionKind::kLatency:
        x.lat_mult[ci->stage] *= 1 + eff;
        break;
      case InjectionKind::kFailure:
        x.err_add[ci->stage] += eff;
        if (ci->error_kind >= 0) x.err_override[ci->stage] = ci->error_kind;
        break;
      case InjectionKind::kTimeout:
        x.to_add[ci->stage] += eff;
        if (ci->error_kind >= 0) x.to_override[ci->stage] = ci->error_kind;
        break;
      case InjectionKind::kRephrase:
        x.rephrase_add += eff;
        break;
      case InjectionKind::kFalseBargeIn:
        x.fbi_add += eff;
        break;
      case InjectionKind::kVolumeDrop:
        x.drop = 1 - (1 - x.drop) * (1 - eff);
        break;
      case InjectionKind::kMixShift:
        break;
    }
  }
  return x;
}

bool Dropped(const InjectedEffects& effects, uint64_t request_id) {
  return effects.drop > 0 &&
         (internal::Mix64(request_id ^ 0xd209) >> 11) * 0x1.0p-53 < effects.drop;
}

}  // namespace vigil::sim
