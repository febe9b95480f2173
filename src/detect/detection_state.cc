// Detection carried from round to round (DetectionState): each monitored series is read and
// judged once per bucket, and its detectors are kept between rounds, so a round over a cube that
// grew by a bucket reads that bucket's cells and judges one point per series, whatever the
// history held. The jobs it returns are the ones BuildSeriesJobs and JudgeSeries would give
// over the same cube, in the same order, so every later step is shared with a batch run.
#include <functional>
#include <set>
#include <string>

#include "detect/series_job.h"

namespace vigil {

struct DetectionState::Impl {
  struct Tracked {
    SliceSeries series;
    std::vector<Assessment> assessments;  ///< as the detectors said them (before cohorts)
    std::vector<bool> judged;
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
};

DetectionState::DetectionState() : impl_(std::make_unique<Impl>()) {}
DetectionState::~DetectionState() = default;
DetectionState::DetectionState(DetectionState&&) noexcept = default;
DetectionState& DetectionState::operator=(DetectionState&&) noexcept = default;

void DetectionState::Reset() { *impl_ = Impl{}; }

size_t DetectionState::series() const { return impl_->keys.size(); }

TimeMs DetectionState::read_to() const {
  if (impl_->read_to.empty()) return 0;
  return *std::min_element(impl_->read_to.begin(), impl_->read_to.end());
}

namespace internal {

struct DetectionStateAccess {
  static DetectionState::Impl& Of(DetectionState* state) { return *state->impl_; }
};

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
        points.insert(points.end(), s.points.begin(), s.points.end());
        extended.insert(s.slice);
      }
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
        // Room for some more buckets, more or fewer by series: held series all grow by a
        // bucket a round, and with equal room they would all be copied to a larger buffer in
        // the same round (at 10⁵ series, a round four times as long as the others).
        const std::string key = SeriesKey(m.metric, slice, g);
        const size_t room = static_cast<size_t>((to - start) / g) + 1 +
                            std::hash<std::string>{}(key) % static_cast<size_t>(kDayMs / g + 1);
        t.series.points.reserve(room);
        t.assessments.reserve(room);
        t.judged.reserve(room);
        AppendEmpty(empty, start, from, g, &t.series.points);
        t.series.points.insert(t.series.points.end(), s->points.begin(), s->points.end());
        VIGIL_ASSIGN_OR_RETURN(t.zone_mix, mixes.Of(sel, slice));
        VIGIL_ASSIGN_OR_RETURN(t.judge, SeriesJudge::Create(c, m, slice, t.zone_mix, g, &st.zones));
        st.keys.insert(key);
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

}  // namespace internal
}  // namespace vigil
