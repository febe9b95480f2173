// Small configs and synthetic events shared by the unit tests.
#pragma once

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "vigil/config.h"
#include "vigil/time.h"

namespace vigil::testing {

/// A config with three dimensions (a, b, c), one measure (lat), a flag, an attribute and one
/// metric of every type.
inline std::string SmallConfigYaml(const std::string& extra = "") {
  return R"(
input:
  time: ts
  device_id: dev
  request_id: id
  dimensions: [a, b, c]
  measures: {lat: lat.total}
  flags: {retry: retry}
  attributes: {outcome: outcome}
cube:
  granularity: 1m
metrics:
  volume: {type: count}
  fail_rate: {type: rate, where: "outcome != 'ok'"}
  retry_of_a1: {type: rate, where: "retry", of: "a == 'a1'"}
  lat_p50: {type: quantile, measure: lat, q: 0.5}
  lat_p95: {type: quantile, measure: lat, q: 0.95}
  lat_mean: {type: mean, measure: lat}
  devices: {type: distinct}
  ok_rate: {type: expression, expr: "1 - fail_rate"}
)" + extra;
}

inline std::shared_ptr<const Config> SmallConfig(const std::string& extra = "") {
  auto c = Config::Parse(SmallConfigYaml(extra), "<test>");
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", c.status().message().c_str());
    std::abort();
  }
  return std::make_shared<const Config>(std::move(*c));
}

/// One raw event, kept for brute-force checks.
struct RawEvent {
  TimeMs time;
  std::string a, b, c;
  double lat;  // NaN: missing
  bool retry;
  std::string outcome;
  std::string device;
};

/// The event the small config's ingest would make of it.
inline Event ToEvent(const RawEvent& r) {
  Event e;
  e.time = r.time;
  e.device_id = r.device;
  e.dimensions = {r.a, r.b, r.c};
  e.measures = {r.lat};
  e.flags = {r.retry ? FlagValue::kTrue : FlagValue::kFalse};
  e.attributes = {r.outcome};
  return e;
}

inline std::vector<RawEvent> RandomEvents(int n, uint32_t seed, TimeMs start = 1772409600000,
                                          int minutes = 30) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> lat(5.5, 0.6);
  std::vector<RawEvent> out;
  for (int i = 0; i < n; ++i) {
    RawEvent e;
    e.time = start + static_cast<TimeMs>(rng() % (minutes * 60000));
    e.a = "a" + std::to_string(rng() % 3);
    e.b = "b" + std::to_string(rng() % 4);
    e.c = "c" + std::to_string(rng() % 2);
    e.lat = rng() % 10 == 0 ? std::nan("") : std::round(lat(rng) * 10) / 10;
    e.retry = rng() % 7 == 0;
    e.outcome = rng() % 9 == 0 ? "error" : "ok";
    e.device = "d" + std::to_string(rng() % 50);
    out.push_back(e);
  }
  return out;
}

inline std::string ToJsonLine(const RawEvent& e, int id) {
  std::string s = "{\"ts\":\"" + FormatTimestamp(e.time) + "\",\"id\":\"r" + std::to_string(id) +
                  "\",\"dev\":\"" + e.device + "\",\"a\":\"" + e.a + "\",\"b\":\"" + e.b +
                  "\",\"c\":\"" + e.c + "\"";
  if (!std::isnan(e.lat)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", e.lat);
    s += std::string(",\"lat\":{\"total\":") + buf + "}";
  }
  s += std::string(",\"retry\":") + (e.retry ? "true" : "false") + ",\"outcome\":\"" + e.outcome +
       "\"}";
  return s;
}

inline std::string ToJsonLines(const std::vector<RawEvent>& events) {
  std::string s;
  for (size_t i = 0; i < events.size(); ++i) s += ToJsonLine(events[i], static_cast<int>(i)) + "\n";
  return s;
}

/// A fresh temporary folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(Path(name), std::ios::binary) << content;
    return Path(name);
  }

 private:
  std::string path_;
};

}  // namespace vigil::testing
