// Judging one series: the detection ensemble over its points with the monitor's settings (the
// slice's time zone, calendar periods, the sample-size rule).
#include "detect/series_job.h"

namespace vigil {
namespace internal {
namespace {

Result<const TimeZone*> LoadZone(const std::string& name, TimeZoneCache* zones) {
  auto it = zones->find(name);
  if (it == zones->end()) {
    VIGIL_ASSIGN_OR_RETURN(TimeZone tz, TimeZone::Load(name));
    it = zones->emplace(name, std::move(tz)).first;
  }
  return &it->second;
}

// The zone of a slice: the zone of its zone_dimension value when it fixes one, else the default.
Result<const TimeZone*> ZoneFor(const Config& c, const Slice& slice, TimeZoneCache* zones) {
  std::string name = c.detect.timezone;
  if (!c.detect.zone_dimension.empty()) {
    for (const auto& [d, v] : slice)
      if (d == c.detect.zone_dimension) name = ZoneOfValue(c, v);
  }
  return LoadZone(name, zones);
}

bool IsWeekend(TimeMs local) {
  int64_t day = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
  return ((day + 3) % 7 + 7) % 7 >= 5;  // Monday = 0
}

// The share of a mix of zones' traffic that lives in a weekend at a UTC time, each zone weighted
// by its traffic at that hour of the day.
struct MixedWeekend {
  std::vector<const TimeZone*> zones;
  std::vector<std::array<double, 24>> weights;

  double operator()(TimeMs t) const {
    size_t hour = static_cast<size_t>(((t % kDayMs + kDayMs) % kDayMs) / kHourMs);
    double total = 0, weekend = 0;
    for (size_t z = 0; z < zones.size(); ++z) {
      total += weights[z][hour];
      if (IsWeekend(t + zones[z]->OffsetAt(t))) weekend += weights[z][hour];
    }
    return total > 0 ? weekend / total : 0;
  }
};

// Sets the options' clock from the slice's zone, or from the zones its traffic lives in.
Status SetClock(const Config& c, const Slice& slice, const ZoneMix& mix, TimeZoneCache* zones,
                DetectorOptions* opt) {
  VIGIL_ASSIGN_OR_RETURN(const TimeZone* tz, ZoneFor(c, slice, zones));
  MixedWeekend mixed;
  for (const ZoneShare& share : mix) {
    double events = 0;
    for (double e : share.events) events += e;
    if (events <= 0) continue;
    VIGIL_ASSIGN_OR_RETURN(const TimeZone* zone, LoadZone(share.zone, zones));
    mixed.zones.push_back(zone);
    mixed.weights.push_back(share.events);
  }
  if (mixed.zones.size() == 1) tz = mixed.zones[0];  // a slice used in one zone lives there
  opt->utc_offset = [tz](TimeMs t) { return tz->OffsetAt(t); };
  if (mixed.zones.size() > 1) opt->weekend_share = std::move(mixed);
  return Status::Ok();
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

Result<std::unique_ptr<SeriesJudge>> SeriesJudge::Create(const Config& c, const MonitorSpec& m,
                                                         const Slice& slice, const ZoneMix& mix,
                                                         int64_t g, TimeZoneCache* zones) {
  DetectorOptions opt;
  opt.bucket_ms = g;
  opt.direction = m.direction;
  opt.warmup_ms = c.detect.warmup_ms;
  opt.members = c.detect.detectors;
  VIGIL_RETURN_IF_ERROR(SetClock(c, slice, mix, zones, &opt));
  auto judge = std::unique_ptr<SeriesJudge>(new SeriesJudge());
  judge->config_ = &c;
  judge->monitor_ = &m;
  judge->slice_ = slice;
  judge->granularity_ms_ = g;
  judge->metric_ = c.FindMetric(m.metric);
  MetricType type = judge->metric_ >= 0 ? c.metrics[judge->metric_].type : MetricType::kCount;
  judge->countable_ = type == MetricType::kCount || type == MetricType::kDistinct;
  VIGIL_ASSIGN_OR_RETURN(judge->detector_, Detector::Create("ensemble", opt));
  return judge;
}

void SeriesJudge::Judge(const std::vector<SeriesPoint>& points, size_t from,
                        std::vector<Assessment>* out, std::vector<bool>* judged) {
  const Config& c = *config_;
  const MonitorSpec& m = *monitor_;
  out->resize(points.size());
  judged->resize(points.size(), false);
  // A rate or quantile from too small a sample is noise: it neither feeds the baseline nor is
  // judged (a new build's first five turns must not set its failure-rate baseline to 0 %).
  // Counts are data at any size: an outage is a count near zero.
  for (size_t i = from; i < points.size(); ++i) {
    const SeriesPoint& pt = points[i];
    bool enough = metric_ >= 0 && EnoughSample(c.metrics[metric_], m, pt);
    Observation o;
    o.time = pt.time;
    o.value = !countable_ && (pt.events == 0 || !enough) ? std::nan("") : pt.value;
    o.sampling_error = pt.sampling_error;
    o.support = pt.support;
    o.skip = InCalendar(c, slice_, pt.time, granularity_ms_);
    Assessment& a = (*out)[i];
    a = detector_->Update(o);
    // A count is judged by the volume it should have had: a slice whose traffic falls to zero
    // is the loudest anomaly there is, not a bucket too small to judge.
    bool expected_enough = countable_ && metric_ >= 0 && !std::isnan(a.expected) &&
                           a.expected >= static_cast<double>(m.min_volume);
    (*judged)[i] = a.warm && !o.skip && !std::isnan(o.value) && (enough || expected_enough);
  }
}

Result<std::vector<Assessment>> ReplaySeries(const Config& c, const MonitorSpec& m,
                                             const SliceSeries& series, const ZoneMix& mix,
                                             int64_t g, TimeZoneCache* zones,
                                             std::vector<bool>* judged) {
  VIGIL_ASSIGN_OR_RETURN(auto judge, SeriesJudge::Create(c, m, series.slice, mix, g, zones));
  std::vector<Assessment> out;
  std::vector<bool> flags;
  judge->Judge(series.points, 0, &out, &flags);
  if (judged) *judged = std::move(flags);
  return out;
}

void SetPValues(const std::vector<bool>& judged, SeriesJob* job) {
  size_t n = job->series.points.size();
  job->p.assign(n, 1.0);
  job->by_cohort.assign(n, false);
  job->significant.assign(n, false);
  if (&job->judged != &judged) job->judged = judged;
  for (size_t i = 0; i < n; ++i)
    if (judged[i]) job->p[i] = job->assessments[i].p_value;
}

Status JudgeSeries(const Config& c, SeriesJob* job, TimeZoneCache* zones) {
  std::vector<bool> judged;
  VIGIL_ASSIGN_OR_RETURN(job->assessments,
                         ReplaySeries(c, *job->monitor, job->series, job->zone_mix,
                                      job->granularity_ms, zones, &judged));
  SetPValues(judged, job);
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

Result<std::vector<Assessment>> ReplayDetection(const Cube& cube, const MonitorSpec& monitor,
                                                const SliceSeries& series, int64_t granularity_ms,
                                                std::vector<bool>* judged) {
  internal::TimeZoneCache zones;
  VIGIL_ASSIGN_OR_RETURN(internal::ZoneMix mix, internal::ZoneMixOf(cube, series.slice, 0, 0));
  return internal::ReplaySeries(cube.config(), monitor, series, mix, granularity_ms, &zones,
                                judged);
}

}  // namespace vigil
