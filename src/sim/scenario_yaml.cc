// Scenario files: YAML over DefaultScenario(), read with the config's YAML reader. Every key is
// checked; an error names the file, the line and the key path (e.g. "incidents[2].size").
#include <algorithm>
#include <cstdio>
#include <set>

#include "config/yaml_reader.h"
#include "sim/scenario.h"

namespace vigil::sim {
namespace {

using internal::JoinKey;

class ScenarioReader {
 public:
  explicit ScenarioReader(std::string source) : r_(std::move(source)) {}

  const internal::YamlReader& yaml() const { return r_; }

  Status Top(const YAML::Node& root, Scenario* s) const {
    VIGIL_RETURN_IF_ERROR(r_.CheckKeys(root, "",
                                       {"name",
                                        "description",
                                        "start",
                                        "days",
                                        "events_per_day",
                                        "turns_per_device",
                                        "device_skew",
                                        "diurnal",
                                        "weekend_diurnal",
                                        "weekly",
                                        "locales",
                                        "platforms",
                                        "app_builds",
                                        "asr_models",
                                        "tts_voices",
                                        "stages",
                                        "networks",
                                        "load_sensitivity",
                                        "tail_probability",
                                        "tail_alpha",
                                        "rates",
                                        "incidents",
                                        "decoys"}));
    if (root["name"]) VIGIL_RETURN_IF_ERROR(Str(root["name"], "name", &s->name));
    if (root["description"])
      VIGIL_RETURN_IF_ERROR(Str(root["description"], "description", &s->description));
    if (root["start"]) {
      TimeSpec t;
      VIGIL_RETURN_IF_ERROR(When(root["start"], "start", &t));
      if (!t.absolute) return r_.Error(root["start"], "start", "expected an RFC 3339 date or time");
      s->start = t.value;
    }
    if (root["days"]) {
      int64_t days = 0;
      VIGIL_RETURN_IF_ERROR(r_.Integer(root["days"], "days", 1, 3660, &days));
      s->days = static_cast<int>(days);
    }
    if (root["events_per_day"]) {
      VIGIL_RETURN_IF_ERROR(r_.Integer(root["events_per_day"], "events_per_day", 1, 1000000000000LL,
                                       &s->events_per_day));
    }
    VIGIL_RETURN_IF_ERROR(
        OptionalNumber(root, "", "turns_per_device", 0.01, 1e6, &s->turns_per_device));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(root, "", "device_skew", 1, 10, &s->device_skew));
    if (root["diurnal"]) VIGIL_RETURN_IF_ERROR(Weights(root["diurnal"], "diurnal", &s->diurnal));
    if (root["weekend_diurnal"])
      VIGIL_RETURN_IF_ERROR(
          Weights(root["weekend_diurnal"], "weekend_diurnal", &s->weekend_diurnal));
    if (root["weekly"]) VIGIL_RETURN_IF_ERROR(Weights(root["weekly"], "weekly", &s->weekly));
    if (root["locales"]) VIGIL_RETURN_IF_ERROR(Locales(root["locales"], &s->locales));
    if (root["platforms"]) VIGIL_RETURN_IF_ERROR(Platforms(root["platforms"], &s->platforms));
    if (root["app_builds"])
      VIGIL_RETURN_IF_ERROR(Rollouts(root["app_builds"], "app_builds", &s->app_builds));
    if (root["asr_models"])
      VIGIL_RETURN_IF_ERROR(Rollouts(root["asr_models"], "asr_models", &s->asr_models));
    if (root["tts_voices"])
      VIGIL_RETURN_IF_ERROR(Rollouts(root["tts_voices"], "tts_voices", &s->tts_voices));
    if (root["stages"]) VIGIL_RETURN_IF_ERROR(Stages(root["stages"], s));
    if (root["networks"]) VIGIL_RETURN_IF_ERROR(Networks(root["networks"], s));
    VIGIL_RETURN_IF_ERROR(
        OptionalNumber(root, "", "load_sensitivity", 0, 10, &s->load_sensitivity));
    VIGIL_RETURN_IF_ERROR(
        OptionalNumber(root, "", "tail_probability", 0, 0.5, &s->tail_probability));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(root, "", "tail_alpha", 0.5, 100, &s->tail_alpha));
    if (root["rates"]) VIGIL_RETURN_IF_ERROR(Rates(root["rates"], s));
    if (root["incidents"])
      VIGIL_RETURN_IF_ERROR(Injections(root["incidents"], "incidents", false, &s->injections));
    if (root["decoys"])
      VIGIL_RETURN_IF_ERROR(Injections(root["decoys"], "decoys", true, &s->injections));
    return Status::Ok();
  }

 private:
  // Names and messages are written into JSON and CSV as they are: no quotes, backslashes or
  // control characters.
  Status Str(const YAML::Node& n, const std::string& key, std::string* out) const {
    if (!n.IsScalar()) return r_.Error(n, key, "expected a string");
    std::string s = n.Scalar();
    for (unsigned char c : s) {
      if (c < 0x20 || c == '"' || c == '\\')
        return r_.Error(n, key, "quotes, backslashes and control characters are not allowed");
    }
    *out = std::move(s);
    return Status::Ok();
  }

  // `key` of `map` must be present (the error is at the map's line).
  Status Need(const YAML::Node& map, const std::string& path, const char* key) const {
    if (!map[key]) return r_.Error(map, JoinKey(path, key), "missing");
    return Status::Ok();
  }

  // A required, non-empty string.
  Status Req(const YAML::Node& map, const std::string& path, const char* key,
             std::string* out) const {
    VIGIL_RETURN_IF_ERROR(Need(map, path, key));
    VIGIL_RETURN_IF_ERROR(Str(map[key], JoinKey(path, key), out));
    if (out->empty()) return r_.Error(map[key], JoinKey(path, key), "must not be empty");
    return Status::Ok();
  }

  // The number at `path.key` in [lo, hi]; when absent, `out` keeps its default.
  Status OptionalNumber(const YAML::Node& map, const std::string& path, const char* key, double lo,
                        double hi, double* out) const {
    if (!map[key]) return Status::Ok();
    return r_.Number(map[key], JoinKey(path, key), lo, hi, out);
  }

  // The number at `path.key` in [lo, hi], which must be present.
  Status RequiredNumber(const YAML::Node& map, const std::string& path, const char* key, double lo,
                        double hi, double* out) const {
    VIGIL_RETURN_IF_ERROR(Need(map, path, key));
    return r_.Number(map[key], JoinKey(path, key), lo, hi, out);
  }

  // "2d14h5m", "-60d", "90s", "250ms": several parts, each a number and a unit.
  Status Duration(const YAML::Node& n, const std::string& key, int64_t* out,
                  bool allow_negative = false) const {
    std::string s;
    VIGIL_RETURN_IF_ERROR(Str(n, key, &s));
    size_t i = 0;
    bool neg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (neg && !allow_negative) return r_.Error(n, key, "a duration cannot be negative");
    int64_t total = 0;
    bool any = false;
    while (i < s.size()) {
      int64_t v = 0;
      size_t d0 = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
      if (i == d0 || v > 1000000000)
        return r_.Error(n, key, "bad duration '" + s + "' (e.g. 90m, 2d14h5m)");
      int64_t unit = 0;
      if (s.compare(i, 2, "ms") == 0) {
        unit = 1;
        i += 2;
      } else if (i < s.size() && s[i] == 's') {
        unit = kSecondMs;
        ++i;
      } else if (i < s.size() && s[i] == 'm') {
        unit = kMinuteMs;
        ++i;
      } else if (i < s.size() && s[i] == 'h') {
        unit = kHourMs;
        ++i;
      } else if (i < s.size() && s[i] == 'd') {
        unit = kDayMs;
        ++i;
      } else if (i < s.size() && s[i] == 'w') {
        unit = 7 * kDayMs;
        ++i;
      } else
        return r_.Error(n, key, "bad duration '" + s + "': unit must be one of ms, s, m, h, d, w");
      total += v * unit;
      any = true;
    }
    if (!any) return r_.Error(n, key, "empty duration");
    *out = neg ? -total : total;
    return Status::Ok();
  }

  // An RFC 3339 time or date, or an offset from the scenario start.
  Status When(const YAML::Node& n, const std::string& key, TimeSpec* out) const {
    std::string s;
    VIGIL_RETURN_IF_ERROR(Str(n, key, &s));
    if (s.size() >= 10 && s[4] == '-') {
      auto t = ParseTimestamp(s);
      if (!t.ok()) return r_.Error(n, key, t.status().message());
      *out = TimeSpec{true, *t};
      return Status::Ok();
    }
    int64_t offset = 0;
    VIGIL_RETURN_IF_ERROR(Duration(n, key, &offset, true));
    *out = TimeSpec{false, offset};
    return Status::Ok();
  }

  // A calendar day, as days since 1970-01-01.
  Status Date(const YAML::Node& n, const std::string& key, int64_t* out) const {
    std::string s;
    VIGIL_RETURN_IF_ERROR(Str(n, key, &s));
    auto t = ParseTimestamp(s);
    if (!t.ok() || s.size() != 10) return r_.Error(n, key, "expected a date YYYY-MM-DD");
    *out = *t / kDayMs;
    return Status::Ok();
  }

  template <size_t N>
  Status Weights(const YAML::Node& n, const std::string& key, std::array<double, N>* out) const {
    if (!n.IsSequence() || n.size() != N)
      return r_.Error(n, key, "expected a list of " + std::to_string(N) + " weights");
    std::array<double, N> w{};
    for (size_t i = 0; i < N; ++i) {
      VIGIL_RETURN_IF_ERROR(r_.Number(n[i], key + "[" + std::to_string(i) + "]", 0, 1e6, &w[i]));
    }
    *out = w;
    return Status::Ok();
  }

  Status WeightMap(const YAML::Node& n, const std::string& key, std::vector<Weighted>* out) const {
    if (!n.IsMap() || n.size() == 0) return r_.Error(n, key, "expected a mapping of value: weight");
    out->clear();
    for (const auto& kv : n) {
      std::string name;
      VIGIL_RETURN_IF_ERROR(Str(kv.first, key, &name));
      double weight = 0;
      VIGIL_RETURN_IF_ERROR(r_.Number(kv.second, JoinKey(key, name), 0, 1e6, &weight));
      out->emplace_back(name, weight);
    }
    return Status::Ok();
  }

  // Overrides p50 and p95 of `spec`.
  Status Latency(const YAML::Node& n, const std::string& key, LatencySpec* spec) const {
    VIGIL_RETURN_IF_ERROR(r_.CheckKeys(n, key, {"p50", "p95"}));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, key, "p50", 0, 1e7, &spec->p50));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, key, "p95", 0, 1e7, &spec->p95));
    if (spec->p95 < spec->p50) return r_.Error(n, key, "p95 must be at least p50");
    return Status::Ok();
  }

  Status Holidays(const YAML::Node& hs, const std::string& p, std::vector<Holiday>* out) const {
    if (!hs.IsSequence()) return r_.Error(hs, JoinKey(p, "holidays"), "expected a list");
    for (size_t j = 0; j < hs.size(); ++j) {
      std::string hp = JoinKey(p, "holidays[" + std::to_string(j) + "]");
      VIGIL_RETURN_IF_ERROR(r_.CheckKeys(hs[j], hp, {"date", "factor", "name"}));
      Holiday h;
      VIGIL_RETURN_IF_ERROR(Need(hs[j], hp, "date"));
      VIGIL_RETURN_IF_ERROR(Date(hs[j]["date"], JoinKey(hp, "date"), &h.date));
      VIGIL_RETURN_IF_ERROR(RequiredNumber(hs[j], hp, "factor", 0, 10, &h.factor));
      if (hs[j]["name"]) VIGIL_RETURN_IF_ERROR(Str(hs[j]["name"], JoinKey(hp, "name"), &h.name));
      out->push_back(h);
    }
    return Status::Ok();
  }

  Status Locale(const YAML::Node& e, const std::string& p, LocaleSpec* l) const {
    VIGIL_RETURN_IF_ERROR(
        r_.CheckKeys(e, p, {"name", "share", "utc_offset", "dst", "regions", "holidays"}));
    VIGIL_RETURN_IF_ERROR(Req(e, p, "name", &l->name));
    VIGIL_RETURN_IF_ERROR(RequiredNumber(e, p, "share", 0, 1e6, &l->share));
    std::string off;
    VIGIL_RETURN_IF_ERROR(Need(e, p, "utc_offset"));
    VIGIL_RETURN_IF_ERROR(Str(e["utc_offset"], JoinKey(p, "utc_offset"), &off));
    int hh = 0, mm = 0;
    if (off.size() != 6 || (off[0] != '+' && off[0] != '-') || off[3] != ':' ||
        std::sscanf(off.c_str() + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 14 || mm > 59) {
      return r_.Error(e["utc_offset"], JoinKey(p, "utc_offset"), "expected +HH:MM or -HH:MM");
    }
    l->utc_offset_minutes = (off[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    if (e["dst"]) {
      std::string d;
      VIGIL_RETURN_IF_ERROR(Str(e["dst"], JoinKey(p, "dst"), &d));
      if (d == "none")
        l->dst = DstRule::kNone;
      else if (d == "us")
        l->dst = DstRule::kUs;
      else if (d == "eu")
        l->dst = DstRule::kEu;
      else if (d == "au")
        l->dst = DstRule::kAu;
      else
        return r_.Error(e["dst"], JoinKey(p, "dst"), "expected one of none, us, eu, au");
    }
    VIGIL_RETURN_IF_ERROR(Need(e, p, "regions"));
    VIGIL_RETURN_IF_ERROR(WeightMap(e["regions"], JoinKey(p, "regions"), &l->regions));
    if (e["holidays"]) VIGIL_RETURN_IF_ERROR(Holidays(e["holidays"], p, &l->holidays));
    return Status::Ok();
  }

  Status Locales(const YAML::Node& n, std::vector<LocaleSpec>* out) const {
    if (!n.IsSequence() || n.size() == 0)
      return r_.Error(n, "locales", "expected a non-empty list");
    out->clear();
    for (size_t i = 0; i < n.size(); ++i) {
      LocaleSpec l;
      VIGIL_RETURN_IF_ERROR(Locale(n[i], "locales[" + std::to_string(i) + "]", &l));
      out->push_back(std::move(l));
    }
    return Status::Ok();
  }

  Status DeviceModels(const YAML::Node& ms, const std::string& p,
                      std::vector<DeviceModelSpec>* out) const {
    if (!ms.IsSequence() || ms.size() == 0)
      return r_.Error(ms, JoinKey(p, "device_models"), "expected a non-empty list");
    for (size_t j = 0; j < ms.size(); ++j) {
      std::string mp = JoinKey(p, "device_models[" + std::to_string(j) + "]");
      VIGIL_RETURN_IF_ERROR(r_.CheckKeys(ms[j], mp, {"name", "share", "speed", "on_device"}));
      DeviceModelSpec m;
      VIGIL_RETURN_IF_ERROR(Req(ms[j], mp, "name", &m.name));
      VIGIL_RETURN_IF_ERROR(RequiredNumber(ms[j], mp, "share", 0, 1e6, &m.share));
      VIGIL_RETURN_IF_ERROR(RequiredNumber(ms[j], mp, "speed", 0.01, 100, &m.speed));
      VIGIL_RETURN_IF_ERROR(RequiredNumber(ms[j], mp, "on_device", 0, 1, &m.on_device));
      out->push_back(m);
    }
    return Status::Ok();
  }

  Status Platform(const YAML::Node& e, const std::string& p, PlatformSpec* pl) const {
    VIGIL_RETURN_IF_ERROR(r_.CheckKeys(
        e, p, {"name", "share", "network", "full_duplex", "os_versions", "device_models"}));
    VIGIL_RETURN_IF_ERROR(Req(e, p, "name", &pl->name));
    VIGIL_RETURN_IF_ERROR(RequiredNumber(e, p, "share", 0, 1e6, &pl->share));
    if (const YAML::Node& net = e["network"]) {
      std::string np = JoinKey(p, "network");
      VIGIL_RETURN_IF_ERROR(r_.CheckKeys(net, np, {"wifi", "cellular", "offline"}));
      pl->wifi = pl->cellular = pl->offline = 0;
      VIGIL_RETURN_IF_ERROR(OptionalNumber(net, np, "wifi", 0, 1, &pl->wifi));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(net, np, "cellular", 0, 1, &pl->cellular));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(net, np, "offline", 0, 1, &pl->offline));
      if (pl->wifi + pl->cellular + pl->offline <= 0)
        return r_.Error(net, np, "weights sum to zero");
    }
    VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "full_duplex", 0, 1, &pl->full_duplex));
    VIGIL_RETURN_IF_ERROR(Need(e, p, "os_versions"));
    VIGIL_RETURN_IF_ERROR(WeightMap(e["os_versions"], JoinKey(p, "os_versions"), &pl->os_versions));
    VIGIL_RETURN_IF_ERROR(Need(e, p, "device_models"));
    return DeviceModels(e["device_models"], p, &pl->device_models);
  }

  Status Platforms(const YAML::Node& n, std::vector<PlatformSpec>* out) const {
    if (!n.IsSequence() || n.size() == 0)
      return r_.Error(n, "platforms", "expected a non-empty list");
    out->clear();
    for (size_t i = 0; i < n.size(); ++i) {
      PlatformSpec pl;
      VIGIL_RETURN_IF_ERROR(Platform(n[i], "platforms[" + std::to_string(i) + "]", &pl));
      out->push_back(std::move(pl));
    }
    return Status::Ok();
  }

  Status Rollouts(const YAML::Node& n, const std::string& key,
                  std::vector<RolloutSpec>* out) const {
    if (!n.IsSequence() || n.size() == 0) return r_.Error(n, key, "expected a non-empty list");
    out->clear();
    for (size_t i = 0; i < n.size(); ++i) {
      std::string p = key + "[" + std::to_string(i) + "]";
      const YAML::Node& e = n[i];
      VIGIL_RETURN_IF_ERROR(r_.CheckKeys(
          e, p, {"name", "release", "ramp", "max_share", "latency_factor", "rephrase_factor"}));
      RolloutSpec r;
      VIGIL_RETURN_IF_ERROR(Req(e, p, "name", &r.name));
      VIGIL_RETURN_IF_ERROR(Need(e, p, "release"));
      VIGIL_RETURN_IF_ERROR(When(e["release"], JoinKey(p, "release"), &r.release));
      if (e["ramp"]) VIGIL_RETURN_IF_ERROR(Duration(e["ramp"], JoinKey(p, "ramp"), &r.ramp_ms));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "max_share", 0, 1, &r.max_share));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "latency_factor", 0.01, 100, &r.latency_factor));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "rephrase_factor", 0, 100, &r.rephrase_factor));
      out->push_back(std::move(r));
    }
    return Status::Ok();
  }

  Status Stages(const YAML::Node& n, Scenario* s) const {
    VIGIL_RETURN_IF_ERROR(
        r_.CheckKeys(n, "stages", {"endpoint", "asr_final", "nlu", "dialog", "tts_first_audio"}));
    for (const auto& kv : n) {
      std::string name = kv.first.as<std::string>();
      StageSpec& st = s->stages[static_cast<int>(*StageFromName(name))];
      const YAML::Node& e = kv.second;
      std::string p = "stages." + name;
      VIGIL_RETURN_IF_ERROR(
          r_.CheckKeys(e, p,
                       {"on_device", "server", "error", "timeout", "timeout_ms", "error_code",
                        "error_message", "timeout_code", "timeout_message"}));
      if (e["on_device"])
        VIGIL_RETURN_IF_ERROR(Latency(e["on_device"], JoinKey(p, "on_device"), &st.on_device));
      if (e["server"])
        VIGIL_RETURN_IF_ERROR(Latency(e["server"], JoinKey(p, "server"), &st.server));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "error", 0, 1, &st.error));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "timeout", 0, 1, &st.timeout));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "timeout_ms", 0, 1e7, &st.timeout_ms));
      if (e["error_code"])
        VIGIL_RETURN_IF_ERROR(Str(e["error_code"], JoinKey(p, "error_code"), &st.error_code));
      if (e["error_message"])
        VIGIL_RETURN_IF_ERROR(
            Template(e["error_message"], JoinKey(p, "error_message"), &st.error_message));
      if (e["timeout_code"])
        VIGIL_RETURN_IF_ERROR(Str(e["timeout_code"], JoinKey(p, "timeout_code"), &st.timeout_code));
      if (e["timeout_message"])
        VIGIL_RETURN_IF_ERROR(
            Template(e["timeout_message"], JoinKey(p, "timeout_message"), &st.timeout_message));
    }
    return Status::Ok();
  }

  // A message template: text with {variables} the event writer fills in.
  Status Template(const YAML::Node& n, const std::string& key, std::string* out) const {
    static const std::set<std::string> kVars = {
        "shard",  "ms",        "status",    "score",        "hex",      "region",
        "locale", "tts_voice", "asr_model", "device_model", "app_build"};
    std::string s;
    VIGIL_RETURN_IF_ERROR(Str(n, key, &s));
    for (size_t i = s.find('{'); i != std::string::npos; i = s.find('{', i + 1)) {
      size_t j = s.find('}', i);
      if (j == std::string::npos) return r_.Error(n, key, "unclosed '{' in message template");
      if (!kVars.count(s.substr(i + 1, j - i - 1))) {
        return r_.Error(n, key, "unknown template variable '{" + s.substr(i + 1, j - i - 1) + "}'");
      }
    }
    *out = std::move(s);
    return Status::Ok();
  }

  Status Networks(const YAML::Node& n, Scenario* s) const {
    VIGIL_RETURN_IF_ERROR(r_.CheckKeys(n, "networks", {"wifi", "cellular", "offline"}));
    const char* names[] = {"wifi", "cellular", "offline"};
    for (int i = 0; i < 3; ++i) {
      const YAML::Node& e = n[names[i]];
      if (!e) continue;
      std::string p = std::string("networks.") + names[i];
      VIGIL_RETURN_IF_ERROR(r_.CheckKeys(e, p, {"rtt", "timeout_factor"}));
      if (e["rtt"])
        VIGIL_RETURN_IF_ERROR(Latency(e["rtt"], JoinKey(p, "rtt"), &s->networks[i].rtt));
      VIGIL_RETURN_IF_ERROR(
          OptionalNumber(e, p, "timeout_factor", 0, 1000, &s->networks[i].timeout_factor));
    }
    return Status::Ok();
  }

  Status Rates(const YAML::Node& n, Scenario* s) const {
    VIGIL_RETURN_IF_ERROR(r_.CheckKeys(
        n, "rates", {"cancel", "rephrase", "rephrase_after_error", "barge_in", "false_barge_in"}));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, "rates", "cancel", 0, 1, &s->cancel));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, "rates", "rephrase", 0, 1, &s->rephrase));
    VIGIL_RETURN_IF_ERROR(
        OptionalNumber(n, "rates", "rephrase_after_error", 0, 1, &s->rephrase_after_error));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, "rates", "barge_in", 0, 1, &s->barge_in));
    VIGIL_RETURN_IF_ERROR(OptionalNumber(n, "rates", "false_barge_in", 0, 1, &s->false_barge_in));
    if (s->barge_in + s->false_barge_in > 1)
      return r_.Error(n, "rates", "barge_in + false_barge_in exceeds 1");
    return Status::Ok();
  }

  Status ReadInjection(const YAML::Node& e, const std::string& p, bool decoy, Injection* in) const {
    VIGIL_RETURN_IF_ERROR(
        r_.CheckKeys(e, p,
                     {"id", "kind", "slice", "stage", "size", "onset", "duration", "ramp",
                      "error_code", "error_message", "error", "rephrase"}));
    in->decoy = decoy;
    VIGIL_RETURN_IF_ERROR(Req(e, p, "id", &in->id));
    VIGIL_RETURN_IF_ERROR(Req(e, p, "kind", &in->kind));
    std::vector<std::string> kinds;
    if (decoy) {
      kinds.assign(kDecoyKinds.begin(), kDecoyKinds.end());
    } else {
      kinds.assign(kIncidentKinds.begin(), kIncidentKinds.end());
    }
    if (std::find(kinds.begin(), kinds.end(), in->kind) == kinds.end()) {
      return r_.Error(
          e["kind"], JoinKey(p, "kind"),
          "unknown kind '" + in->kind + "' (expected one of: " + internal::JoinNames(kinds) + ")");
    }
    if (const YAML::Node& sl = e["slice"]) {
      if (!sl.IsMap())
        return r_.Error(sl, JoinKey(p, "slice"), "expected a mapping of dimension: value");
      for (const auto& kv : sl) {
        std::string dim, value;
        VIGIL_RETURN_IF_ERROR(Str(kv.first, JoinKey(p, "slice"), &dim));
        auto d = DimFromName(dim);
        if (!d) return r_.Error(kv.first, JoinKey(p, "slice." + dim), "unknown dimension");
        VIGIL_RETURN_IF_ERROR(Str(kv.second, JoinKey(p, "slice." + dim), &value));
        in->slice.emplace_back(*d, value);
      }
    }
    if (e["stage"]) {
      std::string st;
      VIGIL_RETURN_IF_ERROR(Str(e["stage"], JoinKey(p, "stage"), &st));
      in->stage = StageFromName(st);
      if (!in->stage)
        return r_.Error(e["stage"], JoinKey(p, "stage"), "unknown stage '" + st + "'");
    }
    VIGIL_RETURN_IF_ERROR(RequiredNumber(e, p, "size", 0, 100, &in->size));
    VIGIL_RETURN_IF_ERROR(Need(e, p, "onset"));
    VIGIL_RETURN_IF_ERROR(When(e["onset"], JoinKey(p, "onset"), &in->onset));
    if (e["duration"]) {
      int64_t duration = 0;
      VIGIL_RETURN_IF_ERROR(Duration(e["duration"], JoinKey(p, "duration"), &duration));
      in->duration_ms = duration;
    }
    if (e["ramp"]) VIGIL_RETURN_IF_ERROR(Duration(e["ramp"], JoinKey(p, "ramp"), &in->ramp_ms));
    if (e["error_code"])
      VIGIL_RETURN_IF_ERROR(Str(e["error_code"], JoinKey(p, "error_code"), &in->error_code));
    if (e["error_message"])
      VIGIL_RETURN_IF_ERROR(
          Template(e["error_message"], JoinKey(p, "error_message"), &in->error_message));
    bool latency = in->kind == "latency_step" || in->kind == "latency_drift" ||
                   in->kind == "rollout_regression";
    bool staged = latency || in->kind == "failure_spike" || in->kind == "timeout_storm";
    bool joint = in->kind == "joint";
    if (staged && !in->stage) return r_.Error(e, p, "kind " + in->kind + " needs a 'stage'");
    if (!staged && !joint && in->stage)
      return r_.Error(e["stage"], JoinKey(p, "stage"), "kind " + in->kind + " takes no stage");
    if (joint) {
      // A joint change acts on asr_final; the stage may be written, but only as that.
      if (in->stage && *in->stage != Stage::kAsrFinal)
        return r_.Error(e["stage"], JoinKey(p, "stage"), "kind joint acts on asr_final only");
      in->stage = Stage::kAsrFinal;
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "error", 0, 1, &in->joint_error));
      VIGIL_RETURN_IF_ERROR(OptionalNumber(e, p, "rephrase", 0, 1, &in->joint_rephrase));
    } else {
      for (const char* key : {"error", "rephrase"}) {
        if (e[key])
          return r_.Error(e[key], JoinKey(p, key),
                          "only kind joint takes '" + std::string(key) + "'");
      }
    }
    bool rate = in->kind == "failure_spike" || in->kind == "timeout_storm" ||
                in->kind == "rephrase_rise" || in->kind == "false_barge_in_rise";
    if ((rate || in->kind == "volume_drop" || in->kind == "mix_shift") && in->size > 1) {
      return r_.Error(e["size"], JoinKey(p, "size"), "a probability or share must lie in [0, 1]");
    }
    return Status::Ok();
  }

  // Appends the incidents (or decoys) of the list at `key`.
  Status Injections(const YAML::Node& n, const std::string& key, bool decoy,
                    std::vector<Injection>* out) const {
    if (!n.IsSequence()) return r_.Error(n, key, "expected a list");
    for (size_t i = 0; i < n.size(); ++i) {
      Injection in;
      VIGIL_RETURN_IF_ERROR(ReadInjection(n[i], key + "[" + std::to_string(i) + "]", decoy, &in));
      out->push_back(std::move(in));
    }
    return Status::Ok();
  }

  internal::YamlReader r_;
};

}  // namespace

Result<Scenario> ParseScenario(const std::string& text, const std::string& source) {
  Scenario s = DefaultScenario();
  s.name = "custom";
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, internal::LoadYaml(text, source));
  if (!root.IsDefined() || root.IsNull()) return ConfigError(source + ": empty scenario");
  ScenarioReader reader(source);
  // A malformed tree (a key that is a list) is reported as invalid YAML.
  VIGIL_RETURN_IF_ERROR(
      reader.yaml().Guard("invalid YAML: ", [&] { return reader.Top(root, &s); }));
  VIGIL_RETURN_IF_ERROR(ValidateScenario(s, source));
  return s;
}

Status ValidateScenario(const Scenario& s, const std::string& source) {
  const internal::YamlReader reader(source);
  auto fail = [&](const std::string& key, const std::string& why) {
    return reader.ErrorAtLine(0, key, why);  // checks of the whole scenario: no one line
  };
  auto positive = [](auto begin, auto end) {
    double sum = 0;
    for (auto it = begin; it != end; ++it) sum += *it;
    return sum > 0;
  };
  if (!positive(s.diurnal.begin(), s.diurnal.end())) return fail("diurnal", "weights sum to zero");
  if (!positive(s.weekend_diurnal.begin(), s.weekend_diurnal.end()))
    return fail("weekend_diurnal", "weights sum to zero");
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
      if (!models.insert(m.name).second)
        return fail("platforms", "duplicate device model " + m.name);
    }
    if (ms <= 0) return fail("platforms", p.name + ": device model shares sum to zero");
  }
  if (share <= 0) return fail("platforms", "shares sum to zero");
  // Injected slices must name dimension values that exist, so a typo cannot silently inject
  // nothing.
  auto exists = [&](Dim d, const std::string& v) {
    auto in_rollout = [&](const std::vector<RolloutSpec>& rs) {
      for (const auto& r : rs)
        if (r.name == v) return true;
      return false;
    };
    switch (d) {
      case Dim::kPlatform:
        for (const auto& p : s.platforms)
          if (p.name == v) return true;
        return false;
      case Dim::kOsVersion:
        for (const auto& p : s.platforms)
          for (const auto& o : p.os_versions)
            if (o.first == v) return true;
        return false;
      case Dim::kDeviceModel:
        return models.count(v) > 0;
      case Dim::kLocale:
        for (const auto& l : s.locales)
          if (l.name == v) return true;
        return false;
      case Dim::kAppBuild:
        return in_rollout(s.app_builds);
      case Dim::kAsrModel:
        return in_rollout(s.asr_models);
      case Dim::kTtsVoice:
        return in_rollout(s.tts_voices);
      case Dim::kAsrMode:
        return v == "on_device" || v == "server";
      case Dim::kConversationMode:
        return v == "half_duplex" || v == "full_duplex";
      case Dim::kNetwork:
        return v == "wifi" || v == "cellular" || v == "offline";
      case Dim::kRegion:
        for (const auto& l : s.locales)
          for (const auto& r : l.regions)
            if (r.first == v) return true;
        return false;
    }
    return false;
  };
  names.clear();
  for (const auto& in : s.injections) {
    std::string key = std::string(in.decoy ? "decoys" : "incidents") + "[" + in.id + "]";
    if (!names.insert(in.id).second) return fail(key, "duplicate id " + in.id);
    for (const auto& [d, v] : in.slice) {
      if (!exists(d, v))
        return fail(key + ".slice." + DimName(d), "no such value '" + v + "' in the fleet");
    }
    if (in.kind == "mix_shift") {
      if (in.slice.empty()) return fail(key + ".slice", "a mix shift needs a slice");
      for (const auto& [d, v] : in.slice) {
        if (d != Dim::kPlatform && d != Dim::kDeviceModel && d != Dim::kOsVersion) {
          return fail(key + ".slice",
                      "a mix shift slice may use platform, device_model and os_version only");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace vigil::sim
