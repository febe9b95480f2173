// Monitors: expand each monitor into its series, judge every point, control the false-discovery
// rate per round across all series, form anomalies and keep each on the most specific slice.
#include <algorithm>
#include <map>
#include <set>

#include "detect/seasonal_detector.h"
#include "vigil/detect.h"

namespace vigil {
namespace {

struct SeriesJob {
  const MonitorSpec* monitor;
  SliceSeries series;
  int64_t granularity_ms;
  bool cohort_group = false;  // a value of a one-dimension selector: compared with its siblings
  size_t group = 0;           // jobs of the same selector share a group id
  std::vector<Assessment> assessments;
  std::vector<double> p;         // final p-value per point (1: not judged)
  std::vector<bool> by_cohort;   // the p-value came from the cohort comparison
  std::vector<bool> significant;
};

bool IsAncestorOrSame(const Slice& ancestor, const Slice& slice) {
  for (const auto& kv : ancestor) {
    if (std::find(slice.begin(), slice.end(), kv) == slice.end()) return false;
  }
  return true;
}

std::string SliceKey(const std::string& metric, const Slice& slice, int64_t g) {
  Slice sorted = slice;
  std::sort(sorted.begin(), sorted.end());
  return metric + "|" + FormatSlice(sorted) + "|" + std::to_string(g);
}

Result<std::vector<SeriesJob>> BuildJobs(const Cube& cube, const DetectOptions& options) {
  const Config& c = cube.config();
  std::vector<SeriesJob> jobs;
  std::set<std::string> seen;
  size_t group = 0;
  for (const MonitorSpec& m : c.monitors) {
    int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    for (const SliceSelector& sel : m.slices) {
      std::vector<SliceSeries> found;
      switch (sel.kind) {
        case SliceSelector::Kind::kAll:
        case SliceSelector::Kind::kEachValue:
        case SliceSelector::Kind::kEachPair: {
          VIGIL_ASSIGN_OR_RETURN(found, cube.GroupSeries(m.metric, {}, sel.dimensions, options.from,
                                                         options.to, g));
          break;
        }
        case SliceSelector::Kind::kExplicit: {
          Slice slice(sel.slice.begin(), sel.slice.end());
          auto s = cube.Series(m.metric, slice, options.from, options.to, g);
          if (s.status().code() == StatusCode::kNotFound) continue;  // no such value (yet)
          if (!s.ok()) return s.status();
          found.push_back({slice, std::move(*s)});
          break;
        }
      }
      ++group;
      for (SliceSeries& s : found) {
        if (!seen.insert(SliceKey(m.metric, s.slice, g)).second) continue;
        SeriesJob job;
        job.monitor = &m;
        job.series = std::move(s);
        job.granularity_ms = g;
        job.cohort_group = sel.kind == SliceSelector::Kind::kEachValue;
        job.group = group;
        jobs.push_back(std::move(job));
      }
    }
  }
  return jobs;
}

// The zone of a slice: the zone of its zone_dimension value when it fixes one, else the default.
Result<const TimeZone*> ZoneFor(const Config& c, const Slice& slice,
                                std::map<std::string, TimeZone>* zones) {
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

// Enough sample to judge a point: min_volume on the sample behind the value, and for a
// quantile at least 5 values beyond it (a p95 of 30 values is the second largest value).
bool Enough(const MetricSpec& spec, const MonitorSpec& m, const SeriesPoint& p) {
  if (static_cast<int64_t>(p.support) < m.min_volume) return false;
  if (spec.type == MetricType::kQuantile) {
    double tail = std::min(spec.q, 1 - spec.q);
    return static_cast<double>(p.support) * tail >= 5;
  }
  return true;
}

// The ensemble over one series with a monitor's settings; `zones` caches loaded time zones.
Result<std::vector<Assessment>> Replay(const Config& c, const MonitorSpec& m, const SliceSeries& series,
                                       int64_t g, std::map<std::string, TimeZone>* zones,
                                       std::vector<bool>* judged) {
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
    bool enough = index >= 0 && Enough(c.metrics[index], m, pt);
    Observation o;
    o.time = pt.time;
    o.value = !countable && (pt.events == 0 || !enough) ? std::nan("") : pt.value;
    o.sampling_error = pt.sampling_error;
    o.support = pt.support;
    o.skip = InCalendar(c, series.slice, pt.time, g);
    out[i] = detector->Update(o);
    if (judged) (*judged)[i] = out[i].warm && !o.skip && !std::isnan(o.value) && enough;
  }
  return out;
}

Status JudgeSeries(const Config& c, SeriesJob* job, std::map<std::string, TimeZone>* zones) {
  std::vector<bool> judged;
  VIGIL_ASSIGN_OR_RETURN(job->assessments,
                         Replay(c, *job->monitor, job->series, job->granularity_ms, zones, &judged));
  size_t n = job->series.points.size();
  job->p.assign(n, 1.0);
  job->by_cohort.assign(n, false);
  job->significant.assign(n, false);
  for (size_t i = 0; i < n; ++i)
    if (judged[i]) job->p[i] = job->assessments[i].p_value;
  return Status::Ok();
}

// A new value (its own history too short to judge) against its siblings in the same buckets:
// a new build or model that is worse than the rest is a regression even without a baseline.
// Only values that appeared after the data began (a new build, model or voice) are compared:
// values present from the start simply have no history yet. Counts and distinct counts are not
// compared (a new value's traffic is small by nature).
void CompareCohorts(const Config& c, std::vector<SeriesJob>* jobs) {
  std::map<size_t, std::vector<SeriesJob*>> groups;
  TimeMs data_start = INT64_MAX;
  for (SeriesJob& j : *jobs) {
    if (!j.series.points.empty()) data_start = std::min(data_start, j.series.points.front().time);
  }
  for (SeriesJob& j : *jobs) {
    if (j.cohort_group) groups[j.group].push_back(&j);
  }
  for (auto& [id, members] : groups) {
    if (members.size() < 2) continue;
    const MetricSpec& spec = c.metrics[c.FindMetric(members[0]->monitor->metric)];
    if (spec.type == MetricType::kCount || spec.type == MetricType::kDistinct) continue;
    std::vector<bool> is_new;
    for (SeriesJob* j : members) {
      TimeMs first_seen = INT64_MAX;
      for (const SeriesPoint& p : j->series.points) {
        if (p.events > 0) {
          first_seen = p.time;
          break;
        }
      }
      is_new.push_back(first_seen != INT64_MAX && first_seen - data_start >= c.detect.warmup_ms);
    }
    size_t n = members[0]->series.points.size();
    for (size_t i = 0; i < n; ++i) {
      // Support-weighted reference over all values, then leave-one-out per member.
      double sum_w = 0, sum_wv = 0, sum_w2se2 = 0;
      for (SeriesJob* j : members) {
        const SeriesPoint& p = j->series.points[i];
        if (std::isnan(p.value) || p.support == 0) continue;
        double w = static_cast<double>(p.support);
        sum_w += w;
        sum_wv += w * p.value;
        sum_w2se2 += w * w * p.sampling_error * p.sampling_error;
      }
      for (size_t mi = 0; mi < members.size(); ++mi) {
        SeriesJob* j = members[mi];
        const SeriesPoint& p = j->series.points[i];
        const MonitorSpec& m = *j->monitor;
        if (!is_new[mi] || j->assessments[i].warm || std::isnan(p.value) || !Enough(spec, m, p)) {
          continue;
        }
        double w = static_cast<double>(p.support);
        double rest_w = sum_w - w;
        if (rest_w < w) continue;  // the value is most of the traffic: no cohort to compare with
        double ref = (sum_wv - w * p.value) / rest_w;
        double ref_se2 = std::max(0.0, sum_w2se2 - w * w * p.sampling_error * p.sampling_error) /
                         (rest_w * rest_w);
        // Siblings differ naturally: allow the monitor's smallest relevant effect as spread.
        double spread = std::max(m.min_relative_effect, 0.05) * std::abs(ref);
        double sd = std::sqrt(p.sampling_error * p.sampling_error + ref_se2 + spread * spread);
        if (sd <= 0) continue;
        double z = (p.value - ref) / sd;
        j->p[i] = internal::DirectionalPValue(z, m.direction);
        j->by_cohort[i] = true;
        Assessment& a = j->assessments[i];
        a.expected = ref;
        a.lower = ref - 3 * sd;
        a.upper = ref + 3 * sd;
        a.score = z;
        a.p_value = j->p[i];
        a.probability = 1 - j->p[i];
      }
    }
  }
}

// Benjamini–Hochberg per evaluation round (bucket time and granularity) across all series.
void ControlFalseDiscoveries(std::vector<SeriesJob>* jobs, double q) {
  std::map<std::pair<int64_t, TimeMs>, std::vector<std::pair<double, std::pair<size_t, size_t>>>> rounds;
  for (size_t j = 0; j < jobs->size(); ++j) {
    const SeriesJob& job = (*jobs)[j];
    for (size_t i = 0; i < job.p.size(); ++i) {
      // Every judged point counts towards m, significant or not.
      if (job.p[i] < 1.0 || job.assessments[i].warm) {
        rounds[{job.granularity_ms, job.series.points[i].time}].push_back({job.p[i], {j, i}});
      }
    }
  }
  for (auto& [key, tests] : rounds) {
    std::sort(tests.begin(), tests.end());
    size_t m = tests.size();
    size_t passed = 0;
    for (size_t k = 0; k < m; ++k) {
      if (tests[k].first <= q * static_cast<double>(k + 1) / static_cast<double>(m)) passed = k + 1;
    }
    for (size_t k = 0; k < passed; ++k) {
      (*jobs)[tests[k].second.first].significant[tests[k].second.second] = true;
    }
  }
}

bool EffectMatters(const MonitorSpec& m, double value, double expected) {
  if (std::isnan(value) || std::isnan(expected)) return false;
  double delta = value - expected;
  if (m.direction == Direction::kUp && delta <= 0) return false;
  if (m.direction == Direction::kDown && delta >= 0) return false;
  double need = std::max(m.min_absolute_effect, m.min_relative_effect * std::abs(expected));
  return std::abs(delta) >= need && std::abs(delta) > 0;
}

void FormAnomalies(const SeriesJob& job, std::vector<Anomaly>* out) {
  const MonitorSpec& m = *job.monitor;
  const auto& pts = job.series.points;
  int64_t g = job.granularity_ms;
  size_t n = pts.size();
  size_t i = 0;
  while (i < n) {
    if (!(job.significant[i] && EffectMatters(m, pts[i].value, job.assessments[i].expected))) {
      ++i;
      continue;
    }
    size_t first = i, last = i;
    int outs = 0;
    size_t k = i + 1;
    // The run goes on while the effect lasts; an hour of ordinary buckets (at least three) ends
    // it, so that a noisy regression stays one anomaly rather than a burst of short ones.
    const int recovery = static_cast<int>(std::max<int64_t>(3, kHourMs / g));
    for (; k < n; ++k) {
      if (EffectMatters(m, pts[k].value, job.assessments[k].expected)) {
        last = k;
        outs = 0;
      } else if (++outs >= recovery) {
        break;
      }
    }
    Anomaly a;
    a.metric = m.metric;
    a.slice = job.series.slice;
    a.granularity_ms = g;
    a.detected = pts[first].time;
    a.start = pts[first].time;
    // The onset: back from the first significant bucket, as far as the change-point onset allows,
    // while the deviation already had half the size that matters.
    TimeMs onset = job.assessments[first].onset;
    if (onset > 0 && onset < a.start && a.start - onset <= 24 * g) {
      size_t b = first;
      while (b > 0 && pts[b - 1].time >= onset) {
        const Assessment& prev = job.assessments[b - 1];
        double need = 0.5 * std::max(m.min_absolute_effect, m.min_relative_effect * std::abs(prev.expected));
        double delta = pts[b - 1].value - prev.expected;
        if (m.direction == Direction::kDown) delta = -delta;
        if (m.direction == Direction::kBoth) delta = std::abs(delta);
        if (std::isnan(delta) || delta < need) break;
        --b;
      }
      a.start = pts[b].time;
    }
    bool open = k >= n;  // still anomalous at the end of the data
    a.end = open ? 0 : pts[last].time + g;
    double sum_e = 0, sum_o = 0, conf = 0;
    uint64_t support = 0;
    size_t count = 0;
    bool cohort = false;
    for (size_t t = first; t <= last; ++t) {
      const Assessment& as = job.assessments[t];
      if (!EffectMatters(m, pts[t].value, as.expected)) continue;
      sum_e += as.expected;
      sum_o += pts[t].value;
      conf = std::max(conf, as.probability);
      support += pts[t].support;
      cohort = cohort || job.by_cohort[t];
      ++count;
    }
    if (count > 0) {
      a.baseline = sum_e / count;
      a.observed = sum_o / count;
      a.relative_change = a.baseline != 0 ? (a.observed - a.baseline) / std::abs(a.baseline) : 0;
    }
    a.direction = a.observed >= a.baseline ? Direction::kUp : Direction::kDown;
    a.confidence = conf;
    a.support = support;
    a.cohort = cohort;
    a.detector = cohort ? "cohort" : "ensemble";
    TimeMs span = pts[last].time + g - pts[first].time;
    // The run as a whole must move by the smallest effect that matters, not just its peaks.
    double mean_expected = 0, mean_observed = 0;
    size_t all = 0;
    for (size_t t = first; t <= last; ++t) {
      if (std::isnan(pts[t].value) || std::isnan(job.assessments[t].expected)) continue;
      mean_expected += job.assessments[t].expected;
      mean_observed += pts[t].value;
      ++all;
    }
    bool sizeable = all > 0 && EffectMatters(m, mean_observed / all, mean_expected / all);
    if (span >= m.min_duration_ms && count > 0 && sizeable) out->push_back(std::move(a));
    i = k;
  }
}

bool Overlap(const Anomaly& a, const Anomaly& b) {
  TimeMs a_end = a.end ? a.end : INT64_MAX, b_end = b.end ? b.end : INT64_MAX;
  return a.start < b_end && b.start < a_end;
}

// The same regression seen in a slice and its ancestors becomes one anomaly: on the descendant
// when it carries at least half of the ancestor's excess, else on the ancestor.
std::vector<Anomaly> KeepMostSpecific(std::vector<Anomaly> all) {
  auto excess = [](const Anomaly& a) {
    return std::abs(a.observed - a.baseline) * static_cast<double>(std::max<uint64_t>(a.support, 1));
  };
  std::vector<bool> drop(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      if (i == j || all[i].metric != all[j].metric || !Overlap(all[i], all[j])) continue;
      if (all[j].slice.size() > all[i].slice.size() && IsAncestorOrSame(all[i].slice, all[j].slice) &&
          excess(all[j]) >= 0.5 * excess(all[i])) {
        drop[i] = true;  // a descendant carries it
      }
    }
  }
  for (size_t j = 0; j < all.size(); ++j) {
    if (drop[j]) continue;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i == j || drop[i] || all[i].metric != all[j].metric || !Overlap(all[i], all[j])) continue;
      if (all[i].slice.size() < all[j].slice.size() && IsAncestorOrSame(all[i].slice, all[j].slice)) {
        drop[j] = true;  // part of a broader regression that stays
        break;
      }
    }
  }
  std::vector<Anomaly> kept;
  for (size_t i = 0; i < all.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(all[i]));
  return kept;
}

// Anomalies on unrelated slices at the same time (failure_rate on platform=iOS and on
// app_build=2026.10.2; e2e_p95 on locale=en-US while tts_voice=voice-8 slows down) are often one
// regression seen twice. The cube answers exactly which explains which: take Y's traffic out of
// X; if X is then back near its baseline, X was a symptom of Y and is dropped. Y may be an
// anomaly of any metric: its slice is the candidate cause. Works for every metric type,
// quantiles included; counts are left alone (removing traffic always lowers them).
// Re-judges anomaly `a` on `slice` (a part of its slice): the series of that slice through the
// same detector, averaged over the anomaly's buckets. True, with `a` moved there, when the part
// shows an effect that matters.
bool Relocate(const Cube& cube, const MonitorSpec& monitor,
              const Slice& slice, Anomaly* a, std::map<std::string, TimeZone>* zones) {
  auto series = cube.Series(a->metric, slice, 0, 0, a->granularity_ms);
  if (!series.ok()) return false;
  SeriesJob job;
  job.monitor = &monitor;
  job.series = {slice, std::move(*series)};
  job.granularity_ms = a->granularity_ms;
  if (!JudgeSeries(cube.config(), &job, zones).ok()) return false;
  double sum_e = 0, sum_o = 0;
  size_t n = 0;
  TimeMs end = a->end ? a->end : INT64_MAX;
  for (size_t i = 0; i < job.series.points.size(); ++i) {
    const SeriesPoint& p = job.series.points[i];
    if (p.time < a->detected || p.time >= end) continue;
    if (std::isnan(p.value) || std::isnan(job.assessments[i].expected)) continue;
    sum_e += job.assessments[i].expected;
    sum_o += p.value;
    ++n;
  }
  if (n == 0 || !EffectMatters(monitor, sum_o / n, sum_e / n)) return false;
  a->slice = slice;
  a->baseline = sum_e / n;
  a->observed = sum_o / n;
  a->relative_change = a->baseline != 0 ? (a->observed - a->baseline) / std::abs(a->baseline) : 0;
  return true;
}

// Anomalies on unrelated slices at the same time (failure_rate on platform=iOS and on
// app_build=2026.10.2; e2e_p95 on locale=en-US while tts_voice=voice-8 slows down) are often one
// regression seen twice. The cube answers exactly which explains which: take Y's traffic out of
// X; if X is then back near its baseline, X's regression lies in Y. When Y is the same metric,
// Y already carries it and X is dropped; when Y is another metric (good_turn_rate on watchOS
// explaining asr_final_p95 on asr-42), X moves to the intersection of both slices, re-judged
// there. Works for every metric type, quantiles included; counts are left alone (removing
// traffic always lowers them).
std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> all,
                                 std::map<std::string, TimeZone>* zones) {
  const Config& c = cube.config();
  std::vector<bool> drop(all.size(), false);
  std::vector<bool> moved(all.size(), false);  // a moved anomaly neither moves again nor explains
  for (size_t x = 0; x < all.size(); ++x) {
    Anomaly& ax = all[x];
    int metric = c.FindMetric(ax.metric);
    if (metric < 0 || ax.slice.empty() || c.metrics[metric].type == MetricType::kCount ||
        c.metrics[metric].type == MetricType::kDistinct) {
      continue;
    }
    double deviation = ax.observed - ax.baseline;
    if (deviation == 0) continue;
    TimeMs from = ax.detected;
    TimeMs to = ax.end ? ax.end : 0;
    for (size_t y = 0; y < all.size(); ++y) {
      if (x == y || drop[y] || moved[y] || !Overlap(ax, all[y]) || all[y].slice.empty()) continue;
      if (IsAncestorOrSame(ax.slice, all[y].slice) || IsAncestorOrSame(all[y].slice, ax.slice)) continue;
      auto rest = cube.TotalExcluding(ax.slice, all[y].slice, from, to);
      if (!rest.ok() || rest->count == 0) continue;
      double without = cube.MetricValue(metric, *rest);
      if (std::isnan(without)) continue;
      double residual = without - ax.baseline;
      // Explained: less than a third of the deviation remains (or it flipped sign).
      if (!(residual * deviation <= 0 || std::abs(residual) < std::abs(deviation) / 3)) continue;
      if (all[y].metric == ax.metric) {
        drop[x] = true;
        break;
      }
      Slice both = ax.slice;
      bool consistent = true;
      for (const auto& [d, v] : all[y].slice) {
        const std::string& dimension = d;  // clang 14 cannot capture a structured binding
        auto it = std::find_if(both.begin(), both.end(),
                               [&](const auto& kv) { return kv.first == dimension; });
        if (it == both.end()) both.emplace_back(d, v);
        else if (it->second != v) consistent = false;
      }
      const MonitorSpec* monitor = nullptr;
      for (const MonitorSpec& m : c.monitors) {
        if (m.metric == ax.metric) monitor = &m;
      }
      if (consistent && monitor && Relocate(cube, *monitor, both, &ax, zones)) {
        moved[x] = true;
        break;
      }
    }
  }
  std::vector<Anomaly> kept;
  for (size_t i = 0; i < all.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(all[i]));
  // Relocation can bring two anomalies onto one slice: keep the earliest of each.
  std::vector<Anomaly> unique;
  for (Anomaly& a : kept) {
    bool dup = false;
    for (const Anomaly& u : unique) {
      if (u.metric == a.metric && IsAncestorOrSame(u.slice, a.slice) &&
          IsAncestorOrSame(a.slice, u.slice) && Overlap(u, a)) {
        dup = true;
      }
    }
    if (!dup) unique.push_back(std::move(a));
  }
  return unique;
}

}  // namespace

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
  std::map<std::string, TimeZone> zones;
  return Replay(config, monitor, series, granularity_ms, &zones, judged);
}

Result<std::vector<Anomaly>> DetectSeries(const std::vector<SliceSeries>& series,
                                          const MonitorSpec& monitor, const Config& config,
                                          int64_t granularity_ms) {
  std::vector<SeriesJob> jobs;
  for (const SliceSeries& s : series) {
    SeriesJob job;
    job.monitor = &monitor;
    job.series = s;
    job.granularity_ms = granularity_ms;
    jobs.push_back(std::move(job));
  }
  std::map<std::string, TimeZone> zones;
  for (SeriesJob& job : jobs) VIGIL_RETURN_IF_ERROR(JudgeSeries(config, &job, &zones));
  ControlFalseDiscoveries(&jobs, config.detect.fdr);
  std::vector<Anomaly> out;
  for (const SeriesJob& job : jobs) FormAnomalies(job, &out);
  return out;
}

Result<DetectionReport> Detect(const Cube& cube, const DetectOptions& options) {
  const Config& c = cube.config();
  DetectionReport report;
  if (cube.cell_count() == 0) return report;
  VIGIL_ASSIGN_OR_RETURN(std::vector<SeriesJob> jobs, BuildJobs(cube, options));
  std::map<std::string, TimeZone> zones;
  for (SeriesJob& job : jobs) {
    VIGIL_RETURN_IF_ERROR(JudgeSeries(c, &job, &zones));
    report.points += job.series.points.size();
  }
  CompareCohorts(c, &jobs);
  ControlFalseDiscoveries(&jobs, c.detect.fdr);
  std::vector<Anomaly> candidates;
  for (const SeriesJob& job : jobs) FormAnomalies(job, &candidates);
  report.series = jobs.size();
  report.candidates = candidates.size();
  report.anomalies = ExplainAway(cube, KeepMostSpecific(std::move(candidates)), &zones);
  std::sort(report.anomalies.begin(), report.anomalies.end(), [](const Anomaly& a, const Anomaly& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.metric != b.metric) return a.metric < b.metric;
    return FormatSlice(a.slice) < FormatSlice(b.slice);
  });
  if (options.series_out) {
    for (SeriesJob& job : jobs) {
      options.series_out->push_back({job.monitor->metric, job.series.slice, job.granularity_ms,
                                     std::move(job.series.points), std::move(job.assessments)});
    }
  }
  return report;
}

}  // namespace vigil
