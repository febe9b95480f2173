// Fleet's front: creation, lookups, and one minute of turns, drawn by the jobs of
// sim/fleet_model.h in their fixed order.
#include "sim/fleet.h"

#include <algorithm>

#include "sim/fleet_model.h"
#include "sim/rng.h"

namespace vigil::sim {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kError:
      return "error";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "ok";
}

Fleet::Fleet(const Scenario& scenario, const Options& options)
    : scenario_(scenario), options_(options), model_(std::make_unique<FleetModel>()) {}
Fleet::~Fleet() = default;

Result<std::unique_ptr<Fleet>> Fleet::Create(const Scenario& scenario, const Options& options) {
  if (options.days < 1) return InvalidArgument("--days must be at least 1");
  if (options.events_per_day < 1) return InvalidArgument("--events-per-day must be at least 1");
  VIGIL_RETURN_IF_ERROR(ValidateScenario(scenario, "scenario '" + scenario.name + "'"));
  std::unique_ptr<Fleet> fleet(new Fleet(scenario, options));
  VIGIL_RETURN_IF_ERROR(fleet->Compile());
  return fleet;
}

int Fleet::ValueIndex(Dim dim, const std::string& value) const {
  const auto& v = values_[static_cast<int>(dim)];
  auto it = std::find(v.begin(), v.end(), value);
  return it == v.end() ? -1 : static_cast<int>(it - v.begin());
}

std::vector<double> Fleet::LocaleShares() const {
  std::vector<double> out;
  for (const auto& l : model_->locales) out.push_back(l.share);
  return out;
}

void Fleet::GenerateMinute(int64_t minute, std::vector<SimEvent>* out) {
  FleetModel& m = *model_;
  const Scenario& s = scenario_;
  const TimeMs t0 = options_.start + minute * kMinuteMs;
  const TimeMs tm = t0 + 30 * kSecondMs;

  const double lambda = MinuteTraffic(s, tm, &m);
  AdoptVersions(tm, &m);
  ActivateInjections(t0, &m);
  const int64_t n = DrawTurnCount(options_.seed, minute, lambda, &m);

  for (int64_t i = 0; i < n; ++i) {
    Rng r(StreamSeed(options_.seed, static_cast<uint64_t>(minute) + 0x100000000ULL, i));
    SimEvent e;
    e.ts = t0 + m.offsets[i];
    e.request_id = r.Next();
    size_t locale = 0, device = 0;
    DrawLocaleAndDevice(m, s, lambda, r, &locale, &device);
    device = ShiftDevice(m, locale, e.request_id, e.ts, device);
    Turn turn;
    DrawTurn(m, locale, m.devices[m.locales[locale].begin + device], r, &turn, &e);
    const InjectedEffects effects = EffectsOn(m, e);
    if (Dropped(effects, e.request_id)) continue;
    RunStages(m, s, turn, effects, r, &e);
    out->push_back(e);
  }
}

}  // namespace vigil::sim
