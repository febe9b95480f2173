// The expected band of any series: the detection ensemble replayed over the slice's history with
// the settings detection uses for the metric, so a plot shows what detection saw.
#include <algorithm>
#include <cmath>

#include "vigil/report.h"

namespace vigil {
namespace {

bool Covers(const Slice& ancestor, const Slice& slice) {
  for (const auto& kv : ancestor) {
    if (std::find(slice.begin(), slice.end(), kv) == slice.end()) return false;
  }
  return true;
}

// The monitor whose settings judge this metric: one that watches the slice's dimensions when
// there is one, else the metric's first monitor.
const MonitorSpec* MonitorFor(const Config& c, std::string_view metric, const Slice& slice) {
  const MonitorSpec* first = nullptr;
  for (const MonitorSpec& m : c.monitors) {
    if (m.metric != metric) continue;
    if (!first) first = &m;
    for (const SliceSelector& sel : m.slices) {
      std::vector<std::string> dims;
      for (const auto& kv : slice) dims.push_back(kv.first);
      std::vector<std::string> watched = sel.dimensions;
      if (sel.kind == SliceSelector::Kind::kExplicit) {
        watched.clear();
        for (const auto& kv : sel.slice) watched.push_back(kv.first);
      }
      std::sort(dims.begin(), dims.end());
      std::sort(watched.begin(), watched.end());
      if (dims == watched) return &m;
    }
  }
  return first;
}

Result<TimeZone> ZoneOf(const Config& c, const Slice& slice) {
  std::string name = c.detect.timezone;
  if (!c.detect.zone_dimension.empty()) {
    for (const auto& [d, v] : slice) {
      if (d != c.detect.zone_dimension) continue;
      auto it = c.detect.timezones.find(v);
      if (it != c.detect.timezones.end()) name = it->second;
    }
  }
  return TimeZone::Load(name);
}

bool InCalendar(const Config& c, const Slice& slice, TimeMs t, int64_t g) {
  for (const CalendarEntry& e : c.detect.calendar) {
    if (t + g <= e.start || t >= e.end) continue;
    if (Covers(Slice(e.slice.begin(), e.slice.end()), slice)) return true;
  }
  return false;
}

// The same sample-size rule detection applies before it judges a point.
bool Enough(const MetricSpec& spec, const MonitorSpec& m, const SeriesPoint& p) {
  if (static_cast<int64_t>(p.support) < m.min_volume) return false;
  if (spec.type == MetricType::kQuantile) {
    double tail = std::min(spec.q, 1 - spec.q);
    return static_cast<double>(p.support) * tail >= 5;
  }
  return true;
}

}  // namespace

Result<ExpectedSeries> SeriesWithBand(const Cube& cube, std::string_view metric, const Slice& slice,
                                      TimeMs from, TimeMs to, int64_t granularity_ms) {
  const Config& c = cube.config();
  int index = c.FindMetric(metric);
  MonitorSpec fallback;
  const MonitorSpec* monitor = index >= 0 ? MonitorFor(c, metric, slice) : nullptr;
  if (!monitor) monitor = &fallback;
  int64_t g = granularity_ms;
  if (g == 0) g = monitor->granularity_ms ? monitor->granularity_ms : c.granularity_ms;
  // All history up to `to` feeds the detectors; only [from, to) is returned.
  VIGIL_ASSIGN_OR_RETURN(std::vector<SeriesPoint> points, cube.Series(metric, slice, 0, to, g));
  const MetricSpec& spec = c.metrics[index];
  VIGIL_ASSIGN_OR_RETURN(TimeZone zone, ZoneOf(c, slice));
  DetectorOptions opt;
  opt.bucket_ms = g;
  opt.direction = monitor->direction;
  opt.warmup_ms = c.detect.warmup_ms;
  opt.members = c.detect.detectors;
  opt.utc_offset = [zone](TimeMs t) { return zone.OffsetAt(t); };
  VIGIL_ASSIGN_OR_RETURN(auto detector, Detector::Create("ensemble", opt));

  ExpectedSeries out;
  out.metric = std::string(metric);
  out.slice = slice;
  out.unit = spec.unit;
  out.granularity_ms = g;
  bool countable = spec.type == MetricType::kCount || spec.type == MetricType::kDistinct;
  for (const SeriesPoint& pt : points) {
    Observation o;
    o.time = pt.time;
    bool enough = Enough(spec, *monitor, pt);
    o.value = !countable && (pt.events == 0 || !enough) ? std::nan("") : pt.value;
    o.sampling_error = pt.sampling_error;
    o.support = pt.support;
    o.skip = InCalendar(c, slice, pt.time, g);
    Assessment a = detector->Update(o);
    if (pt.time < from) continue;
    if (!a.warm) a.expected = a.lower = a.upper = std::nan("");
    out.points.push_back(pt);
    out.assessments.push_back(a);
  }
  return out;
}

}  // namespace vigil
