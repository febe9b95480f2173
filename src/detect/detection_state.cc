// Detection carried from round to round (DetectionState): each monitored series is read and
// judged once per bucket, and its detectors are kept between rounds, so a round over a cube that
// grew by a bucket reads that bucket's cells and judges one point per series, whatever the
// history held. The jobs it returns are the ones BuildSeriesJobs and JudgeSeries would give
// over the same cube, in the same order, so every later step is shared with a batch run.
#include <functional>
#include <set>
#include <string>
#include <type_traits>

#include "detect/joint.h"
#include "detect/series_job.h"

namespace vigil {

struct DetectionState::Impl {
  struct Tracked {
    SliceSeries series;
    std::vector<Assessment> assessments;  ///< as the detectors said them (before cohorts)
    std::vector<bool> judged;
    TimeMs first_event = INT64_MAX;  ///< the first bucket with events (INT64_MAX: none yet)
    internal::ZoneMix zone_mix;
    std::unique_ptr<internal::SeriesJudge> judge;
  };
  /// The series of one selector of one monitor, by slice: the order GroupSeries gives them in.
  using Selector = std::map<Slice, Tracked>;

  const Config* config = nullptr;
  internal::TimeZoneCache zones;  ///< the detectors' clocks point into it: kept with them
  std::vector<std::vector<Selector>> monitors;  ///< [monitor][selector]
  std::set<std::string> keys;                   ///< SeriesKey of every series held (each once)
  std::vector<TimeMs> read_to;                  ///< per monitor: the end of the buckets read
  TimeMs first_bucket = 0;                      ///< the cube's first bucket at the last round
  /// The series whose points and assessments the running round's jobs hold, in job order (null:
  /// the job holds a copy): lent rather than copied, so a round does not copy the history.
  std::vector<Tracked*> lent;
  /// The series of every job of the running round, in job order.
  std::vector<Tracked*> tracked;
  int64_t horizon_ms = 0;      ///< see set_horizon; 0: hold everything
  internal::JointCache joint;  ///< the multivariate detector's forests and scores
};

DetectionState::DetectionState() : impl_(std::make_unique<Impl>()) {}
DetectionState::~DetectionState() = default;
DetectionState::DetectionState(DetectionState&&) noexcept = default;
DetectionState& DetectionState::operator=(DetectionState&&) noexcept = default;

void DetectionState::Reset() {
  const int64_t horizon = impl_->horizon_ms;
  *impl_ = Impl{};
  impl_->horizon_ms = horizon;
}

void DetectionState::set_horizon(int64_t ms) { impl_->horizon_ms = std::max<int64_t>(0, ms); }

int64_t DetectionState::horizon() const { return impl_->horizon_ms; }

size_t DetectionState::series() const { return impl_->keys.size(); }

size_t DetectionState::points_held() const {
  size_t n = 0;
  for (const auto& monitor : impl_->monitors) {
    for (const auto& selector : monitor) {
      for (const auto& [slice, t] : selector) n += t.series.points.size();
    }
  }
  return n;
}

TimeMs DetectionState::read_to() const {
  if (impl_->read_to.empty()) return 0;
  return *std::min_element(impl_->read_to.begin(), impl_->read_to.end());
}

namespace internal {

struct DetectionStateAccess {
  static DetectionState::Impl& Of(DetectionState* state) { return *state->impl_; }
};

JointCache* JointCacheOf(DetectionState* state) { return &DetectionStateAccess::Of(state).joint; }

namespace {

using Tracked = DetectionState::Impl::Tracked;

// Drops what lies before `start` (expired by cube.retention, or past the longest series read).
bool TrimBefore(TimeMs start, Tracked* t) {
  std::vector<SeriesPoint>& points = t->series.points;
  size_t k = 0;
  while (k < points.size() && points[k].time < start) ++k;
  if (k == 0) return false;
  const auto drop = static_cast<std::ptrdiff_t>(k);
  points.erase(points.begin(), points.begin() + drop);
  t->assessments.erase(t->assessments.begin(), t->assessments.begin() + drop);
  t->judged.erase(t->judged.begin(), t->judged.begin() + drop);
  return true;
}

// The first of `points[from...]` with events, if `t` has seen none before.
void NoteFirstEvent(const std::vector<SeriesPoint>& points, size_t from, Tracked* t) {
  if (t->first_event != INT64_MAX) return;
  for (size_t k = from; k < points.size(); ++k) {
    if (points[k].events > 0) {
      t->first_event = points[k].time;
      return;
    }
  }
}

// New buffers for the series with room for `points` and some more buckets, more or fewer by
// series: held series all grow by a bucket a round, and with equal room they would all be
// copied to larger buffers in the same round (at 10⁵ series, a round four times as long as the
// others). Also gives back what a buffer held beyond that.
void Regrow(Tracked* t, size_t points, int64_t g) {
  const size_t room =
      points + 1 +
      std::hash<std::string>{}(FormatSlice(t->series.slice)) % static_cast<size_t>(kDayMs / g + 1);
  auto regrow = [room](auto* buffer) {
    std::remove_reference_t<decltype(*buffer)> fresh;
    fresh.reserve(room);
    fresh.assign(buffer->begin(), buffer->end());
    *buffer = std::move(fresh);
  };
  regrow(&t->series.points);
  regrow(&t->assessments);
  regrow(&t->judged);
}

bool HasEvents(const SliceSeries& s) {
  return std::any_of(s.points.begin(), s.points.end(),
                     [](const SeriesPoint& p) { return p.events > 0; });
}

// The empty points of [from, to) at `g`, from the metric's empty point.
void AppendEmpty(SeriesPoint empty, TimeMs from, TimeMs to, int64_t g,
                 std::vector<SeriesPoint>* out) {
  for (TimeMs t = from; t < to; t += g) {
    empty.time = t;
    out->push_back(empty);
  }
}

Result<std::vector<SeriesJob>> Continue(const Cube& cube, const DetectOptions& options,
                                        DetectionState* state, size_t* points_judged) {
  const Config& c = cube.config();
  if (options.to == 0 || options.from != 0)
    return InvalidArgument("detection carried between rounds needs an end and no start");
  DetectionState::Impl& st = DetectionStateAccess::Of(state);
  // Another config, or events before what was read: read everything again.
  if (st.config != &c || cube.first_bucket() < st.first_bucket) state->Reset();
  for (size_t mi = 0; mi < st.read_to.size(); ++mi) {
    const MonitorSpec& m = c.monitors[mi];
    const int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    if (BucketStart(options.to, g) < st.read_to[mi]) state->Reset();  // the end moved back
  }
  st.config = &c;
  st.first_bucket = cube.first_bucket();
  st.monitors.resize(c.monitors.size());
  st.read_to.resize(c.monitors.size(), 0);
  *points_judged = 0;
  st.lent.clear();
  st.tracked.clear();
  ZoneMixReader mixes(cube);
  std::vector<SeriesJob> jobs;
  size_t group = 0;
  for (size_t mi = 0; mi < c.monitors.size(); ++mi) {
    const MonitorSpec& m = c.monitors[mi];
    const int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    // Whole buckets of the monitor only: a half-filled hour is not a drop in volume.
    const TimeMs to = BucketStart(options.to, g);
    const TimeMs start = cube.SeriesStart(to, g);
    const TimeMs from = std::max(st.read_to[mi], start);
    VIGIL_ASSIGN_OR_RETURN(const SeriesPoint empty, cube.EmptyPoint(m.metric, 0));
    st.monitors[mi].resize(m.slices.size());
    for (size_t si = 0; si < m.slices.size(); ++si) {
      const SliceSelector& sel = m.slices[si];
      DetectionState::Impl::Selector& held = st.monitors[mi][si];
      ++group;
      std::vector<SliceSeries> found;
      if (to > from) {
        VIGIL_ASSIGN_OR_RETURN(found, SelectorSeries(cube, m, sel, from, to, g));
      }
      std::map<Slice, SliceSeries*> fresh;  // slices seen for the first time
      std::set<Slice> extended;
      for (SliceSeries& s : found) {
        auto it = held.find(s.slice);
        if (it == held.end()) {
          if (!st.keys.count(SeriesKey(m.metric, s.slice, g))) fresh.emplace(s.slice, &s);
          continue;  // else another selector's series
        }
        std::vector<SeriesPoint>& points = it->second.series.points;
        const size_t before = points.size();
        points.insert(points.end(), s.points.begin(), s.points.end());
        NoteFirstEvent(points, before, &it->second);
        extended.insert(s.slice);
      }
      // With a horizon, the selector's series start where its held ones do (they are trimmed
      // together), so a new one lines up with its siblings bucket for bucket.
      TimeMs held_from = start;
      if (st.horizon_ms > 0 && !held.empty() && !held.begin()->second.series.points.empty())
        held_from = std::max(start, held.begin()->second.series.points.front().time);
      for (auto& [slice, t] : held) {
        if (!extended.count(slice)) AppendEmpty(empty, from, to, g, &t.series.points);
      }
      // A new slice has no events before `from`: every bucket before it was read in an earlier
      // round (or `from` is the start), where any slice with events was found and held (by this
      // selector or, under the same key, another); one whose events expired was dropped and has
      // none left. Its history is empty points, without reading the cube again (a read of the
      // selector's history for each new pair cost a full pass per round).
      for (auto& [slice, s] : fresh) {
        Tracked t;
        t.series.slice = slice;
        Regrow(&t, static_cast<size_t>((to - start) / g), g);
        AppendEmpty(empty, std::min(held_from, from), from, g, &t.series.points);
        t.series.points.insert(t.series.points.end(), s->points.begin(), s->points.end());
        NoteFirstEvent(t.series.points, 0, &t);
        VIGIL_ASSIGN_OR_RETURN(t.zone_mix, mixes.Of(sel, slice));
        VIGIL_ASSIGN_OR_RETURN(t.judge, SeriesJudge::Create(c, m, slice, t.zone_mix, g, &st.zones));
        st.keys.insert(SeriesKey(m.metric, slice, g));
        held.emplace(slice, std::move(t));
      }
      for (auto it = held.begin(); it != held.end();) {
        Tracked& t = it->second;
        // A value whose events all expired is no longer a series (as a batch read finds it).
        if (TrimBefore(start, &t) && sel.kind != SliceSelector::Kind::kExplicit &&
            !HasEvents(t.series)) {
          st.keys.erase(SeriesKey(m.metric, it->first, g));
          it = held.erase(it);
          continue;
        }
        const size_t judged_before = t.assessments.size();
        t.judge->Judge(t.series.points, judged_before, &t.assessments, &t.judged);
        *points_judged += t.series.points.size() - judged_before;
        SeriesJob job;
        job.monitor = &m;
        job.granularity_ms = g;
        job.cohort_group = sel.kind == SliceSelector::Kind::kEachValue;
        job.group = group;
        job.zone_mix = t.zone_mix;
        job.series.slice = t.series.slice;
        if (job.cohort_group) {
          // Cohort comparison rewrites some assessments: these jobs get copies, and the held
          // assessments stay the detectors' own.
          job.series.points = t.series.points;
          job.assessments = t.assessments;
          st.lent.push_back(nullptr);
        } else {
          job.series.points = std::move(t.series.points);
          job.assessments = std::move(t.assessments);
          st.lent.push_back(&t);
        }
        SetPValues(t.judged, &job);
        if (st.horizon_ms > 0) {
          job.history_start = start;
          job.first_event = t.first_event == INT64_MAX ? INT64_MAX : std::max(t.first_event, start);
        }
        st.tracked.push_back(&t);
        jobs.push_back(std::move(job));
        ++it;
      }
    }
    st.read_to[mi] = std::max(st.read_to[mi], to);
  }
  return jobs;
}

}  // namespace

Result<std::vector<SeriesJob>> ContinueSeriesJobs(const Cube& cube, const DetectOptions& options,
                                                  DetectionState* state, size_t* points_judged) {
  auto jobs = Continue(cube, options, state, points_judged);
  // A round that failed half-way read some buckets for some series only: start afresh.
  if (!jobs.ok()) state->Reset();
  return jobs;
}

void ReturnSeriesJobs(std::vector<SeriesJob>* jobs, DetectionState* state, bool copy) {
  DetectionState::Impl& st = DetectionStateAccess::Of(state);
  for (size_t k = 0; k < st.lent.size() && k < jobs->size(); ++k) {
    Tracked* t = st.lent[k];
    if (!t) continue;
    SeriesJob& job = (*jobs)[k];
    if (copy) {
      t->series.points = job.series.points;
      t->assessments = job.assessments;
    } else {
      t->series.points = std::move(job.series.points);
      t->assessments = std::move(job.assessments);
    }
  }
  st.lent.clear();
}

TimeMs TrimToHorizon(const std::vector<SeriesJob>& jobs,
                     const std::vector<std::vector<const Anomaly*>>& formed, TimeMs to,
                     DetectionState* state) {
  DetectionState::Impl& st = DetectionStateAccess::Of(state);
  if (st.horizon_ms <= 0) return 0;
  const TimeMs cutoff = to - st.horizon_ms;
  // Per selector (its series stay aligned): the earliest point an anomaly still reported
  // needs, with the 24 buckets its onset may reach back to and an hour of recovery.
  std::map<size_t, TimeMs> keep_from;
  for (size_t k = 0; k < jobs.size() && k < st.tracked.size(); ++k) {
    const SeriesJob& job = jobs[k];
    const TimeMs margin = std::max<int64_t>(24 * job.granularity_ms, kHourMs) + job.granularity_ms;
    TimeMs keep = cutoff - margin;
    for (const Anomaly* a : formed[k]) {
      if (a->end == 0 || a->end > cutoff) keep = std::min(keep, a->start - margin);
    }
    auto [it, added] = keep_from.try_emplace(job.group, keep);
    if (!added) it->second = std::min(it->second, keep);
  }
  for (size_t k = 0; k < jobs.size() && k < st.tracked.size(); ++k) {
    Tracked* t = st.tracked[k];
    const int64_t g = jobs[k].granularity_ms;
    if (!TrimBefore(BucketStart(keep_from[jobs[k].group], g), t)) continue;
    // Give back what the first round's whole history took.
    const size_t n = t->series.points.size();
    if (t->series.points.capacity() > 2 * n + 64) Regrow(t, n, g);
  }
  st.tracked.clear();
  return cutoff;
}

}  // namespace internal
}  // namespace vigil
