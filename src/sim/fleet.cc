#include "sim/fleet.h"

#include <algorithm>
#include <cmath>

#include "common/hash.h"
#include "sim/calendar.h"
#include "sim/rng.h"

namespace vigil::sim {
namespace {

enum class Kind : uint8_t {
  kLatency,  // latency_step, latency_drift, rollout_regression
  kFailure,
  kTimeout,
  kRephrase,
  kFalseBargeIn,
  kVolumeDrop,
  kMixShift,
};

Kind KindOf(const std::string& k) {
  if (k == "failure_spike") return Kind::kFailure;
  if (k == "timeout_storm") return Kind::kTimeout;
  if (k == "rephrase_rise") return Kind::kRephrase;
  if (k == "false_barge_in_rise") return Kind::kFalseBargeIn;
  if (k == "volume_drop") return Kind::kVolumeDrop;
  if (k == "mix_shift") return Kind::kMixShift;
  return Kind::kLatency;
}

struct LogNormal {
  double mu = 0, sigma = 0;
  static LogNormal From(const LatencySpec& s) {
    if (s.p50 <= 0) return {-1e9, 0};  // always 0 (e.g. no round trip offline)
    return {std::log(s.p50), std::log(std::max(s.p95, s.p50) / s.p50) / kZ95};
  }
};

struct Device {
  uint64_t id;
  uint16_t platform, model, os, region;
  float u_build, u_asr, u_voice;
};

struct CompiledLocale {
  const LocaleSpec* spec;
  double share;
  size_t begin, end;  // device range
  std::vector<std::pair<double, uint16_t>> regions;  // cumulative
};

struct CompiledPlatform {
  double cum_wifi, cum_cellular;  // normalized cumulative network weights
  double full_duplex;
  std::vector<std::pair<double, uint16_t>> models, oses;  // cumulative, global indices
};

struct Version {
  uint16_t value;
  TimeMs release;
  int64_t ramp;
  double max_share, latency_factor, rephrase_factor;
};

struct CompiledInjection {
  Kind kind;
  std::vector<std::pair<int, uint16_t>> slice;
  int stage = -1;
  double size = 0;
  TimeMs onset = 0, end = 0;
  int64_t ramp = 0;
  int16_t error_kind = -1;  // override for failure/timeout
  uint64_t salt = 0;
  std::vector<std::vector<uint32_t>> matching_devices;  // mix shift: per locale

  double Ramp(TimeMs t) const {
    if (t < onset || t >= end) return 0;
    if (ramp <= 0) return 1;
    return std::min(1.0, static_cast<double>(t - onset) / static_cast<double>(ramp));
  }
};

template <typename T>
uint16_t PickCum(const std::vector<std::pair<double, T>>& cum, double u) {
  for (const auto& [c, v] : cum) {
    if (u < c) return v;
  }
  return cum.back().second;
}

double Smoothstep(double x) { return x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x); }

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kError: return "error";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kCancelled: return "cancelled";
  }
  return "ok";
}

struct Fleet::Impl {
  std::vector<CompiledLocale> locales;
  std::vector<CompiledPlatform> platforms;
  std::vector<double> model_speed, model_on_device;
  std::vector<Device> devices;
  std::array<double, 25> diurnal{}, weekend{};
  std::array<double, 7> weekly{};
  double scale = 1;
  std::vector<double> region_mean;  // raw load per region, averaged over the run
  std::vector<std::vector<double>> region_share;  // [locale][region]
  std::array<std::vector<Version>, 3> families;  // app_build, asr_model, tts_voice
  std::array<LogNormal, kStageCount> on_device, server;
  std::array<LogNormal, 3> rtt;
  std::vector<CompiledInjection> injections;

  // Per-minute scratch.
  std::vector<double> lam;
  std::vector<double> region_factor;
  std::array<std::vector<std::pair<double, uint16_t>>, 3> version_cum;
  std::vector<const CompiledInjection*> active;
  std::vector<uint16_t> offsets;

  double RawRate(size_t l, TimeMs t) const {
    const CompiledLocale& loc = locales[l];
    TimeMs local = t + static_cast<int64_t>(UtcOffsetMinutes(*loc.spec, t)) * kMinuteMs;
    int64_t day = DayOf(local);
    int wd = Weekday(day);
    double holiday = 1;
    bool is_holiday = false;
    for (const Holiday& h : loc.spec->holidays) {
      if (h.date == day) {
        holiday = h.factor;
        is_holiday = true;
      }
    }
    const auto& shape = (wd >= 5 || is_holiday) ? weekend : diurnal;
    double x = static_cast<double>(local - day * kDayMs) / kHourMs - 0.5;
    int i = static_cast<int>(std::floor(x));
    double f = x - i;
    double w = shape[(i + 24) % 24] * (1 - f) + shape[(i + 1) % 24] * f;
    return loc.share * w * weekly[wd] * holiday;
  }
};

Fleet::Fleet(const Scenario& scenario, const Options& options)
    : scenario_(scenario), options_(options), impl_(std::make_unique<Impl>()) {}
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
  for (const auto& l : impl_->locales) out.push_back(l.share);
  return out;
}

Status Fleet::Compile() {
  Impl& m = *impl_;
  const Scenario& s = scenario_;
  minutes_ = static_cast<int64_t>(options_.days) * 1440;
  auto add = [&](Dim d, const std::string& v) -> uint16_t {
    auto& vals = values_[static_cast<int>(d)];
    auto it = std::find(vals.begin(), vals.end(), v);
    if (it != vals.end()) return static_cast<uint16_t>(it - vals.begin());
    vals.push_back(v);
    return static_cast<uint16_t>(vals.size() - 1);
  };
  for (const char* v : {"on_device", "server"}) add(Dim::kAsrMode, v);
  for (const char* v : {"half_duplex", "full_duplex"}) add(Dim::kConversationMode, v);
  for (const char* v : {"wifi", "cellular", "offline"}) add(Dim::kNetwork, v);

  // Shape tables, normalized to mean 1 (index 24 repeats 0 for interpolation).
  auto normalize = [](const auto& in, auto& out, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += in[i];
    for (size_t i = 0; i < n; ++i) out[i] = in[i] * n / sum;
  };
  normalize(s.diurnal, m.diurnal, 24);
  normalize(s.weekend_diurnal, m.weekend, 24);
  m.diurnal[24] = m.diurnal[0];
  m.weekend[24] = m.weekend[0];
  normalize(s.weekly, m.weekly, 7);

  // Platforms and device models.
  double pshare = 0;
  for (const auto& p : s.platforms) pshare += p.share;
  std::vector<std::pair<double, uint16_t>> platform_cum;
  double acc = 0;
  for (const auto& p : s.platforms) {
    uint16_t pi = add(Dim::kPlatform, p.name);
    acc += p.share / pshare;
    platform_cum.emplace_back(acc, pi);
    CompiledPlatform cp;
    double nsum = p.wifi + p.cellular + p.offline;
    cp.cum_wifi = p.wifi / nsum;
    cp.cum_cellular = (p.wifi + p.cellular) / nsum;
    cp.full_duplex = p.full_duplex;
    double msum = 0, osum = 0, a = 0;
    for (const auto& dm : p.device_models) msum += dm.share;
    for (const auto& dm : p.device_models) {
      uint16_t mi = add(Dim::kDeviceModel, dm.name);
      if (m.model_speed.size() <= mi) {
        m.model_speed.resize(mi + 1);
        m.model_on_device.resize(mi + 1);
      }
      m.model_speed[mi] = dm.speed;
      m.model_on_device[mi] = dm.on_device;
      a += dm.share / msum;
      cp.models.emplace_back(a, mi);
    }
    for (const auto& o : p.os_versions) osum += o.second;
    if (osum <= 0) return ConfigError("platform " + p.name + ": os_versions weights sum to zero");
    a = 0;
    for (const auto& o : p.os_versions) {
      a += o.second / osum;
      cp.oses.emplace_back(a, add(Dim::kOsVersion, o.first));
    }
    m.platforms.push_back(std::move(cp));
  }

  // Software versions.
  const std::vector<RolloutSpec>* fams[3] = {&s.app_builds, &s.asr_models, &s.tts_voices};
  const Dim fam_dims[3] = {Dim::kAppBuild, Dim::kAsrModel, Dim::kTtsVoice};
  for (int f = 0; f < 3; ++f) {
    if (fams[f]->empty()) return ConfigError(std::string(DimName(fam_dims[f])) + ": no versions");
    for (const auto& r : *fams[f]) {
      m.families[f].push_back({add(fam_dims[f], r.name), r.release.Resolve(options_.start), r.ramp_ms,
                               r.max_share, r.latency_factor, r.rephrase_factor});
    }
  }

  // Locales, regions and devices.
  double lshare = 0;
  for (const auto& l : s.locales) lshare += l.share;
  for (const auto& l : s.locales) add(Dim::kLocale, l.name);
  for (const auto& l : s.locales) {
    for (const auto& r : l.regions) add(Dim::kRegion, r.first);
  }
  const size_t nregions = values_[static_cast<int>(Dim::kRegion)].size();
  // Devices: about events_per_day / turns_per_device of them, capped to bound memory.
  double total_devices = std::min(4.0e6, options_.events_per_day / s.turns_per_device);
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
      uint16_t ri = add(Dim::kRegion, r.first);
      cl.regions.emplace_back(a, ri);
      rshare[ri] += r.second / rsum;
    }
    m.region_share.push_back(std::move(rshare));
    size_t pool = std::max<size_t>(1, static_cast<size_t>(std::llround(total_devices * cl.share)));
    cl.begin = m.devices.size();
    for (size_t k = 0; k < pool; ++k) {
      Rng r(StreamSeed(options_.seed, 0x5eed0000ULL + li, k));
      Device d;
      d.id = r.Next();
      d.platform = PickCum(platform_cum, r.Uniform());
      const CompiledPlatform& cp = m.platforms[d.platform];
      d.model = PickCum(cp.models, r.Uniform());
      d.os = PickCum(cp.oses, r.Uniform());
      d.region = PickCum(cl.regions, r.Uniform());
      d.u_build = static_cast<float>(r.Uniform());
      d.u_asr = static_cast<float>(r.Uniform());
      d.u_voice = static_cast<float>(r.Uniform());
      m.devices.push_back(d);
    }
    cl.end = m.devices.size();
    m.locales.push_back(std::move(cl));
  }

  // Stage and network latency parameters.
  for (int st = 0; st < kStageCount; ++st) {
    m.on_device[st] = LogNormal::From(s.stages[st].on_device);
    m.server[st] = LogNormal::From(s.stages[st].server);
  }
  for (int n = 0; n < 3; ++n) m.rtt[n] = LogNormal::From(s.networks[n].rtt);

  // Error kinds: per stage error then timeout, then cancellation, then incident overrides.
  for (int st = 0; st < kStageCount; ++st) {
    const StageSpec& ss = s.stages[st];
    std::string up = StageName(static_cast<Stage>(st));
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
    error_kinds_.push_back({ss.error_code.empty() ? up + "_ERROR" : ss.error_code,
                            ss.error_message.empty() ? up + " failed" : ss.error_message});
    error_kinds_.push_back({ss.timeout_code.empty() ? up + "_TIMEOUT" : ss.timeout_code,
                            ss.timeout_message.empty() ? up + " timed out after {ms} ms" : ss.timeout_message});
  }
  error_kinds_.push_back({"USER_CANCELLED", "Request cancelled by user after {ms} ms"});

  // Pass over the run: traffic normalization and mean regional load.
  const size_t nl = m.locales.size();
  double total = 0;
  std::vector<double> region_sum(nregions, 0.0);
  for (int64_t mi = 0; mi < minutes_; ++mi) {
    TimeMs t = options_.start + mi * kMinuteMs + 30 * kSecondMs;
    for (size_t l = 0; l < nl; ++l) {
      double r = m.RawRate(l, t);
      total += r;
      for (size_t g = 0; g < nregions; ++g) region_sum[g] += r * m.region_share[l][g];
    }
  }
  m.scale = static_cast<double>(options_.days) * options_.events_per_day / total;
  m.region_mean.resize(nregions);
  for (size_t g = 0; g < nregions; ++g) m.region_mean[g] = region_sum[g] / minutes_;
  m.lam.resize(nl);
  m.region_factor.resize(nregions);

  // Injections.
  if (options_.inject) {
    uint64_t salt = 1;
    for (const Injection& in : s.injections) {
      ResolvedInjection ri;
      ri.spec = &in;
      ri.onset = in.onset.Resolve(options_.start);
      ri.end = in.duration_ms ? ri.onset + *in.duration_ms : End();
      ri.end = std::min(ri.end, End());
      ri.ramp_ms = in.ramp_ms;
      if (in.kind == "latency_drift" && ri.ramp_ms == 0) ri.ramp_ms = ri.end - ri.onset;
      if (ri.onset >= End() || ri.end <= std::max(ri.onset, options_.start)) continue;
      CompiledInjection ci;
      ci.kind = KindOf(in.kind);
      for (const auto& [d, v] : in.slice) {
        int idx = ValueIndex(d, v);
        if (idx < 0) return ConfigError("injection " + in.id + ": no such " + DimName(d) + " '" + v + "'");
        ci.slice.emplace_back(static_cast<int>(d), static_cast<uint16_t>(idx));
      }
      ci.stage = in.stage ? static_cast<int>(*in.stage) : -1;
      ci.size = in.size;
      ci.onset = ri.onset;
      ci.end = ri.end;
      ci.ramp = ri.ramp_ms;
      ci.salt = internal::Mix64(salt++ * 0x9e3779b97f4a7c15ULL);
      if ((ci.kind == Kind::kFailure || ci.kind == Kind::kTimeout) &&
          (!in.error_code.empty() || !in.error_message.empty())) {
        const ErrorKind& base = error_kinds_[2 * ci.stage + (ci.kind == Kind::kTimeout ? 1 : 0)];
        error_kinds_.push_back({in.error_code.empty() ? base.code : in.error_code,
                                in.error_message.empty() ? base.message : in.error_message});
        ci.error_kind = static_cast<int16_t>(error_kinds_.size() - 1);
      }
      if (ci.kind == Kind::kMixShift) {
        ci.matching_devices.resize(nl);
        for (size_t l = 0; l < nl; ++l) {
          for (size_t k = m.locales[l].begin; k < m.locales[l].end; ++k) {
            const Device& d = m.devices[k];
            bool match = true;
            for (const auto& [dim, v] : ci.slice) {
              uint16_t have = dim == static_cast<int>(Dim::kPlatform)      ? d.platform
                              : dim == static_cast<int>(Dim::kDeviceModel) ? d.model
                                                                            : d.os;
              match = match && have == v;
            }
            if (match) ci.matching_devices[l].push_back(static_cast<uint32_t>(k - m.locales[l].begin));
          }
        }
      }
      m.injections.push_back(std::move(ci));
      injections_.push_back(ri);
    }
  }
  return Status::Ok();
}

void Fleet::GenerateMinute(int64_t minute, std::vector<SimEvent>* out) {
  Impl& m = *impl_;
  const Scenario& s = scenario_;
  const TimeMs t0 = options_.start + minute * kMinuteMs;
  const TimeMs tm = t0 + 30 * kSecondMs;
  const size_t nl = m.locales.size();

  // Traffic of this minute, per locale, and the regional load it puts on the servers.
  double lambda = 0;
  std::fill(m.region_factor.begin(), m.region_factor.end(), 0.0);
  for (size_t l = 0; l < nl; ++l) {
    double r = m.RawRate(l, tm);
    for (size_t g = 0; g < m.region_factor.size(); ++g) m.region_factor[g] += r * m.region_share[l][g];
    lambda += r * m.scale;
    m.lam[l] = lambda;
  }
  for (size_t g = 0; g < m.region_factor.size(); ++g) {
    double rel = m.region_mean[g] > 0 ? m.region_factor[g] / m.region_mean[g] : 1;
    m.region_factor[g] = std::max(0.2, 1 + s.load_sensitivity * (rel - 1));
  }
  // Version adoption: thresholds on a device's uniform, newest version first, so a device that
  // adopted a version keeps it while the version's share grows.
  for (int f = 0; f < 3; ++f) {
    auto& cum = m.version_cum[f];
    cum.clear();
    const auto& vs = m.families[f];
    double remaining = 1, c = 0;
    for (size_t k = vs.size(); k-- > 0;) {
      const Version& v = vs[k];
      double a = 0;
      if (tm >= v.release) {
        a = v.ramp <= 0 ? v.max_share
                        : v.max_share * Smoothstep(static_cast<double>(tm - v.release) / v.ramp);
      }
      double take = k == 0 ? remaining : remaining * a;
      remaining -= take;
      c += take;
      cum.emplace_back(c, static_cast<uint16_t>(k));
    }
  }
  m.active.clear();
  for (const auto& ci : m.injections) {
    if (ci.onset < t0 + kMinuteMs && ci.end > t0) m.active.push_back(&ci);
  }

  // Count and start offsets of this minute's turns.
  Rng mr(StreamSeed(options_.seed, 0x6d696e ^ (static_cast<uint64_t>(minute) << 20), 1));
  int64_t n;
  if (lambda < 30) {
    double limit = std::exp(-lambda), p = 1;
    n = -1;
    do {
      ++n;
      p *= mr.Uniform();
    } while (p > limit);
  } else {
    n = static_cast<int64_t>(std::floor(lambda + std::sqrt(lambda) * NormalQuantile(mr.OpenUniform()) + 0.5));
    n = std::max<int64_t>(0, n);
  }
  m.offsets.resize(n);
  for (int64_t i = 0; i < n; ++i) m.offsets[i] = static_cast<uint16_t>(mr.Below(60000));
  std::sort(m.offsets.begin(), m.offsets.end());

  const double tail_start = 1 - s.tail_probability;
  const double inv_alpha = 1 / s.tail_alpha;
  for (int64_t i = 0; i < n; ++i) {
    Rng r(StreamSeed(options_.seed, static_cast<uint64_t>(minute) + 0x100000000ULL, i));
    SimEvent e;
    e.ts = t0 + m.offsets[i];
    e.request_id = r.Next();
    double ul = r.Uniform() * lambda;
    size_t l = 0;
    while (l + 1 < nl && ul >= m.lam[l]) ++l;
    const CompiledLocale& loc = m.locales[l];
    const size_t pool = loc.end - loc.begin;
    size_t di = static_cast<size_t>(pool * std::pow(r.Uniform(), s.device_skew));
    di = std::min(di, pool - 1);
    // A mix shift moves a share of the traffic onto devices of its slice. Its draws come from
    // the request id, not the event's stream, so everything else about the event stays put.
    for (const CompiledInjection* ci : m.active) {
      if (ci->kind != Kind::kMixShift) continue;
      const auto& match = ci->matching_devices[l];
      uint64_t h = internal::Mix64(e.request_id ^ ci->salt);
      if (!match.empty() && (h >> 11) * 0x1.0p-53 < ci->size * ci->Ramp(e.ts)) {
        di = match[internal::Mix64(h) % match.size()];
      }
    }
    const Device& dev = m.devices[loc.begin + di];
    const CompiledPlatform& pl = m.platforms[dev.platform];
    e.device_id = dev.id;
    auto& dims = e.dims;
    dims[static_cast<int>(Dim::kPlatform)] = dev.platform;
    dims[static_cast<int>(Dim::kOsVersion)] = dev.os;
    dims[static_cast<int>(Dim::kDeviceModel)] = dev.model;
    dims[static_cast<int>(Dim::kLocale)] = static_cast<uint16_t>(l);
    dims[static_cast<int>(Dim::kRegion)] = dev.region;
    const uint16_t build = PickCum(m.version_cum[0], dev.u_build);
    const uint16_t asr = PickCum(m.version_cum[1], dev.u_asr);
    const uint16_t voice = PickCum(m.version_cum[2], dev.u_voice);
    dims[static_cast<int>(Dim::kAppBuild)] = m.families[0][build].value;
    dims[static_cast<int>(Dim::kAsrModel)] = m.families[1][asr].value;
    dims[static_cast<int>(Dim::kTtsVoice)] = m.families[2][voice].value;
    double un = r.Uniform();
    const int net = un < pl.cum_wifi ? 0 : un < pl.cum_cellular ? 1 : 2;
    dims[static_cast<int>(Dim::kNetwork)] = static_cast<uint16_t>(net);
    const bool on_device = net == 2 || r.Uniform() < m.model_on_device[dev.model];
    dims[static_cast<int>(Dim::kAsrMode)] = on_device ? 0 : 1;
    const bool full_duplex = r.Uniform() < pl.full_duplex;
    dims[static_cast<int>(Dim::kConversationMode)] = full_duplex ? 1 : 0;

    // Effects of the injections whose slice holds this event.
    double lat_mult[kStageCount] = {1, 1, 1, 1, 1};
    double err_add[kStageCount] = {0, 0, 0, 0, 0}, to_add[kStageCount] = {0, 0, 0, 0, 0};
    int16_t err_override[kStageCount] = {-1, -1, -1, -1, -1};
    int16_t to_override[kStageCount] = {-1, -1, -1, -1, -1};
    double rephrase_add = 0, fbi_add = 0, drop = 0;
    for (const CompiledInjection* ci : m.active) {
      if (ci->kind == Kind::kMixShift) continue;
      bool match = true;
      for (const auto& [d, v] : ci->slice) match = match && dims[d] == v;
      if (!match) continue;
      double eff = ci->size * ci->Ramp(e.ts);
      if (eff <= 0) continue;
      switch (ci->kind) {
        case Kind::kLatency: lat_mult[ci->stage] *= 1 + eff; break;
        case Kind::kFailure:
          err_add[ci->stage] += eff;
          if (ci->error_kind >= 0) err_override[ci->stage] = ci->error_kind;
          break;
        case Kind::kTimeout:
          to_add[ci->stage] += eff;
          if (ci->error_kind >= 0) to_override[ci->stage] = ci->error_kind;
          break;
        case Kind::kRephrase: rephrase_add += eff; break;
        case Kind::kFalseBargeIn: fbi_add += eff; break;
        case Kind::kVolumeDrop: drop = 1 - (1 - drop) * (1 - eff); break;
        case Kind::kMixShift: break;
      }
    }
    if (drop > 0 && (internal::Mix64(e.request_id ^ 0xd209) >> 11) * 0x1.0p-53 < drop) continue;

    // The pipeline, stage by stage; a failure ends the turn.
    double sum = 0;
    for (int st = 0; st < kStageCount; ++st) {
      const StageSpec& ss = s.stages[st];
      if (st == static_cast<int>(Stage::kTtsFirstAudio) && r.Uniform() < s.cancel) {
        e.outcome = Outcome::kCancelled;
        e.error_kind = static_cast<int16_t>(2 * kStageCount);
        e.err_b = static_cast<uint32_t>(sum);
        e.err_a = static_cast<uint32_t>(r.Next());
        break;
      }
      const bool at_device = st == 0 || on_device;
      const LogNormal& ln = at_device ? m.on_device[st] : m.server[st];
      double u = r.OpenUniform();
      double v = std::exp(ln.mu + ln.sigma * NormalQuantile(u));
      if (u > tail_start) {
        double w = (u - tail_start) / s.tail_probability;
        v *= std::min(50.0, std::pow(1 - w, -inv_alpha));
      }
      v *= at_device ? m.model_speed[dev.model] : m.region_factor[dev.region];
      if (st == static_cast<int>(Stage::kAsrFinal)) v *= m.families[1][asr].latency_factor;
      if (st == static_cast<int>(Stage::kTtsFirstAudio)) v *= m.families[2][voice].latency_factor;
      if (!at_device && (st == static_cast<int>(Stage::kAsrFinal) || st == static_cast<int>(Stage::kTtsFirstAudio))) {
        const LogNormal& rt = m.rtt[net];
        v += std::exp(rt.mu + rt.sigma * NormalQuantile(r.OpenUniform()));
      }
      v *= lat_mult[st];
      double uf = r.Uniform();
      double pe = ss.error + err_add[st];
      double pt = ss.timeout * s.networks[net].timeout_factor + to_add[st];
      if (uf < pe + pt) {
        bool error = uf < pe;
        e.outcome = error ? Outcome::kError : Outcome::kTimeout;
        int16_t base = static_cast<int16_t>(2 * st + (error ? 0 : 1));
        int16_t over = error ? err_override[st] : to_override[st];
        bool injected = error ? uf >= ss.error : uf >= pe + ss.timeout * s.networks[net].timeout_factor;
        e.error_kind = injected && over >= 0 ? over : base;
        e.err_a = static_cast<uint32_t>(r.Next());
        e.err_b = error ? static_cast<uint32_t>(v) : static_cast<uint32_t>(ss.timeout_ms) + static_cast<uint32_t>(r.Below(40));
        break;
      }
      e.latency[st] = static_cast<float>(v);
      e.latency_mask |= 1 << st;
      sum += v;
    }
    const bool ok = e.outcome == Outcome::kOk;
    if (ok) {
      e.latency[kE2e] = static_cast<float>(sum);
      e.latency_mask |= 1 << kE2e;
    }
    double pr = ok ? s.rephrase * m.families[1][asr].rephrase_factor + rephrase_add : s.rephrase_after_error;
    e.rephrased = r.Uniform() < pr;
    if (full_duplex && ok) {
      double ub = r.Uniform();
      double fb = s.false_barge_in + fbi_add;
      e.false_barge_in = ub < fb;
      e.barge_in = !e.false_barge_in && ub < fb + s.barge_in;
    }
    out->push_back(e);
  }
}

}  // namespace vigil::sim
