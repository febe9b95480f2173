// Scenario files: YAML over DefaultScenario(). Every key is checked; an error names the file,
// the line and the key path (e.g. "incidents[2].size").
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <set>

#include "config/yaml_guard.h"
#include "sim/scenario.h"

namespace vigil::sim {
namespace {

// Thrown inside the parser only, caught by ParseScenario and returned as a Status.
struct ScenarioError {
  Status status;
};

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key, const std::string& why) {
    std::string where = source_;
    if (node.IsDefined() && !node.Mark().is_null()) {
      where += ":" + std::to_string(node.Mark().line + 1);
    }
    throw ScenarioError{ConfigError(where + ": key '" + key + "': " + why)};
  }

  void Keys(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> allowed) {
    if (!map.IsMap()) Fail(map, path, "expected a mapping");
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>();
      bool ok = false;
      for (const char* a : allowed) ok = ok || k == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        Fail(kv.first, Join(path, k), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::string Str(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) Fail(n, key, "expected a string");
    std::string s = n.Scalar();
    for (unsigned char c : s) {
      if (c < 0x20 || c == '"' || c == '\\') Fail(n, key, "quotes, backslashes and control characters are not allowed");
    }
    return s;
  }

  double Num(const YAML::Node& n, const std::string& key, double lo, double hi) {
    if (!n.IsScalar()) Fail(n, key, "expected a number");
    const std::string& s = n.Scalar();
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
      Fail(n, key, "expected a number, got '" + s + "'");
    }
    if (v < lo || v > hi) {
      Fail(n, key, "value " + s + " out of range [" + Fmt(lo) + ", " + Fmt(hi) + "]");
    }
    return v;
  }

  static std::string Fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }

  int64_t Int(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) {
    double v = Num(n, key, static_cast<double>(lo), static_cast<double>(hi));
    if (v != std::floor(v)) Fail(n, key, "expected an integer");
    return static_cast<int64_t>(v);
  }

  // "2d14h5m", "-60d", "90s", "250ms".
  int64_t Duration(const YAML::Node& n, const std::string& key, bool allow_negative = false) {
    std::string s = Str(n, key);
    size_t i = 0;
    bool neg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (neg && !allow_negative) Fail(n, key, "a duration cannot be negative");
    int64_t total = 0;
    bool any = false;
    while (i < s.size()) {
      int64_t v = 0;
      size_t d0 = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
      if (i == d0 || v > 1000000000) Fail(n, key, "bad duration '" + s + "' (e.g. 90m, 2d14h5m)");
      int64_t unit = 0;
      if (s.compare(i, 2, "ms") == 0) { unit = 1; i += 2; }
      else if (i < s.size() && s[i] == 's') { unit = kSecondMs; ++i; }
      else if (i < s.size() && s[i] == 'm') { unit = kMinuteMs; ++i; }
      else if (i < s.size() && s[i] == 'h') { unit = kHourMs; ++i; }
      else if (i < s.size() && s[i] == 'd') { unit = kDayMs; ++i; }
      else if (i < s.size() && s[i] == 'w') { unit = 7 * kDayMs; ++i; }
      else Fail(n, key, "bad duration '" + s + "': unit must be one of ms, s, m, h, d, w");
      total += v * unit;
      any = true;
    }
    if (!any) Fail(n, key, "empty duration");
    return neg ? -total : total;
  }

  // An RFC 3339 time or date, or an offset from the scenario start.
  TimeSpec When(const YAML::Node& n, const std::string& key) {
    std::string s = Str(n, key);
    if (s.size() >= 10 && s[4] == '-') {
      auto t = ParseTimestamp(s);
      if (!t.ok()) Fail(n, key, t.status().message());
      return TimeSpec{true, *t};
    }
    return TimeSpec{false, Duration(n, key, true)};
  }

  int64_t Date(const YAML::Node& n, const std::string& key) {
    std::string s = Str(n, key);
    auto t = ParseTimestamp(s);
    if (!t.ok() || s.size() != 10) Fail(n, key, "expected a date YYYY-MM-DD");
    return *t / kDayMs;
  }

  template <size_t N>
  std::array<double, N> Weights(const YAML::Node& n, const std::string& key) {
    if (!n.IsSequence() || n.size() != N) Fail(n, key, "expected a list of " + std::to_string(N) + " weights");
    std::array<double, N> w{};
    for (size_t i = 0; i < N; ++i) w[i] = Num(n[i], key + "[" + std::to_string(i) + "]", 0, 1e6);
    return w;
  }

  std::vector<Weighted> WeightMap(const YAML::Node& n, const std::string& key) {
    if (!n.IsMap() || n.size() == 0) Fail(n, key, "expected a mapping of value: weight");
    std::vector<Weighted> out;
    for (const auto& kv : n) {
      std::string name = Str(kv.first, key);
      out.emplace_back(name, Num(kv.second, Join(key, name), 0, 1e6));
    }
    return out;
  }

  LatencySpec Latency(const YAML::Node& n, const std::string& key, LatencySpec base) {
    Keys(n, key, {"p50", "p95"});
    if (n["p50"]) base.p50 = Num(n["p50"], Join(key, "p50"), 0, 1e7);
    if (n["p95"]) base.p95 = Num(n["p95"], Join(key, "p95"), 0, 1e7);
    if (base.p95 < base.p50) Fail(n, key, "p95 must be at least p50");
    return base;
  }

  std::vector<LocaleSpec> Locales(const YAML::Node& n) {
    if (!n.IsSequence() || n.size() == 0) Fail(n, "locales", "expected a non-empty list");
    std::vector<LocaleSpec> out;
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& e = n[i];
      std::string p = "locales[" + std::to_string(i) + "]";
      Keys(e, p, {"name", "share", "utc_offset", "dst", "regions", "holidays"});
      LocaleSpec l;
      l.name = Req(e, p, "name");
      l.share = Num(Need(e, p, "share"), Join(p, "share"), 0, 1e6);
      std::string off = Str(Need(e, p, "utc_offset"), Join(p, "utc_offset"));
      int hh = 0, mm = 0;
      if (off.size() != 6 || (off[0] != '+' && off[0] != '-') || off[3] != ':' ||
          std::sscanf(off.c_str() + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 14 || mm > 59) {
        Fail(e["utc_offset"], Join(p, "utc_offset"), "expected +HH:MM or -HH:MM");
      }
      l.utc_offset_minutes = (off[0] == '-' ? -1 : 1) * (hh * 60 + mm);
      if (e["dst"]) {
        std::string d = Str(e["dst"], Join(p, "dst"));
        if (d == "none") l.dst = DstRule::kNone;
        else if (d == "us") l.dst = DstRule::kUs;
        else if (d == "eu") l.dst = DstRule::kEu;
        else if (d == "au") l.dst = DstRule::kAu;
        else Fail(e["dst"], Join(p, "dst"), "expected one of none, us, eu, au");
      }
      l.regions = WeightMap(Need(e, p, "regions"), Join(p, "regions"));
      if (e["holidays"]) {
        const YAML::Node& hs = e["holidays"];
        if (!hs.IsSequence()) Fail(hs, Join(p, "holidays"), "expected a list");
        for (size_t j = 0; j < hs.size(); ++j) {
          std::string hp = Join(p, "holidays[" + std::to_string(j) + "]");
          Keys(hs[j], hp, {"date", "factor", "name"});
          Holiday h;
          h.date = Date(Need(hs[j], hp, "date"), Join(hp, "date"));
          h.factor = Num(Need(hs[j], hp, "factor"), Join(hp, "factor"), 0, 10);
          if (hs[j]["name"]) h.name = Str(hs[j]["name"], Join(hp, "name"));
          l.holidays.push_back(h);
        }
      }
      out.push_back(std::move(l));
    }
    return out;
  }

  std::vector<PlatformSpec> Platforms(const YAML::Node& n) {
    if (!n.IsSequence() || n.size() == 0) Fail(n, "platforms", "expected a non-empty list");
    std::vector<PlatformSpec> out;
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& e = n[i];
      std::string p = "platforms[" + std::to_string(i) + "]";
      Keys(e, p, {"name", "share", "network", "full_duplex", "os_versions", "device_models"});
      PlatformSpec pl;
      pl.name = Req(e, p, "name");
      pl.share = Num(Need(e, p, "share"), Join(p, "share"), 0, 1e6);
      if (e["network"]) {
        std::string np = Join(p, "network");
        Keys(e["network"], np, {"wifi", "cellular", "offline"});
        pl.wifi = pl.cellular = pl.offline = 0;
        if (e["network"]["wifi"]) pl.wifi = Num(e["network"]["wifi"], Join(np, "wifi"), 0, 1);
        if (e["network"]["cellular"]) pl.cellular = Num(e["network"]["cellular"], Join(np, "cellular"), 0, 1);
        if (e["network"]["offline"]) pl.offline = Num(e["network"]["offline"], Join(np, "offline"), 0, 1);
        if (pl.wifi + pl.cellular + pl.offline <= 0) Fail(e["network"], np, "weights sum to zero");
      }
      if (e["full_duplex"]) pl.full_duplex = Num(e["full_duplex"], Join(p, "full_duplex"), 0, 1);
      pl.os_versions = WeightMap(Need(e, p, "os_versions"), Join(p, "os_versions"));
      const YAML::Node& ms = Need(e, p, "device_models");
      if (!ms.IsSequence() || ms.size() == 0) Fail(ms, Join(p, "device_models"), "expected a non-empty list");
      for (size_t j = 0; j < ms.size(); ++j) {
        std::string mp = Join(p, "device_models[" + std::to_string(j) + "]");
        Keys(ms[j], mp, {"name", "share", "speed", "on_device"});
        DeviceModelSpec m;
        m.name = Req(ms[j], mp, "name");
        m.share = Num(Need(ms[j], mp, "share"), Join(mp, "share"), 0, 1e6);
        m.speed = Num(Need(ms[j], mp, "speed"), Join(mp, "speed"), 0.01, 100);
        m.on_device = Num(Need(ms[j], mp, "on_device"), Join(mp, "on_device"), 0, 1);
        pl.device_models.push_back(m);
      }
      out.push_back(std::move(pl));
    }
    return out;
  }

  std::vector<RolloutSpec> Rollouts(const YAML::Node& n, const std::string& key) {
    if (!n.IsSequence() || n.size() == 0) Fail(n, key, "expected a non-empty list");
    std::vector<RolloutSpec> out;
    for (size_t i = 0; i < n.size(); ++i) {
      std::string p = key + "[" + std::to_string(i) + "]";
      const YAML::Node& e = n[i];
      Keys(e, p, {"name", "release", "ramp", "max_share", "latency_factor", "rephrase_factor"});
      RolloutSpec r;
      r.name = Req(e, p, "name");
      r.release = When(Need(e, p, "release"), Join(p, "release"));
      if (e["ramp"]) r.ramp_ms = Duration(e["ramp"], Join(p, "ramp"));
      if (e["max_share"]) r.max_share = Num(e["max_share"], Join(p, "max_share"), 0, 1);
      if (e["latency_factor"]) r.latency_factor = Num(e["latency_factor"], Join(p, "latency_factor"), 0.01, 100);
      if (e["rephrase_factor"]) r.rephrase_factor = Num(e["rephrase_factor"], Join(p, "rephrase_factor"), 0, 100);
      out.push_back(std::move(r));
    }
    return out;
  }

  void Stages(const YAML::Node& n, Scenario* s) {
    Keys(n, "stages", {"endpoint", "asr_final", "nlu", "dialog", "tts_first_audio"});
    for (const auto& kv : n) {
      std::string name = kv.first.as<std::string>();
      StageSpec& st = s->stages[static_cast<int>(*StageFromName(name))];
      const YAML::Node& e = kv.second;
      std::string p = "stages." + name;
      Keys(e, p, {"on_device", "server", "error", "timeout", "timeout_ms", "error_code",
                  "error_message", "timeout_code", "timeout_message"});
      if (e["on_device"]) st.on_device = Latency(e["on_device"], Join(p, "on_device"), st.on_device);
      if (e["server"]) st.server = Latency(e["server"], Join(p, "server"), st.server);
      if (e["error"]) st.error = Num(e["error"], Join(p, "error"), 0, 1);
      if (e["timeout"]) st.timeout = Num(e["timeout"], Join(p, "timeout"), 0, 1);
      if (e["timeout_ms"]) st.timeout_ms = Num(e["timeout_ms"], Join(p, "timeout_ms"), 0, 1e7);
      if (e["error_code"]) st.error_code = Str(e["error_code"], Join(p, "error_code"));
      if (e["error_message"]) st.error_message = Template(e["error_message"], Join(p, "error_message"));
      if (e["timeout_code"]) st.timeout_code = Str(e["timeout_code"], Join(p, "timeout_code"));
      if (e["timeout_message"]) st.timeout_message = Template(e["timeout_message"], Join(p, "timeout_message"));
    }
  }

  std::string Template(const YAML::Node& n, const std::string& key) {
    static const std::set<std::string> kVars = {"shard", "ms", "status", "score", "hex",
                                                "region", "locale", "tts_voice", "asr_model",
                                                "device_model", "app_build"};
    std::string s = Str(n, key);
    for (size_t i = s.find('{'); i != std::string::npos; i = s.find('{', i + 1)) {
      size_t j = s.find('}', i);
      if (j == std::string::npos) Fail(n, key, "unclosed '{' in message template");
      if (!kVars.count(s.substr(i + 1, j - i - 1))) {
        Fail(n, key, "unknown template variable '{" + s.substr(i + 1, j - i - 1) + "}'");
      }
    }
    return s;
  }

  void Networks(const YAML::Node& n, Scenario* s) {
    Keys(n, "networks", {"wifi", "cellular", "offline"});
    const char* names[] = {"wifi", "cellular", "offline"};
    for (int i = 0; i < 3; ++i) {
      const YAML::Node& e = n[names[i]];
      if (!e) continue;
      std::string p = std::string("networks.") + names[i];
      Keys(e, p, {"rtt", "timeout_factor"});
      if (e["rtt"]) s->networks[i].rtt = Latency(e["rtt"], Join(p, "rtt"), s->networks[i].rtt);
      if (e["timeout_factor"]) s->networks[i].timeout_factor = Num(e["timeout_factor"], Join(p, "timeout_factor"), 0, 1000);
    }
  }

  void Rates(const YAML::Node& n, Scenario* s) {
    Keys(n, "rates", {"cancel", "rephrase", "rephrase_after_error", "barge_in", "false_barge_in"});
    if (n["cancel"]) s->cancel = Num(n["cancel"], "rates.cancel", 0, 1);
    if (n["rephrase"]) s->rephrase = Num(n["rephrase"], "rates.rephrase", 0, 1);
    if (n["rephrase_after_error"]) s->rephrase_after_error = Num(n["rephrase_after_error"], "rates.rephrase_after_error", 0, 1);
    if (n["barge_in"]) s->barge_in = Num(n["barge_in"], "rates.barge_in", 0, 1);
    if (n["false_barge_in"]) s->false_barge_in = Num(n["false_barge_in"], "rates.false_barge_in", 0, 1);
    if (s->barge_in + s->false_barge_in > 1) Fail(n, "rates", "barge_in + false_barge_in exceeds 1");
  }

  std::vector<Injection> Injections(const YAML::Node& n, const std::string& key, bool decoy) {
    if (!n.IsSequence()) Fail(n, key, "expected a list");
    std::vector<Injection> out;
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& e = n[i];
      std::string p = key + "[" + std::to_string(i) + "]";
      Keys(e, p, {"id", "kind", "slice", "stage", "size", "onset", "duration", "ramp",
                  "error_code", "error_message"});
      Injection in;
      in.decoy = decoy;
      in.id = Req(e, p, "id");
      in.kind = Req(e, p, "kind");
      bool known = false;
      if (decoy) {
        for (const char* k : kDecoyKinds) known = known || in.kind == k;
      } else {
        for (const char* k : kIncidentKinds) known = known || in.kind == k;
      }
      if (!known) {
        std::string list;
        if (decoy) {
          for (const char* k : kDecoyKinds) list += std::string(list.empty() ? "" : ", ") + k;
        } else {
          for (const char* k : kIncidentKinds) list += std::string(list.empty() ? "" : ", ") + k;
        }
        Fail(e["kind"], Join(p, "kind"), "unknown kind '" + in.kind + "' (expected one of: " + list + ")");
      }
      if (e["slice"]) {
        const YAML::Node& sl = e["slice"];
        if (!sl.IsMap()) Fail(sl, Join(p, "slice"), "expected a mapping of dimension: value");
        for (const auto& kv : sl) {
          std::string dim = Str(kv.first, Join(p, "slice"));
          auto d = DimFromName(dim);
          if (!d) Fail(kv.first, Join(p, "slice." + dim), "unknown dimension");
          in.slice.emplace_back(*d, Str(kv.second, Join(p, "slice." + dim)));
        }
      }
      if (e["stage"]) {
        std::string st = Str(e["stage"], Join(p, "stage"));
        in.stage = StageFromName(st);
        if (!in.stage) Fail(e["stage"], Join(p, "stage"), "unknown stage '" + st + "'");
      }
      in.size = Num(Need(e, p, "size"), Join(p, "size"), 0, 100);
      in.onset = When(Need(e, p, "onset"), Join(p, "onset"));
      if (e["duration"]) in.duration_ms = Duration(e["duration"], Join(p, "duration"));
      if (e["ramp"]) in.ramp_ms = Duration(e["ramp"], Join(p, "ramp"));
      if (e["error_code"]) in.error_code = Str(e["error_code"], Join(p, "error_code"));
      if (e["error_message"]) in.error_message = Template(e["error_message"], Join(p, "error_message"));
      bool latency = in.kind == "latency_step" || in.kind == "latency_drift" ||
                     in.kind == "rollout_regression";
      bool staged = latency || in.kind == "failure_spike" || in.kind == "timeout_storm";
      if (staged && !in.stage) Fail(e, p, "kind " + in.kind + " needs a 'stage'");
      if (!staged && in.stage) Fail(e["stage"], Join(p, "stage"), "kind " + in.kind + " takes no stage");
      bool rate = in.kind == "failure_spike" || in.kind == "timeout_storm" ||
                  in.kind == "rephrase_rise" || in.kind == "false_barge_in_rise";
      if ((rate || in.kind == "volume_drop" || in.kind == "mix_shift") && in.size > 1) {
        Fail(e["size"], Join(p, "size"), "a probability or share must lie in [0, 1]");
      }
      out.push_back(std::move(in));
    }
    return out;
  }

  const YAML::Node Need(const YAML::Node& map, const std::string& path, const char* key) {
    YAML::Node v = map[key];
    if (!v) Fail(map, Join(path, key), "missing");
    return v;
  }
  std::string Req(const YAML::Node& map, const std::string& path, const char* key) {
    std::string s = Str(Need(map, path, key), Join(path, key));
    if (s.empty()) Fail(map[key], Join(path, key), "must not be empty");
    return s;
  }

  void Top(const YAML::Node& root, Scenario* s) {
    Keys(root, "", {"name", "description", "start", "days", "events_per_day", "turns_per_device",
                    "device_skew", "diurnal", "weekend_diurnal", "weekly", "locales", "platforms",
                    "app_builds", "asr_models", "tts_voices", "stages", "networks",
                    "load_sensitivity", "tail_probability", "tail_alpha", "rates", "incidents",
                    "decoys"});
    if (root["name"]) s->name = Str(root["name"], "name");
    if (root["description"]) s->description = Str(root["description"], "description");
    if (root["start"]) {
      TimeSpec t = When(root["start"], "start");
      if (!t.absolute) Fail(root["start"], "start", "expected an RFC 3339 date or time");
      s->start = t.value;
    }
    if (root["days"]) s->days = static_cast<int>(Int(root["days"], "days", 1, 3660));
    if (root["events_per_day"]) s->events_per_day = Int(root["events_per_day"], "events_per_day", 1, 1000000000000LL);
    if (root["turns_per_device"]) s->turns_per_device = Num(root["turns_per_device"], "turns_per_device", 0.01, 1e6);
    if (root["device_skew"]) s->device_skew = Num(root["device_skew"], "device_skew", 1, 10);
    if (root["diurnal"]) s->diurnal = Weights<24>(root["diurnal"], "diurnal");
    if (root["weekend_diurnal"]) s->weekend_diurnal = Weights<24>(root["weekend_diurnal"], "weekend_diurnal");
    if (root["weekly"]) s->weekly = Weights<7>(root["weekly"], "weekly");
    if (root["locales"]) s->locales = Locales(root["locales"]);
    if (root["platforms"]) s->platforms = Platforms(root["platforms"]);
    if (root["app_builds"]) s->app_builds = Rollouts(root["app_builds"], "app_builds");
    if (root["asr_models"]) s->asr_models = Rollouts(root["asr_models"], "asr_models");
    if (root["tts_voices"]) s->tts_voices = Rollouts(root["tts_voices"], "tts_voices");
    if (root["stages"]) Stages(root["stages"], s);
    if (root["networks"]) Networks(root["networks"], s);
    if (root["load_sensitivity"]) s->load_sensitivity = Num(root["load_sensitivity"], "load_sensitivity", 0, 10);
    if (root["tail_probability"]) s->tail_probability = Num(root["tail_probability"], "tail_probability", 0, 0.5);
    if (root["tail_alpha"]) s->tail_alpha = Num(root["tail_alpha"], "tail_alpha", 0.5, 100);
    if (root["rates"]) Rates(root["rates"], s);
    if (root["incidents"]) {
      for (auto& in : Injections(root["incidents"], "incidents", false)) s->injections.push_back(std::move(in));
    }
    if (root["decoys"]) {
      for (auto& in : Injections(root["decoys"], "decoys", true)) s->injections.push_back(std::move(in));
    }
  }

 private:
  std::string source_;
};

}  // namespace

Result<Scenario> ParseScenario(const std::string& text, const std::string& source) {
  Scenario s = DefaultScenario();
  s.name = "custom";
  VIGIL_RETURN_IF_ERROR(internal::CheckYamlSize(text, source));
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) return ConfigError(source + ": empty scenario");
    Parser(source).Top(root, &s);
  } catch (const ScenarioError& e) {
    return e.status;
  } catch (const YAML::Exception& e) {
    return ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  VIGIL_RETURN_IF_ERROR(ValidateScenario(s, source));
  return s;
}

Status ValidateScenario(const Scenario& s, const std::string& source) {
  auto fail = [&](const std::string& key, const std::string& why) {
    return ConfigError(source + ": key '" + key + "': " + why);
  };
  auto positive = [](auto begin, auto end) {
    double sum = 0;
    for (auto it = begin; it != end; ++it) sum += *it;
    return sum > 0;
  };
  if (!positive(s.diurnal.begin(), s.diurnal.end())) return fail("diurnal", "weights sum to zero");
  if (!positive(s.weekend_diurnal.begin(), s.weekend_diurnal.end())) return fail("weekend_diurnal", "weights sum to zero");
  if (!positive(s.weekly.begin(), s.weekly.end())) return fail("weekly", "weights sum to zero");
  double share = 0;
  std::set<std::string> names;
  for (const auto& l : s.locales) {
    share += l.share;
    if (!names.insert(l.name).second) return fail("locales", "duplicate locale " + l.name);
  }
  if (share <= 0) return fail("locales", "shares sum to zero");
  share = 0;
  names.clear();
  std::set<std::string> models;
  for (const auto& p : s.platforms) {
    share += p.share;
    if (!names.insert(p.name).second) return fail("platforms", "duplicate platform " + p.name);
    double ms = 0;
    for (const auto& m : p.device_models) {
      ms += m.share;
      if (!models.insert(m.name).second) return fail("platforms", "duplicate device model " + m.name);
    }
    if (ms <= 0) return fail("platforms", p.name + ": device model shares sum to zero");
  }
  if (share <= 0) return fail("platforms", "shares sum to zero");
  // Injected slices must name dimension values that exist, so a typo cannot silently inject
  // nothing.
  auto exists = [&](Dim d, const std::string& v) {
    auto in_rollout = [&](const std::vector<RolloutSpec>& rs) {
      for (const auto& r : rs) if (r.name == v) return true;
      return false;
    };
    switch (d) {
      case Dim::kPlatform:
        for (const auto& p : s.platforms) if (p.name == v) return true;
        return false;
      case Dim::kOsVersion:
        for (const auto& p : s.platforms) for (const auto& o : p.os_versions) if (o.first == v) return true;
        return false;
      case Dim::kDeviceModel: return models.count(v) > 0;
      case Dim::kLocale:
        for (const auto& l : s.locales) if (l.name == v) return true;
        return false;
      case Dim::kAppBuild: return in_rollout(s.app_builds);
      case Dim::kAsrModel: return in_rollout(s.asr_models);
      case Dim::kTtsVoice: return in_rollout(s.tts_voices);
      case Dim::kAsrMode: return v == "on_device" || v == "server";
      case Dim::kConversationMode: return v == "half_duplex" || v == "full_duplex";
      case Dim::kNetwork: return v == "wifi" || v == "cellular" || v == "offline";
      case Dim::kRegion:
        for (const auto& l : s.locales) for (const auto& r : l.regions) if (r.first == v) return true;
        return false;
    }
    return false;
  };
  names.clear();
  for (const auto& in : s.injections) {
    std::string key = std::string(in.decoy ? "decoys" : "incidents") + "[" + in.id + "]";
    if (!names.insert(in.id).second) return fail(key, "duplicate id " + in.id);
    for (const auto& [d, v] : in.slice) {
      if (!exists(d, v)) return fail(key + ".slice." + DimName(d), "no such value '" + v + "' in the fleet");
    }
    if (in.kind == "mix_shift") {
      if (in.slice.empty()) return fail(key + ".slice", "a mix shift needs a slice");
      for (const auto& [d, v] : in.slice) {
        if (d != Dim::kPlatform && d != Dim::kDeviceModel && d != Dim::kOsVersion) {
          return fail(key + ".slice", "a mix shift slice may use platform, device_model and os_version only");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace vigil::sim
