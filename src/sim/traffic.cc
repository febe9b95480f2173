// Traffic: how many turns start in a minute, from which locale and device, and how the device
// connects (network, ASR mode, conversation mode); the regional load the traffic puts on the
// servers; which software versions the devices run as they roll out.
#include <algorithm>
#include <cmath>

#include "sim/calendar.h"
#include "sim/fleet_model.h"

namespace vigil::sim {
namespace {

double Smoothstep(double x) { return x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x); }

}  // namespace

double FleetModel::RawRate(size_t l, TimeMs t) const {
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

void MeasureTraffic(const Fleet::Options& options, int64_t minutes, size_t regions, FleetModel* m) {
  const size_t nl = m->locales.size();
  double total = 0;
  std::vector<double> region_sum(regions, 0.0);
  for (int64_t mi = 0; mi < minutes; ++mi) {
    TimeMs t = options.start + mi * kMinuteMs + 30 * kSecondMs;
    for (size_t l = 0; l < nl; ++l) {
      double r = m->RawRate(l, t);
      total += r;
      for (size_t g = 0; g < regions; ++g) region_sum[g] += r * m->region_share[l][g];
    }
  }
  m->scale = static_cast<double>(options.days) * options.events_per_day / total;
  m->region_mean.resize(regions);
  for (size_t g = 0; g < regions; ++g) m->region_mean[g] = region_sum[g] / minutes;
  m->lam.resize(nl);
  m->region_factor.resize(regions);
}

double MinuteTraffic(const Scenario& s, TimeMs tm, FleetModel* m) {
  double lambda = 0;
  std::fill(m->region_factor.begin(), m->region_factor.end(), 0.0);
  for (size_t l = 0; l < m->locales.size(); ++l) {
    double r = m->RawRate(l, tm);
    for (size_t g = 0; g < m->region_factor.size(); ++g)
      m->region_factor[g] += r * m->region_share[l][g];
    lambda += r * m->scale;
    m->lam[l] = lambda;
  }
  for (size_t g = 0; g < m->region_factor.size(); ++g) {
    double rel = m->region_mean[g] > 0 ? m->region_factor[g] / m->region_mean[g] : 1;
    m->region_factor[g] = std::max(0.2, 1 + s.load_sensitivity * (rel - 1));
  }
  return lambda;
}

// Thresholds on a device's uniform, newest version first, so a device that adopted a version
// keeps it while the version's share grows.
void AdoptVersions(TimeMs tm, FleetModel* m) {
  for (int f = 0; f < 3; ++f) {
    auto& cum = m->version_cum[f];
    cum.clear();
    const auto& vs = m->families[f];
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
}

int64_t DrawTurnCount(uint64_t seed, int64_t minute, double lambda, FleetModel* m) {
  Rng mr(StreamSeed(seed, 0x6d696e ^ (static_cast<uint64_t>(minute) << 20), 1));
  int64_t n;
  if (lambda < 30) {
    double limit = std::exp(-lambda), p = 1;
    n = -1;
    do {
      ++n;
      p *= mr.Uniform();
    } while (p > limit);
  } else {
    n = static_cast<int64_t>(
        std::floor(lambda + std::sqrt(lambda) * NormalQuantile(mr.OpenUniform()) + 0.5));
    n = std::max<int64_t>(0, n);
  }
  m->offsets.resize(n);
  for (int64_t i = 0; i < n; ++i) m->offsets[i] = static_cast<uint16_t>(mr.Below(60000));
  std::sort(m->offsets.begin(), m->offsets.end());
  return n;
}

void DrawLocaleAndDevice(const FleetModel& m, const Scenario& s, double lambda, Rng& r,
                         size_t* locale, size_t* device) {
  const size_t nl = m.locales.size();
  double ul = r.Uniform() * lambda;
  size_t l = 0;
  while (l + 1 < nl && ul >= m.lam[l]) ++l;
  const CompiledLocale& loc = m.locales[l];
  const size_t pool = loc.end - loc.begin;
  size_t di = static_cast<size_t>(pool * std::pow(r.Uniform(), s.device_skew));
  *locale = l;
  *device = std::min(di, pool - 1);
}

void DrawTurn(const FleetModel& m, size_t locale, const Device& dev, Rng& r, Turn* turn,
              SimEvent* e) {
  const CompiledPlatform& pl = m.platforms[dev.platform];
  turn->locale = locale;
  turn->device = &dev;
  turn->platform = &pl;
  e->device_id = dev.id;
  auto& dims = e->dims;
  dims[static_cast<int>(Dim::kPlatform)] = dev.platform;
  dims[static_cast<int>(Dim::kOsVersion)] = dev.os;
  dims[static_cast<int>(Dim::kDeviceModel)] = dev.model;
  dims[static_cast<int>(Dim::kLocale)] = static_cast<uint16_t>(locale);
  dims[static_cast<int>(Dim::kRegion)] = dev.region;
  const uint16_t build = PickCum(m.version_cum[0], dev.u_build);
  turn->asr = PickCum(m.version_cum[1], dev.u_asr);
  turn->voice = PickCum(m.version_cum[2], dev.u_voice);
  dims[static_cast<int>(Dim::kAppBuild)] = m.families[0][build].value;
  dims[static_cast<int>(Dim::kAsrModel)] = m.families[1][turn->asr].value;
  dims[static_cast<int>(Dim::kTtsVoice)] = m.families[2][turn->voice].value;
  double un = r.Uniform();
  turn->network = un < pl.cum_wifi ? 0 : un < pl.cum_cellular ? 1 : 2;
  dims[static_cast<int>(Dim::kNetwork)] = static_cast<uint16_t>(turn->network);
  turn->on_device = turn->network == 2 || r.Uniform() < m.model_on_device[dev.model];
  dims[static_cast<int>(Dim::kAsrMode)] = turn->on_device ? 0 : 1;
  turn->full_duplex = r.Uniform() < pl.full_duplex;
  dims[static_cast<int>(Dim::kConversationMode)] = turn->full_duplex ? 1 : 0;
}

}  // namespace vigil::sim
