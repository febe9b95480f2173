#include "sim/random_world.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/rng.h"
#include "sim/scenario.h"
#include "vigil/time.h"

namespace vigil::sim {
namespace {

// Pools the worlds draw from. Names are kept plausible (and partly shared with the demo, as real
// fleets share OS version numbers across platforms) so that reports stay readable; everything
// that decides what detection sees — how many values, their shares, correlations, shapes, noise,
// volumes, what regresses where and how much — is drawn.
struct LocalePool {
  const char* name;
  int utc_offset_minutes;
  const char* dst;
  std::vector<const char*> regions;
};

const std::vector<LocalePool>& Locales() {
  static const std::vector<LocalePool> pool = {
      {"en-US", -300, "us", {"us-east", "us-west"}},
      {"es-US", -360, "us", {"us-east", "us-west"}},
      {"en-CA", -300, "us", {"ca-central", "us-east"}},
      {"fr-CA", -300, "us", {"ca-central"}},
      {"es-MX", -360, "none", {"us-west", "us-east"}},
      {"pt-BR", -180, "none", {"sa-east"}},
      {"en-GB", 0, "eu", {"eu-west"}},
      {"de-DE", 60, "eu", {"eu-central"}},
      {"fr-FR", 60, "eu", {"eu-central", "eu-west"}},
      {"es-ES", 60, "eu", {"eu-west"}},
      {"it-IT", 60, "eu", {"eu-central"}},
      {"nl-NL", 60, "eu", {"eu-west", "eu-central"}},
      {"sv-SE", 60, "eu", {"eu-north", "eu-central"}},
      {"pl-PL", 60, "eu", {"eu-central"}},
      {"tr-TR", 180, "none", {"eu-central", "me-south"}},
      {"ar-SA", 180, "none", {"me-south"}},
      {"hi-IN", 330, "none", {"ap-south"}},
      {"en-IN", 330, "none", {"ap-south"}},
      {"th-TH", 420, "none", {"ap-southeast"}},
      {"id-ID", 420, "none", {"ap-southeast"}},
      {"zh-CN", 480, "none", {"ap-east"}},
      {"ja-JP", 540, "none", {"ap-northeast"}},
      {"ko-KR", 540, "none", {"ap-northeast"}},
      {"en-AU", 600, "au", {"ap-southeast"}},
  };
  return pool;
}

struct PlatformPool {
  const char* name;
  std::vector<const char*> os_versions;
  std::vector<const char*> device_models;
  bool portable;     // carried around: more cellular, some offline
  bool full_duplex;  // can hold a full-duplex conversation
};

const std::vector<PlatformPool>& Platforms() {
  static const std::vector<PlatformPool> pool = {
      {"iOS",
       {"17.6", "18.3", "18.4", "18.5", "18.6"},
       {"iPhone SE", "iPhone 12", "iPhone 13", "iPhone 14", "iPhone 15", "iPhone 16"},
       true,
       true},
      {"macOS",
       {"14.7", "15.3", "15.4", "15.5"},
       {"MacBook Air M1", "MacBook Air M2", "MacBook Pro M3", "iMac M4", "Mac mini M4"},
       false,
       true},
      {"watchOS",
       {"10.6", "11.3", "11.4", "11.5"},
       {"Watch SE", "Watch S8", "Watch S9", "Watch Ultra 2"},
       true,
       false},
      {"tvOS", {"17.6", "18.3", "18.4"}, {"Apple TV 4K", "Apple TV HD"}, false, true},
      {"visionOS", {"2.2", "2.3", "2.4"}, {"Vision Pro"}, false, true},
      {"Android",
       {"13", "14", "15"},
       {"Pixel 7", "Pixel 8", "Galaxy S23", "Galaxy S24", "Galaxy A54"},
       true,
       true},
      {"audioOS", {"18.3", "18.4"}, {"HomePod mini", "HomePod 2"}, false, true},
  };
  return pool;
}

// Stages that can time out (the end-pointer has no timeout in the fleet model).
constexpr std::array<const char*, 4> kTimeoutStages = {"asr_final", "nlu", "dialog",
                                                       "tts_first_audio"};

// Draws for one world, from one stream of it: stream 1 draws the world, stream 2 its joint
// regression (so that adding it left everything else the worlds drew as it was).
class Draw {
 public:
  explicit Draw(uint64_t seed, uint64_t stream = 1)
      : rng_(StreamSeed(seed, 0x776f726c64ULL, stream)) {}
  double Uniform(double a, double b) { return a + (b - a) * rng_.Uniform(); }
  double LogUniform(double a, double b) { return std::exp(Uniform(std::log(a), std::log(b))); }
  int Int(int a, int b) {
    return a +
           static_cast<int>(rng_.Below(static_cast<uint64_t>(b) - static_cast<uint64_t>(a) + 1));
  }
  bool Chance(double p) { return rng_.Uniform() < p; }
  double Normal() { return NormalQuantile(rng_.OpenUniform()); }
  // A positive weight with a spread of `sigma` in log space (shares of a categorical).
  double Weight(double sigma) { return std::exp(sigma * Normal()); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng_.Below(v.size())];
  }
  // k distinct indices of [0, n), in increasing order.
  std::vector<int> Subset(int n, int k) {
    std::vector<int> idx(n);
    for (int i = 0; i < n; ++i) idx[i] = i;
    for (int i = 0; i < k; ++i) std::swap(idx[i], idx[i + static_cast<int>(rng_.Below(n - i))]);
    idx.resize(k);
    std::sort(idx.begin(), idx.end());
    return idx;
  }

 private:
  Rng rng_;
};

// Scenario durations are written in minutes here; the project's spelling is FormatDuration's.
std::string Duration(int64_t minutes) { return FormatDuration(minutes * kMinuteMs); }

std::string Offset(int minutes) {
  int a = std::abs(minutes);
  return fmt::format("\"{}{:02}:{:02}\"", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::string Date(int64_t days) { return FormatTimestamp(days * kDayMs).substr(0, 10); }

std::vector<double> Normalized(std::vector<double> w) {
  double sum = 0;
  for (double x : w) sum += x;
  for (double& x : w) x /= sum;
  return w;
}

// The demo's daily shapes, warped: the peak moves by up to two hours either way and the swing
// between night and peak grows or shrinks.
std::string DailyShape(Draw& d, const std::array<double, 24>& base) {
  double shift = d.Uniform(-2, 2), swing = d.Uniform(0.6, 1.4);
  std::string out = "[";
  for (int h = 0; h < 24; ++h) {
    double x = h - shift;
    double lo = std::floor(x), f = x - lo;
    auto at = [&](double k) {
      return base[static_cast<int>(((static_cast<int>(k) % 24) + 24) % 24)];
    };
    double w = (1 - f) * at(lo) + f * at(lo + 1);
    w = std::max(0.05, 1 + swing * (w - 1));
    out += fmt::format("{}{:.3f}", h ? ", " : "", w);
  }
  return out + "]";
}

struct WorldLocale {
  const LocalePool* pool;
  double share;
  std::vector<std::pair<std::string, double>> regions;
};

struct WorldModel {
  std::string name;
  double share;
};

struct WorldPlatform {
  const PlatformPool* pool;
  double share;
  std::vector<std::pair<std::string, double>> os_versions;
  std::vector<WorldModel> models;  // shares within the platform
  double cellular_share;
  double full_duplex;
};

struct WorldRollout {
  std::string dim;  // app_build, asr_model, tts_voice
  std::string name;
  int64_t release_minutes;  // from the start; negative: before the run
  int64_t ramp_minutes;
  double max_share;
  bool regressed = false;
};

// A slice with its expected share of all traffic (independence assumed across unrelated
// dimensions), used to keep injections on slices that carry some traffic.
struct Slice {
  std::vector<std::pair<std::string, std::string>> values;
  double share = 1;
};

// An incident placed in the world: its slice and window, in minutes from the start.
struct Placed {
  std::vector<std::pair<std::string, std::string>> slice;
  int64_t onset, end;
};

class WorldBuilder {
 public:
  explicit WorldBuilder(uint64_t seed) : d_(seed), seed_(seed) {}

  std::string Build() {
    DrawFleet();
    std::string y;
    y += fmt::format("name: random-{}\n", seed_);
    y += fmt::format(
        "description: A random world (seed {}) with {} locales, {} platforms and {} turns a "
        "day.\n",
        seed_, locales_.size(), platforms_.size(), events_per_day_);
    y += fmt::format("start: {}\ndays: {}\nevents_per_day: {}\n", Date(start_day_), days_,
                     events_per_day_);
    y += fmt::format("turns_per_device: {:.2f}\ndevice_skew: {:.2f}\n", d_.Uniform(2, 10),
                     d_.Uniform(1.5, 3.5));
    y += "diurnal: " + DailyShape(d_, base_.diurnal) + "\n";
    y += "weekend_diurnal: " + DailyShape(d_, base_.weekend_diurnal) + "\n";
    double dip = d_.Uniform(0.7, 1.0);
    y += fmt::format("weekly: [{:.3f}, {:.3f}, {:.3f}, {:.3f}, {:.3f}, {:.3f}, {:.3f}]\n",
                     d_.Uniform(0.97, 1.03), d_.Uniform(0.97, 1.05), d_.Uniform(0.97, 1.05),
                     d_.Uniform(0.97, 1.06), d_.Uniform(0.97, 1.08), dip * d_.Uniform(0.95, 1.1),
                     dip);
    y += LocalesYaml();
    y += PlatformsYaml();
    y += RolloutsYaml();
    y += StagesYaml();
    y += fmt::format("load_sensitivity: {:.2f}\ntail_probability: {:.4f}\ntail_alpha: {:.2f}\n",
                     d_.Uniform(0.1, 0.6), d_.Uniform(0.003, 0.02), d_.Uniform(1.3, 2.2));
    y += fmt::format(
        "rates: {{cancel: {:.4f}, rephrase: {:.4f}, rephrase_after_error: {:.3f}, barge_in: "
        "{:.3f}, false_barge_in: {:.4f}}}\n",
        d_.Uniform(0.005, 0.02), d_.Uniform(0.03, 0.07), d_.Uniform(0.3, 0.5),
        d_.Uniform(0.05, 0.15), d_.Uniform(0.008, 0.025));
    y += IncidentsYaml();
    y += DecoysYaml();
    return y;
  }

 private:
  void DrawFleet() {
    // A Monday of 2026 (2026-01-05 is one), so daylight-saving changes fall inside some runs.
    start_day_ = DaysFromCivil(2026, 1, 5) + int64_t{7} * d_.Int(0, 46);
    days_ = 14;
    events_per_day_ = static_cast<int64_t>(std::round(d_.LogUniform(20000, 500000) / 100) * 100);

    const auto& lp = Locales();
    std::vector<int> li = d_.Subset(static_cast<int>(lp.size()), d_.Int(5, 14));
    std::vector<double> lw;
    for (size_t i = 0; i < li.size(); ++i) lw.push_back(d_.Weight(0.9));
    lw = Normalized(lw);
    for (size_t i = 0; i < li.size(); ++i) {
      WorldLocale l{&lp[li[i]], lw[i], {}};
      const auto& rs = l.pool->regions;
      int k = rs.size() > 1 && d_.Chance(0.6) ? 2 : 1;
      std::vector<int> ri = d_.Subset(static_cast<int>(rs.size()), k);
      std::vector<double> rw(static_cast<size_t>(k));
      for (double& w : rw) w = d_.Weight(0.6);
      rw = Normalized(rw);
      for (int r = 0; r < k; ++r) l.regions.emplace_back(rs[ri[r]], rw[r]);
      locales_.push_back(std::move(l));
    }

    const auto& pp = Platforms();
    std::vector<int> pi = d_.Subset(static_cast<int>(pp.size()), d_.Int(3, 6));
    std::vector<double> pw;
    for (size_t i = 0; i < pi.size(); ++i) pw.push_back(d_.Weight(1.0));
    pw = Normalized(pw);
    for (size_t i = 0; i < pi.size(); ++i) {
      WorldPlatform p;
      p.pool = &pp[pi[i]];
      p.share = pw[i];
      const auto& os = p.pool->os_versions;
      std::vector<int> oi = d_.Subset(static_cast<int>(os.size()),
                                      d_.Int(1, static_cast<int>(std::min<size_t>(os.size(), 4))));
      std::vector<double> ow;
      for (size_t k = 0; k < oi.size(); ++k) ow.push_back(d_.Weight(0.7));
      ow = Normalized(ow);
      for (size_t k = 0; k < oi.size(); ++k) p.os_versions.emplace_back(os[oi[k]], ow[k]);
      const auto& ms = p.pool->device_models;
      std::vector<int> mi =
          d_.Subset(static_cast<int>(ms.size()), d_.Int(1, static_cast<int>(ms.size())));
      std::vector<double> mw;
      for (size_t k = 0; k < mi.size(); ++k) mw.push_back(d_.Weight(0.6));
      mw = Normalized(mw);
      for (size_t k = 0; k < mi.size(); ++k) p.models.push_back({ms[mi[k]], mw[k]});
      p.cellular_share = p.pool->portable ? d_.Uniform(0.2, 0.6) : d_.Uniform(0, 0.08);
      p.full_duplex = p.pool->full_duplex ? d_.Uniform(0.05, 0.6) : 0;
      platforms_.push_back(std::move(p));
    }

    // Software: versions released before the run, one or two that ramp inside it (healthy
    // ramps, some of which an incident later makes unhealthy).
    auto family = [&](const std::string& dim, const std::string& stem, int first) {
      int before = d_.Int(2, 3), inside = d_.Int(1, 2);
      int64_t release = -int64_t{d_.Int(60, 120)} * 24 * 60;
      for (int k = 0; k < before + inside; ++k) {
        WorldRollout r;
        r.dim = dim;
        r.name = fmt::format(fmt::runtime(stem), first + k);
        if (k < before) {
          r.release_minutes = release;
          release += int64_t{d_.Int(15, 40)} * 24 * 60;
          if (release > int64_t{-3} * 24 * 60) release = int64_t{-3} * 24 * 60;
          r.ramp_minutes = int64_t{d_.Int(3, 10)} * 24 * 60;
          r.max_share = k == 0 ? 1.0 : d_.Uniform(0.6, 0.95);
        } else {
          r.release_minutes = int64_t{d_.Int(2 * 24 * 60, (days_ - 3) * 24 * 60) / 60} * 60;
          r.ramp_minutes = int64_t{d_.Int(6, 72)} * 60;
          r.max_share = d_.Uniform(0.15, 0.7);
        }
        rollouts_.push_back(std::move(r));
      }
    };
    int year = d_.Int(25, 27);
    family("app_build", std::to_string(year) + ".{}.0", d_.Int(1, 6));
    family("asr_model", "asr-{}", d_.Int(10, 60));
    family("tts_voice", "voice-{}", d_.Int(2, 20));
  }

  std::string LocalesYaml() {
    std::string y = "locales:\n";
    for (const WorldLocale& l : locales_) {
      std::string regions;
      for (const auto& [r, w] : l.regions) {
        regions += fmt::format("{}{}: {:.3f}", regions.empty() ? "" : ", ", r, w);
      }
      y += fmt::format("  - {{name: {}, share: {:.4f}, utc_offset: {}, dst: {}, regions: {{{}}}",
                       l.pool->name, l.share, Offset(l.pool->utc_offset_minutes), l.pool->dst,
                       regions);
      // A local holiday inside the run for some locales: traffic follows the weekend shape,
      // scaled down (a decoy the truth lists).
      if (d_.Chance(0.25)) {
        int64_t day = start_day_ + d_.Int(2, days_ - 1);
        y += fmt::format(", holidays: [{{date: {}, factor: {:.2f}, name: Holiday}}]", Date(day),
                         d_.Uniform(0.45, 0.85));
      }
      y += "}\n";
    }
    return y;
  }

  std::string PlatformsYaml() {
    std::string y = "platforms:\n";
    for (const WorldPlatform& p : platforms_) {
      double offline = d_.Uniform(0, p.pool->portable ? 0.05 : 0.03);
      double wifi = std::max(0.0, 1 - p.cellular_share - offline);
      std::string os;
      for (const auto& [v, w] : p.os_versions) {
        os += fmt::format("{}\"{}\": {:.3f}", os.empty() ? "" : ", ", v, w);
      }
      y += fmt::format("  - name: {}\n    share: {:.4f}\n", p.pool->name, p.share);
      y += fmt::format("    network: {{wifi: {:.3f}, cellular: {:.3f}, offline: {:.3f}}}\n", wifi,
                       p.cellular_share, offline);
      y += fmt::format("    full_duplex: {:.3f}\n    os_versions: {{{}}}\n    device_models:\n",
                       p.full_duplex, os);
      // Recognition on the device is a property of the platform first (its chips and OS), then
      // of the model: platform and asr_mode are correlated, as in real fleets.
      double on_device = d_.Uniform(0.05, 0.9);
      for (const WorldModel& m : p.models) {
        y += fmt::format("      - {{name: {}, share: {:.3f}, speed: {:.2f}, on_device: {:.2f}}}\n",
                         m.name, m.share, d_.Uniform(0.7, 2.3),
                         std::clamp(on_device + 0.1 * d_.Normal(), 0.0, 1.0));
      }
    }
    return y;
  }

  std::string RolloutsYaml() {
    std::string y;
    for (const char* dim : {"app_build", "asr_model", "tts_voice"}) {
      y += fmt::format("{}s:\n", dim);
      for (const WorldRollout& r : rollouts_) {
        if (r.dim != dim) continue;
        std::string release = r.release_minutes < 0 ? "-" + Duration(-r.release_minutes)
                                                    : Duration(r.release_minutes);
        y += fmt::format("  - {{name: \"{}\", release: {}, ramp: {}, max_share: {:.2f}}}\n", r.name,
                         release, Duration(r.ramp_minutes), r.max_share);
      }
    }
    return y;
  }

  std::string StagesYaml() {
    // The default fleet's stage latencies and failure rates, each scaled: worlds differ in how
    // fast and how reliable each stage is.
    std::string y = "stages:\n";
    for (int s = 0; s < kStageCount; ++s) {
      const StageSpec& b = base_.stages[s];
      double speed = d_.Uniform(0.7, 1.4), spread = d_.Uniform(0.85, 1.2);
      auto p95 = [&](double p50, const LatencySpec& like) {
        return p50 * std::max(1.3, spread * like.p95 / like.p50);
      };
      double d50 = b.on_device.p50 * speed, s50 = b.server.p50 * speed * d_.Uniform(0.85, 1.15);
      y += fmt::format("  {}:\n", StageName(static_cast<Stage>(s)));
      y += fmt::format("    on_device: {{p50: {:.0f}, p95: {:.0f}}}\n", d50, p95(d50, b.on_device));
      y += fmt::format("    server: {{p50: {:.0f}, p95: {:.0f}}}\n", s50, p95(s50, b.server));
      y += fmt::format("    error: {:.5f}\n    timeout: {:.5f}\n", b.error * d_.LogUniform(0.5, 2),
                       b.timeout * d_.LogUniform(0.5, 2));
    }
    return y;
  }

  // --- injections -------------------------------------------------------------------------

  const WorldPlatform& PickPlatform() { return PickPlatform(d_); }
  const WorldPlatform& PickPlatform(Draw& d) {
    // In proportion to share, so that slices land where traffic is.
    double u = d.Uniform(0, 1), acc = 0;
    for (const WorldPlatform& p : platforms_) {
      acc += p.share;
      if (u < acc) return p;
    }
    return platforms_.back();
  }
  const WorldLocale& PickLocale() {
    double u = d_.Uniform(0, 1), acc = 0;
    for (const WorldLocale& l : locales_) {
      acc += l.share;
      if (u < acc) return l;
    }
    return locales_.back();
  }

  // Adds one dimension's value to a slice, multiplying its expected share.
  void AddDim(const std::string& dim, Slice* s, const WorldPlatform** platform) {
    auto add = [&](const std::string& v, double share) {
      s->values.emplace_back(dim, v);
      s->share *= share;
    };
    if (dim == "platform") {
      if (*platform) return;
      *platform = &PickPlatform();
      add((*platform)->pool->name, (*platform)->share);
    } else if (dim == "device_model" || dim == "os_version") {
      if (!*platform) {
        *platform = &PickPlatform();
        s->share *= (*platform)->share;
      }
      // A platform's only model or OS version names the platform's slice twice: such a slice
      // gets no share, so another is drawn.
      if (dim == "device_model") {
        const WorldModel& m = d_.Pick((*platform)->models);
        add(m.name, (*platform)->models.size() > 1 ? m.share : 0);
      } else {
        const auto& o = d_.Pick((*platform)->os_versions);
        add(o.first, (*platform)->os_versions.size() > 1 ? o.second : 0);
      }
    } else if (dim == "locale") {
      const WorldLocale& l = PickLocale();
      add(l.pool->name, l.share);
    } else if (dim == "region") {
      const WorldLocale& l = PickLocale();
      const auto& r = d_.Pick(l.regions);
      double share = 0;
      for (const WorldLocale& x : locales_) {
        for (const auto& [name, w] : x.regions) share += name == r.first ? x.share * w : 0;
      }
      add(r.first, share);
    } else if (dim == "network") {
      bool cellular = d_.Chance(0.5);
      double share = 0;
      for (const WorldPlatform& p : platforms_) {
        share += p.share * (cellular ? p.cellular_share : 1 - p.cellular_share);
      }
      add(cellular ? "cellular" : "wifi", share);
    } else if (dim == "asr_mode") {
      bool server = d_.Chance(0.5);
      add(server ? "server" : "on_device", 0.5);
    } else {  // a version that is established before the run
      std::vector<const WorldRollout*> established;
      for (const WorldRollout& r : rollouts_) {
        if (r.dim == dim && r.release_minutes < 0 && r.max_share < 1.0) established.push_back(&r);
      }
      const WorldRollout& r = *d_.Pick(established);
      add(r.name, r.max_share * 0.6);
    }
  }

  // A slice of 1 to 3 dimensions carrying at least `min_share` of the traffic (a few tries).
  Slice PickSlice(const std::vector<std::vector<std::string>>& shapes, double min_share) {
    Slice best;
    best.share = -1;
    for (int attempt = 0; attempt < 30; ++attempt) {
      const auto& shape = d_.Pick(shapes);
      Slice s;
      const WorldPlatform* platform = nullptr;
      for (const std::string& dim : shape) AddDim(dim, &s, &platform);
      if (s.share >= min_share) return s;
      if (s.share > best.share) best = s;
    }
    return best;
  }

  std::string SliceYaml(const Slice& s) {
    std::string out;
    for (const auto& [dim, v] : s.values) {
      out += fmt::format("{}{}: \"{}\"", out.empty() ? "" : ", ", dim, v);
    }
    return "{" + out + "}";
  }

  std::string IncidentsYaml() {
    using Shapes = std::vector<std::vector<std::string>>;
    const Shapes latency_shapes = {{"platform"},
                                   {"locale"},
                                   {"region"},
                                   {"asr_model"},
                                   {"tts_voice"},
                                   {"device_model"},
                                   {"app_build"},
                                   {"platform", "asr_model"},
                                   {"platform", "locale"},
                                   {"region", "asr_mode"},
                                   {"device_model", "os_version"},
                                   {"locale", "network"},
                                   {"platform", "os_version"},
                                   {"platform", "locale", "network"},
                                   {"device_model", "os_version", "region"},
                                   {"region", "asr_mode", "network"}};
    const Shapes failure_shapes = {{"platform"},
                                   {"region"},
                                   {"app_build"},
                                   {"locale"},
                                   {"device_model"},
                                   {"region", "asr_mode"},
                                   {"device_model", "os_version"},
                                   {"network", "region"},
                                   {"platform", "app_build"},
                                   {"platform", "os_version"},
                                   {"device_model", "os_version", "region"},
                                   {"platform", "locale", "network"}};
    const Shapes rephrase_shapes = {{"locale"},
                                    {"asr_model"},
                                    {"locale", "asr_model"},
                                    {"platform", "locale"},
                                    {"locale", "asr_model", "network"}};
    const Shapes barge_shapes = {
        {"device_model"}, {"platform"}, {"platform", "os_version"}, {"device_model", "os_version"}};
    const Shapes volume_shapes = {
        {"platform"},          {"locale"}, {"region"}, {"app_build"}, {"platform", "locale"},
        {"platform", "region"}};

    const int64_t day = int64_t{24} * 60;
    const int64_t run = days_ * day;
    int n = d_.Int(3, 10);
    std::string y = "incidents:\n";
    // Slices need at least ~2 turns a minute somewhere in the day to be worth injecting into;
    // whether the change is then detectable is what the truth's detectability records.
    double min_share = std::min(0.2, 2000.0 / static_cast<double>(events_per_day_));
    for (int i = 0; i < n; ++i) {
      std::string kind;
      double r = d_.Uniform(0, 1);
      if (r < 0.2)
        kind = "latency_step";
      else if (r < 0.3)
        kind = "latency_drift";
      else if (r < 0.4)
        kind = "rollout_regression";
      else if (r < 0.55)
        kind = "failure_spike";
      else if (r < 0.67)
        kind = "timeout_storm";
      else if (r < 0.75)
        kind = "rephrase_rise";
      else if (r < 0.82)
        kind = "false_barge_in_rise";
      else
        kind = "volume_drop";

      std::string id = fmt::format("t{}", i + 1);
      int64_t onset = d_.Int(2 * day, run - int64_t{12} * 60);
      int64_t duration = 0, ramp = d_.Int(0, 15);
      double size = 0;
      Slice slice;
      std::string stage;
      if (kind == "rollout_regression") {
        std::vector<WorldRollout*> fresh;
        for (WorldRollout& ro : rollouts_) {
          if (ro.release_minutes > 0 && !ro.regressed) fresh.push_back(&ro);
        }
        if (fresh.empty()) {
          kind = "latency_step";
        } else {
          WorldRollout& ro = *d_.Pick(fresh);
          ro.regressed = true;
          slice.values.emplace_back(ro.dim, ro.name);
          onset = ro.release_minutes;
          stage = ro.dim == "asr_model" ? "asr_final"
                  : ro.dim == "tts_voice"
                      ? "tts_first_audio"
                      : StageName(static_cast<Stage>(d_.Int(0, kStageCount - 1)));
          size = d_.LogUniform(0.1, 1.5);
          duration = run - onset;
          ramp = 0;
        }
      }
      if (kind == "latency_step" || kind == "latency_drift") {
        slice = PickSlice(latency_shapes, min_share);
        stage = StageName(static_cast<Stage>(d_.Int(0, kStageCount - 1)));
        if (kind == "latency_step") {
          size = d_.LogUniform(0.05, 1.5);
          duration = static_cast<int64_t>(d_.LogUniform(30, 5 * day));
        } else {
          size = d_.LogUniform(0.2, 1.5);
          duration = static_cast<int64_t>(d_.LogUniform(day, 10 * day));
          onset = std::min<int64_t>(onset, run - duration / 2);
          ramp = duration;
        }
      } else if (kind == "failure_spike" || kind == "timeout_storm") {
        slice = PickSlice(failure_shapes, min_share);
        stage = kind == "failure_spike" ? StageName(static_cast<Stage>(d_.Int(0, kStageCount - 1)))
                                        : kTimeoutStages[d_.Int(0, 3)];
        size = d_.LogUniform(0.003, 0.2);
        duration = static_cast<int64_t>(d_.LogUniform(30, 12 * 60));
      } else if (kind == "rephrase_rise") {
        slice = PickSlice(rephrase_shapes, min_share);
        size = d_.LogUniform(0.01, 0.15);
        duration = static_cast<int64_t>(d_.LogUniform(60, 2 * day));
      } else if (kind == "false_barge_in_rise") {
        // Only full-duplex turns can have a false barge-in: stay on platforms that have them.
        for (int attempt = 0; attempt < 10; ++attempt) {
          slice = PickSlice(barge_shapes, min_share);
          bool duplex = false;
          for (const WorldPlatform& p : platforms_) {
            for (const auto& [dim, v] : slice.values) {
              bool on_it = (dim == "platform" && v == p.pool->name);
              for (const WorldModel& m : p.models)
                on_it = on_it || (dim == "device_model" && v == m.name);
              duplex = duplex || (on_it && p.full_duplex > 0);
            }
          }
          if (duplex) break;
        }
        size = d_.LogUniform(0.005, 0.08);
        duration = static_cast<int64_t>(d_.LogUniform(60, 2 * day));
      } else if (kind == "volume_drop") {
        slice = PickSlice(volume_shapes, min_share);
        size = d_.Chance(0.4) ? 1.0 : d_.Uniform(0.2, 0.9);  // outages to zero, or partial
        duration = static_cast<int64_t>(d_.LogUniform(30, 8 * 60));
      }
      duration = std::max<int64_t>(30, std::min(duration, run - onset));
      ramp = std::min(ramp, duration);
      y += fmt::format("  - {{id: {}, kind: {}, slice: {}", id, kind, SliceYaml(slice));
      if (!stage.empty()) y += fmt::format(", stage: {}", stage);
      y += fmt::format(", size: {:.4f}, onset: {}, duration: {}", size, Duration(onset),
                       Duration(duration));
      if (ramp > 0) y += fmt::format(", ramp: {}", Duration(ramp));
      y += "}\n";
      placed_.push_back({slice.values, onset, onset + duration});
    }
    return y + JointYaml(fmt::format("t{}", n + 1));
  }

  // Whether one slice holds the other (an ancestor, a descendant or the same slice).
  static bool Related(const std::vector<std::pair<std::string, std::string>>& a,
                      const std::vector<std::pair<std::string, std::string>>& b) {
    auto holds = [](const auto& big, const auto& small) {
      for (const auto& kv : small)
        if (std::find(big.begin(), big.end(), kv) == big.end()) return false;
      return true;
    };
    return holds(a, b) || holds(b, a);
  }

  // One joint regression: asr_final latency, asr_final errors and rephrases up together, each
  // below the example config's threshold for its metric alone (asr_final_p95 10 %, failure_rate
  // 0.5 pp, rephrase_rate 1 pp). Its draws come from the world's second stream, so every other
  // line of the world is what it was before. Everywhere (a third of worlds) or on one platform;
  // 4–12 h after the first week (by then each kind of day, weekends too, has a baseline to be
  // judged against; in a shorter run, after its first half), at the onset among a few tries that
  // overlaps incidents of related slices (which could be credited with finding it) least.
  std::string JointYaml(const std::string& id) {
    Draw j(seed_, 2);
    Slice slice;
    if (!j.Chance(1.0 / 3)) slice.values.emplace_back("platform", PickPlatform(j).pool->name);
    const double size = j.Uniform(0.05, 0.08), error = j.Uniform(0.0025, 0.004),
                 rephrase = j.Uniform(0.005, 0.008);
    const int64_t day = int64_t{24} * 60, run = days_ * day;
    const int64_t duration = j.Int(4 * 60, 12 * 60), ramp = j.Int(0, 15);
    int64_t onset = 0, least = INT64_MAX;
    for (int attempt = 0; attempt < 40 && least > 0; ++attempt) {
      int64_t at = j.Int(std::min(7 * day, run / 2), run - duration);
      int64_t overlap = 0;
      for (const Placed& p : placed_) {
        if (Related(p.slice, slice.values))
          overlap += std::max<int64_t>(0, std::min(p.end, at + duration) - std::max(p.onset, at));
      }
      if (overlap < least) {
        least = overlap;
        onset = at;
      }
    }
    std::string y =
        fmt::format("  - {{id: {}, kind: joint, slice: {}, stage: asr_final", id, SliceYaml(slice));
    y += fmt::format(", size: {:.4f}, error: {:.5f}, rephrase: {:.5f}, onset: {}, duration: {}",
                     size, error, rephrase, Duration(onset), Duration(duration));
    if (ramp > 0) y += fmt::format(", ramp: {}", Duration(ramp));
    return y + "}\n";
  }

  std::string DecoysYaml() {
    int n = d_.Int(0, 2);
    if (n == 0) return "decoys: []\n";
    std::string y = "decoys:\n";
    const int64_t day = int64_t{24} * 60;
    for (int i = 0; i < n; ++i) {
      // A mix shift: traffic moves onto a slow device cohort; nothing regresses.
      const WorldPlatform& p = PickPlatform();
      std::string slice = d_.Chance(0.5)
                              ? fmt::format("{{device_model: \"{}\"}}", d_.Pick(p.models).name)
                              : fmt::format("{{platform: \"{}\"}}", p.pool->name);
      int64_t duration = d_.Int(4 * 60, day);
      int64_t onset = d_.Int(2 * day, days_ * day - duration);
      y += fmt::format(
          "  - {{id: d{}, kind: mix_shift, slice: {}, size: {:.2f}, onset: {}, duration: {}, "
          "ramp: {}}}\n",
          i + 1, slice, d_.Uniform(0.15, 0.4), Duration(onset), Duration(duration),
          Duration(d_.Int(30, 120)));
    }
    return y;
  }

  const Scenario base_ = DefaultScenario();  // the shapes and stages worlds vary around
  Draw d_;
  uint64_t seed_;
  int64_t start_day_ = 0;
  int days_ = 14;
  int64_t events_per_day_ = 0;
  std::vector<WorldLocale> locales_;
  std::vector<WorldPlatform> platforms_;
  std::vector<WorldRollout> rollouts_;
  std::vector<Placed> placed_;  // the incidents drawn so far
};

}  // namespace

std::string RandomWorldYaml(uint64_t seed) { return WorldBuilder(seed).Build(); }

}  // namespace vigil::sim
