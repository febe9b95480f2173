// Incident injection: resolving each injection's window against the run, compiling its slice,
// and, per event, what the active ones do: a mix shift moves turns onto devices of its slice;
// the others scale a stage's latency, add failures or timeouts (with their own error kind),
// rephrases or false barge-ins, or drop turns; a joint one makes three of these changes at once.
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
  if (k == "joint") return InjectionKind::kJoint;
  return InjectionKind::kLatency;
}

// The changes an injection makes: its own kind's, or for a joint one the changes of a latency
// step and a failure spike on asr_final and of a rephrase rise, at their own sizes.
std::vector<InjectedChange> ChangesOf(InjectionKind kind, const Injection& in) {
  const int stage = in.stage ? static_cast<int>(*in.stage) : -1;
  if (kind != InjectionKind::kJoint) return {{kind, stage, in.size}};
  const int asr = static_cast<int>(Stage::kAsrFinal);
  return {{InjectionKind::kLatency, asr, in.size},
          {InjectionKind::kFailure, asr, in.joint_error},
          {InjectionKind::kRephrase, -1, in.joint_rephrase}};
}

// What one change, at `eff` of its full size (eff > 0), does to a turn.
void Apply(const InjectedChange& c, double eff, int16_t error_kind, InjectedEffects* x) {
  switch (c.kind) {
    case InjectionKind::kLatency:
      x->lat_mult[c.stage] *= 1 + eff;
      break;
    case InjectionKind::kFailure:
      x->err_add[c.stage] += eff;
      if (error_kind >= 0) x->err_override[c.stage] = error_kind;
      break;
    case InjectionKind::kTimeout:
      x->to_add[c.stage] += eff;
      if (error_kind >= 0) x->to_override[c.stage] = error_kind;
      break;
    case InjectionKind::kRephrase:
      x->rephrase_add += eff;
      break;
    case InjectionKind::kFalseBargeIn:
      x->fbi_add += eff;
      break;
    case InjectionKind::kVolumeDrop:
      x->drop = 1 - (1 - x->drop) * (1 - eff);
      break;
    case InjectionKind::kMixShift:  // acts on the device, before the turn (ShiftDevice)
    case InjectionKind::kJoint:     // never a change itself: ChangesOf splits it
      break;
  }
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
    ci.changes = ChangesOf(ci.kind, in);
    ci.onset = ri.onset;
    ci.end = ri.end;
    ci.ramp = ri.ramp_ms;
    ci.salt = internal::Mix64(salt++ * 0x9e3779b97f4a7c15ULL);
    auto failing = std::find_if(ci.changes.begin(), ci.changes.end(), [](const InjectedChange& c) {
      return c.kind == InjectionKind::kFailure || c.kind == InjectionKind::kTimeout;
    });
    if (failing != ci.changes.end() && (!in.error_code.empty() || !in.error_message.empty())) {
      const ErrorKind& base =
          (*error_kinds)[2 * failing->stage + (failing->kind == InjectionKind::kTimeout ? 1 : 0)];
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
    if (!match.empty() && (h >> 11) * 0x1.0p-53 < ci->changes.front().size * ci->Ramp(ts)) {
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
    const double ramp = ci->Ramp(e.ts);
    for (const InjectedChange& c : ci->changes) {
      double eff = c.size * ramp;
      if (eff > 0) Apply(c, eff, ci->error_kind, &x);
    }
  }
  return x;
}

bool Dropped(const InjectedEffects& effects, uint64_t request_id) {
  return effects.drop > 0 &&
         (internal::Mix64(request_id ^ 0xd209) >> 11) * 0x1.0p-53 < effects.drop;
}

}  // namespace vigil::sim
