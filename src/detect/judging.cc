// Judging one series: the detection ensemble over its points with the monitor's settings (the
// slice's time zone, calendar periods, the sample-size rule).
#include "detect/series_job.h"

namespace vigil {
namespace internal {
namespace {

// The zone of a slice: the zone of its zone_dimension value when it fixes one, else the default.
Result<const TimeZone*> ZoneFor(const Config& c, const Slice& slice, TimeZoneCache* zones) {
  std::string name = c.detect.timezone;
  if (!c.detect.zone_dimension.empty()) {
    for (const auto& [d, v] : slice) {
      if (d != c.detect.zone_dimension) continue;
      auto it = c.detect.timezones.find(v);
      if (it != c.detect.timezones.end()) name = it->second;
    }
  }
  auto it = zones->find(name);
  if (it == zones->end()) {
    VIGIL_ASSIGN_OR_RETURN(TimeZone tz, TimeZone::Load(name));
    it = zones->emplace(name, std::move(tz)).first;
  }
  return &it->second;
}

bool InCalendar(const Config& c, const Slice& slice, TimeMs t, int64_t g) {
  for (const CalendarEntry& e : c.detect.calendar) {
    if (t + g <= e.start || t >= e.end) continue;
    Slice cal(e.slice.begin(), e.slice.end());
    if (IsAncestorOrSame(cal, slice)) return true;
  }
  return false;
}

}  // namespace

// A p95 of 30 values is the second largest value: a quantile needs 5 values beyond it.
bool EnoughSample(const MetricSpec& spec, const MonitorSpec& m, const SeriesPoint& p) {
  if (static_cast<int64_t>(p.support) < m.min_volume) return false;
  if (spec.type == MetricType::kQuantile) {
    double tail = std::min(spec.q, 1 - spec.q);
    return static_cast<double>(p.support) * tail >= 5;
  }
  return true;
}

Result<std::vector<Assessment>> ReplaySeries(const Config& c, const MonitorSpec& m,
                                             const SliceSeries& series, int64_t g,
                                             TimeZoneCache* zones, std::vector<bool>* judged) {
  DetectorOptions opt;
  opt.bucket_ms = g;
  opt.direction = m.direction;
  opt.warmup_ms = c.detect.warmup_ms;
  opt.members = c.detect.detectors;
  VIGIL_ASSIGN_OR_RETURN(const TimeZone* tz, ZoneFor(c, series.slice, zones));
  opt.utc_offset = [tz](TimeMs t) { return tz->OffsetAt(t); };
  VIGIL_ASSIGN_OR_RETURN(auto detector, Detector::Create("ensemble", opt));
  const size_t n = series.points.size();
  std::vector<Assessment> out(n);
  if (judged) judged->assign(n, false);
  // A rate or quantile from too small a sample is noise: it neither feeds the baseline nor is
  // judged (a new build's first five turns must not set its failure-rate baseline to 0 %).
  // Counts are data at any size: an outage is a count near zero.
  int index = c.FindMetric(m.metric);
  MetricType type = index >= 0 ? c.metrics[index].type : MetricType::kCount;
  bool countable = type == MetricType::kCount || type == MetricType::kDistinct;
  for (size_t i = 0; i < n; ++i) {
    const SeriesPoint& pt = series.points[i];
    bool enough = index >= 0 && EnoughSample(c.metrics[index], m, pt);
    Observation o;
    o.time = pt.time;
    o.value = !countable && (pt.events == 0 || !enough) ? std::nan("") : pt.value;
    o.sampling_error = pt.sampling_error;
    o.support = pt.support;
    o.skip = InCalendar(c, series.slice, pt.time, g);
    out[i] = detector->Update(o);
    // A count is judged by the volume it should have had: a slice whose traffic falls to zero
    // is the loudest anomaly there is, not a bucket too small to judge.
    bool expected_enough = countable && index >= 0 && !std::isnan(out[i].expected) &&
                           out[i].expected >= static_cast<double>(m.min_volume);
    if (judged)
      (*judged)[i] = out[i].warm && !o.skip && !std::isnan(o.value) && (enough || expected_enough);
  }
  return out;
}

Status JudgeSeries(const Config& c, SeriesJob* job, TimeZoneCache* zones) {
  std::vector<bool> judged;
  VIGIL_ASSIGN_OR_RETURN(job->assessments, ReplaySeries(c, *job->monitor, job->series,
                                                        job->granularity_ms, zones, &judged));
  size_t n = job->series.points.size();
  job->p.assign(n, 1.0);
  job->by_cohort.assign(n, false);
  job->significant.assign(n, false);
  for (size_t i = 0; i < n; ++i)
    if (judged[i]) job->p[i] = job->assessments[i].p_value;
  return Status::Ok();
}

}  // namespace internal

const MonitorSpec* MonitorFor(const Config& c, std::string_view metric, const Slice& slice) {
  std::vector<std::string> dims;
  for (const auto& kv : slice) dims.push_back(kv.first);
  std::sort(dims.begin(), dims.end());
  const MonitorSpec* first = nullptr;
  for (const MonitorSpec& m : c.monitors) {
    if (m.metric != metric) continue;
    if (!first) first = &m;
    for (const SliceSelector& sel : m.slices) {
      std::vector<std::string> watched = sel.dimensions;
      if (sel.kind == SliceSelector::Kind::kExplicit) {
        watched.clear();
        for (const auto& kv : sel.slice) watched.push_back(kv.first);
      }
      std::sort(watched.begin(), watched.end());
      if (dims == watched) return &m;
    }
  }
  return first;
}

Result<std::vector<Assessment>> ReplayDetection(const Config& config, const MonitorSpec& monitor,
                                                const SliceSeries& series, int64_t granularity_ms,
                                                std::vector<bool>* judged) {
  internal::TimeZoneCache zones;
  return internal::ReplaySeries(config, monitor, series, granularity_ms, &zones, judged);
}

}  // namespace vigil
