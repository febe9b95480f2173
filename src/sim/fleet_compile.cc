// Compiling a scenario into a fleet: the dimension values, the traffic shapes, platforms and
// device models, software versions, locales with their regions and device pools; then the
// latency, error and traffic figures and the injections (each compiled by its own job).
#include <algorithm>
#include <string>

#include "sim/fleet.h"
#include "sim/fleet_model.h"
#include "sim/rng.h"

namespace vigil::sim {
namespace {

using ValueTable = std::array<std::vector<std::string>, kDimCount>;

/// The index of `v` among the values of `d`, added if new.
uint16_t Intern(Dim d, const std::string& v, ValueTable* values) {
  auto& vals = (*values)[static_cast<int>(d)];
  auto it = std::find(vals.begin(), vals.end(), v);
  if (it != vals.end()) return static_cast<uint16_t>(it - vals.begin());
  vals.push_back(v);
  return static_cast<uint16_t>(vals.size() - 1);
}

// Shape tables, normalized to mean 1 (index 24 repeats 0 for interpolation).
void CompileShapes(const Scenario& s, FleetModel* m) {
  auto normalize = [](const auto& in, auto& out, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += in[i];
    for (size_t i = 0; i < n; ++i) out[i] = in[i] * n / sum;
  };
  normalize(s.diurnal, m->diurnal, 24);
  normalize(s.weekend_diurnal, m->weekend, 24);
  m->diurnal[24] = m->diurnal[0];
  m->weekend[24] = m->weekend[0];
  normalize(s.weekly, m->weekly, 7);
}

// Platforms and device models; `platform_cum` gets the cumulative platform shares.
Status CompilePlatforms(const Scenario& s, ValueTable* values, FleetModel* m,
                        std::vector<std::pair<double, uint16_t>>* platform_cum) {
  double pshare = 0;
  for (const auto& p : s.platforms) pshare += p.share;
  double acc = 0;
  for (const auto& p : s.platforms) {
    uint16_t pi = Intern(Dim::kPlatform, p.name, values);
    acc += p.share / pshare;
    platform_cum->emplace_back(acc, pi);
    CompiledPlatform cp;
    double nsum = p.wifi + p.cellular + p.offline;
    cp.cum_wifi = p.wifi / nsum;
    cp.cum_cellular = (p.wifi + p.cellular) / nsum;
    cp.full_duplex = p.full_duplex;
    double msum = 0, osum = 0, a = 0;
    for (const auto& dm : p.device_models) msum += dm.share;
    for (const auto& dm : p.device_models) {
      uint16_t mi = Intern(Dim::kDeviceModel, dm.name, values);
      if (m->model_speed.size() <= mi) {
        m->model_speed.resize(mi + 1);
        m->model_on_device.resize(mi + 1);
      }
      m->model_speed[mi] = dm.speed;
      m->model_on_device[mi] = dm.on_device;
      a += dm.share / msum;
      cp.models.emplace_back(a, mi);
    }
    for (const auto& o : p.os_versions) osum += o.second;
    if (osum <= 0) return ConfigError("platform " + p.name + ": os_versions weights sum to zero");
    a = 0;
    for (const auto& o : p.os_versions) {
      a += o.second / osum;
      cp.oses.emplace_back(a, Intern(Dim::kOsVersion, o.first, values));
    }
    m->platforms.push_back(std::move(cp));
  }
  return Status::Ok();
}

// Software versions, with release times resolved against the run's start.
Status CompileVersions(const Scenario& s, TimeMs start, ValueTable* values, FleetModel* m) {
  const std::vector<RolloutSpec>* fams[3] = {&s.app_builds, &s.asr_models, &s.tts_voices};
  const Dim fam_dims[3] = {Dim::kAppBuild, Dim::kAsrModel, Dim::kTtsVoice};
  for (int f = 0; f < 3; ++f) {
    if (fams[f]->empty()) return ConfigError(std::string(DimName(fam_dims[f])) + ": no versions");
    for (const auto& r : *fams[f]) {
      m->families[f].push_back({Intern(fam_dims[f], r.name, values), r.release.Resolve(start),
                                r.ramp_ms, r.max_share, r.latency_factor, r.rephrase_factor});
    }
  }
  return Status::Ok();
}

// Locales, regions and each locale's pool of devices.
Status CompileLocales(const Scenario& s, const Fleet::Options& options,
                      const std::vector<std::pair<double, uint16_t>>& platform_cum,
                      ValueTable* values, FleetModel* m) {
  double lshare = 0;
  for (const auto& l : s.locales) lshare += l.share;
  for (const auto& l : s.locales) Intern(Dim::kLocale, l.name, values);
  for (const auto& l : s.locales) {
    for (const auto& r : l.regions) Intern(Dim::kRegion, r.first, values);
  }
  const size_t nregions = (*values)[static_cast<int>(Dim::kRegion)].size();
  // Devices: about events_per_day / turns_per_device of them, capped to bound memory.
  double total_devices = std::min(4.0e6, options.events_per_day / s.turns_per_device);
  for (size_t li = 0; li < s.locales.size(); ++li) {
    const LocaleSpec& l = s.locales[li];
    CompiledLocale cl;
    cl.spec = &l;
    cl.share = l.share / lshare;
    double rsum = 0, a = 0;
    for (const auto& r : l.regions) rsum += r.second;
    if (rsum <= 0) return ConfigError("locale " + l.name + ": region weights sum to zero");
    std::vector<double> rshare(nregions, 0.0);
    for (const auto& r : l.regions) {
      a += r.second / rsum;
      uint16_t ri = Intern(Dim::kRegion, r.first, values);
      cl.regions.emplace_back(a, ri);
      rshare[ri] += r.second / rsum;
    }
    m->region_share.push_back(std::move(rshare));
    size_t pool = std::max<size_t>(1, static_cast<size_t>(std::llround(total_devices * cl.share)));
    cl.begin = m->devices.size();
    for (size_t k = 0; k < pool; ++k) {
      Rng r(StreamSeed(options.seed, 0x5eed0000ULL + li, k));
      Device d;
      d.id = r.Next();
      d.platform = PickCum(platform_cum, r.Uniform());
      const CompiledPlatform& cp = m->platforms[d.platform];
      d.model = PickCum(cp.models, r.Uniform());
      d.os = PickCum(cp.oses, r.Uniform());
      d.region = PickCum(cl.regions, r.Uniform());
      d.u_build = static_cast<float>(r.Uniform());
      d.u_asr = static_cast<float>(r.Uniform());
      d.u_voice = static_cast<float>(r.Uniform());
      m->devices.push_back(d);
    }
    cl.end = m->devices.size();
    m->locales.push_back(std::move(cl));
  }
  return Status::Ok();
}

}  // namespace

Status Fleet::Compile() {
  FleetModel& m = *model_;
  const Scenario& s = scenario_;
  minutes_ = static_cast<int64_t>(options_.days) * 1440;
  for (const char* v : {"on_device", "server"}) Intern(Dim::kAsrMode, v, &values_);
  for (const char* v : {"half_duplex", "full_duplex"}) Intern(Dim::kConversationMode, v, &values_);
  for (const char* v : {"wifi", "cellular", "offline"}) Intern(Dim::kNetwork, v, &values_);

  CompileShapes(s, &m);
  std::vector<std::pair<double, uint16_t>> platform_cum;
  VIGIL_RETURN_IF_ERROR(CompilePlatforms(s, &values_, &m, &platform_cum));
  VIGIL_RETURN_IF_ERROR(CompileVersions(s, options_.start, &values_, &m));
  VIGIL_RETURN_IF_ERROR(CompileLocales(s, options_, platform_cum, &values_, &m));
  CompileLatency(s, &m);
  CompileErrorKinds(s, &error_kinds_);
  MeasureTraffic(options_, minutes_, values_[static_cast<int>(Dim::kRegion)].size(), &m);
  if (options_.inject)
    VIGIL_RETURN_IF_ERROR(CompileInjections(*this, &m, &error_kinds_, &injections_));
  return Status::Ok();
}

}  // namespace vigil::sim
