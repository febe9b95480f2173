// The `detect` section: time zones of the cycles, the calendar baselines skip, the FDR level, the
// warm-up and the ensemble's detectors.
#include <algorithm>

#include "config/sections.h"
#include "vigil/time.h"

namespace vigil::internal {
namespace {

// A zone is loaded here so that `config check` catches a misspelt one, not the first detection.
Status CheckZone(const YamlReader& r, const YAML::Node& node, const std::string& key,
                 const std::string& zone) {
  auto tz = TimeZone::Load(zone);
  if (!tz.ok()) return r.Error(node, key, tz.status().message());
  return Status::Ok();
}

Status ReadCalendarEntry(const YamlReader& r, const YAML::Node& item, const Config& c,
                         CalendarEntry* e) {
  if (!item.IsMap()) return r.Error(item, "detect.calendar[]", "expected a map");
  if (item["name"])
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], "detect.calendar[].name", &e->name));
  for (const char* k : {"start", "end"}) {
    std::string text;
    std::string key = std::string("detect.calendar[].") + k;
    if (!item[k]) return r.Error(item, key, "missing");
    VIGIL_RETURN_IF_ERROR(r.Scalar(item[k], key, &text));
    auto t = ParseTimestamp(text);
    if (!t.ok()) return r.Error(item[k], key, t.status().message());
    (std::string_view(k) == "start" ? e->start : e->end) = *t;
  }
  if (e->end <= e->start)
    return r.Error(item["end"], "detect.calendar[].end", "must be after start");
  if (const YAML::Node& sl = item["slice"]) {
    if (!sl.IsMap()) return r.Error(sl, "detect.calendar[].slice", "expected a map");
    for (auto it = sl.begin(); it != sl.end(); ++it) {
      std::string dim = it->first.as<std::string>(), value;
      if (c.FindDimension(dim) < 0) {
        return r.Error(it->first, "detect.calendar[].slice", "unknown dimension '" + dim + "'");
      }
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "detect.calendar[].slice", &value));
      e->slice.emplace_back(dim, value);
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadDetect(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  DetectSpec& d = c->detect;
  if (node["timezone"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["timezone"], "detect.timezone", &d.timezone));
    VIGIL_RETURN_IF_ERROR(CheckZone(r, node["timezone"], "detect.timezone", d.timezone));
  }
  if (node["zone_dimension"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Scalar(node["zone_dimension"], "detect.zone_dimension", &d.zone_dimension));
    if (c->FindDimension(d.zone_dimension) < 0) {
      return r.Error(node["zone_dimension"], "detect.zone_dimension", "unknown dimension");
    }
  }
  if (const YAML::Node& zones = node["timezones"]) {
    if (!zones.IsMap()) return r.Error(zones, "detect.timezones", "expected a map value: zone");
    for (auto it = zones.begin(); it != zones.end(); ++it) {
      std::string value = it->first.as<std::string>();
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "detect.timezones." + value, &d.timezones[value]));
      VIGIL_RETURN_IF_ERROR(
          CheckZone(r, it->second, "detect.timezones." + value, d.timezones[value]));
    }
  }
  if (const YAML::Node& cal = node["calendar"]) {
    if (!cal.IsSequence()) return r.Error(cal, "detect.calendar", "expected a list");
    for (const YAML::Node& item : cal) {
      CalendarEntry e;
      VIGIL_RETURN_IF_ERROR(ReadCalendarEntry(r, item, *c, &e));
      d.calendar.push_back(std::move(e));
    }
  }
  if (node["fdr"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["fdr"], "detect.fdr", &d.fdr));
    if (!(d.fdr > 0 && d.fdr < 1)) return r.Error(node["fdr"], "detect.fdr", "must be in (0, 1)");
  }
  if (node["warmup"])
    VIGIL_RETURN_IF_ERROR(r.Duration(node["warmup"], "detect.warmup", &d.warmup_ms));
  if (const YAML::Node& det = node["detectors"]) {
    if (!det.IsSequence() || det.size() == 0) {
      return r.Error(det, "detect.detectors", "expected a non-empty list of detector names");
    }
    d.detectors.clear();
    for (const YAML::Node& n : det) {
      std::string name;
      VIGIL_RETURN_IF_ERROR(r.Scalar(n, "detect.detectors", &name));
      const auto& known = DetectorNames();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return r.Error(n, "detect.detectors",
                       "unknown detector '" + name + "'" + DidYouMean(name, known) +
                           " (known: " + JoinNames(known) + ")");
      }
      if (std::find(d.detectors.begin(), d.detectors.end(), name) != d.detectors.end()) {
        return r.Error(n, "detect.detectors", "detector '" + name + "' is listed twice");
      }
      d.detectors.push_back(std::move(name));
    }
    if (d.detectors.size() == 1 && d.multivariate()) {
      return r.Error(det, "detect.detectors",
                     "the multivariate detector judges the residuals of the others: list at "
                     "least one of " +
                         JoinNames(EnsembleMemberNames()) + " with it");
    }
  }
  if (const YAML::Node& g = node["multivariate_granularity"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Duration(g, "detect.multivariate_granularity", &d.multivariate_granularity_ms));
    if (d.multivariate_granularity_ms <= 0 || d.multivariate_granularity_ms % c->granularity_ms) {
      return r.Error(g, "detect.multivariate_granularity",
                     "must be a positive multiple of cube.granularity (" +
                         FormatDuration(c->granularity_ms) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace vigil::internal
