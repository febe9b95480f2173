// Explain-away: one regression seen on two unrelated slices is kept where it lies. The cube
// answers exactly which anomaly explains which (take one slice's traffic out of the other).
#include "explain/explain_away.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace vigil {
namespace {

bool IsAncestorOrSame(const Slice& ancestor, const Slice& slice) {
  for (const auto& kv : ancestor) {
    if (std::find(slice.begin(), slice.end(), kv) == slice.end()) return false;
  }
  return true;
}

// A slice's series through the detector of a monitor, replayed once per explain-away pass: one
// slice is compared with many others, and a replay reads the slice's whole history.
class Replays {
 public:
  struct Replay {
    SliceSeries series;
    std::vector<Assessment> assessments;
  };
  explicit Replays(const Cube& cube) : cube_(cube) {}
  const Replay* Of(const MonitorSpec& monitor, const Anomaly& a, const Slice& slice) {
    auto key = std::make_tuple(&monitor, a.metric, slice, a.granularity_ms);
    auto it = done_.find(key);
    if (it == done_.end()) it = done_.emplace(key, Run(monitor, a, slice)).first;
    return it->second ? &*it->second : nullptr;
  }

 private:
  std::optional<Replay> Run(const MonitorSpec& monitor, const Anomaly& a, const Slice& slice) {
    auto series = cube_.Series(a.metric, slice, 0, 0, a.granularity_ms);
    if (!series.ok()) return std::nullopt;
    Replay r{{slice, std::move(*series)}, {}};
    auto assessments = ReplayDetection(cube_, monitor, r.series, a.granularity_ms);
    if (!assessments.ok()) return std::nullopt;
    r.assessments = std::move(*assessments);
    return r;
  }
  const Cube& cube_;
  std::map<std::tuple<const MonitorSpec*, std::string, Slice, int64_t>, std::optional<Replay>>
      done_;
};

// The mean observed and expected value of `slice` over anomaly `a`'s buckets: the series of that
// slice through the detector that judges `a`'s metric. False when no bucket has both.
bool WindowMeans(Replays* replays, const MonitorSpec& monitor, const Slice& slice, const Anomaly& a,
                 double* observed, double* expected) {
  const Replays::Replay* replay = replays->Of(monitor, a, slice);
  if (!replay) return false;
  const std::vector<SeriesPoint>& points = replay->series.points;
  double sum_e = 0, sum_o = 0;
  size_t n = 0;
  TimeMs end = a.end ? a.end : INT64_MAX;
  for (size_t i = 0; i < points.size(); ++i) {
    const SeriesPoint& p = points[i];
    if (p.time < a.detected || p.time >= end) continue;
    if (std::isnan(p.value) || std::isnan(replay->assessments[i].expected)) continue;
    sum_e += replay->assessments[i].expected;
    sum_o += p.value;
    ++n;
  }
  if (n == 0) return false;
  *observed = sum_o / static_cast<double>(n);
  *expected = sum_e / static_cast<double>(n);
  return true;
}

// Re-judges anomaly `a` on `slice` (a part of its slice). True, with `a` moved there, when the
// part shows an effect that matters.
bool Relocate(Replays* replays, const MonitorSpec& monitor, const Slice& slice, Anomaly* a) {
  double observed = 0, expected = 0;
  if (!WindowMeans(replays, monitor, slice, *a, &observed, &expected)) return false;
  if (!EffectMatters(monitor, observed, expected)) return false;
  a->slice = slice;
  a->baseline = expected;
  a->observed = observed;
  a->relative_change = expected != 0 ? (observed - expected) / std::abs(expected) : 0;
  return true;
}

// The slice under both `a` and `b`; false when they fix one dimension to two values (disjoint).
bool Intersect(const Slice& a, const Slice& b, Slice* both) {
  *both = a;
  for (const auto& [d, v] : b) {
    const std::string& dimension = d;  // clang 14 cannot capture a structured binding
    auto it = std::find_if(both->begin(), both->end(),
                           [&](const auto& kv) { return kv.first == dimension; });
    if (it == both->end())
      both->emplace_back(d, v);
    else if (it->second != v)
      return false;
  }
  return true;
}

const MonitorSpec* LastMonitorOf(const Config& c, const std::string& metric) {
  const MonitorSpec* monitor = nullptr;
  for (const MonitorSpec& m : c.monitors) {
    if (m.metric == metric) monitor = &m;
  }
  return monitor;
}

// The share of a deviation that remains: 0 when none does or it flipped sign.
double ShareLeft(double residual, double deviation) {
  if (deviation == 0 || residual * deviation <= 0) return 0;
  return std::abs(residual) / std::abs(deviation);
}

// A count is additive: X without Y is X minus (X and Y), observed and expected alike. A holiday in
// one locale lowers every platform that locale uses; each platform without the locale holds.
double CountLeftWithout(const Cube& cube, Replays* replays, const Anomaly& x, const Slice& both) {
  const MonitorSpec* monitor = MonitorFor(cube.config(), x.metric, x.slice);
  double observed = 0, expected = 0, observed_both = 0, expected_both = 0;
  if (!monitor || !WindowMeans(replays, *monitor, x.slice, x, &observed, &expected) ||
      !WindowMeans(replays, *monitor, both, x, &observed_both, &expected_both)) {
    return std::nan("");
  }
  return ShareLeft((observed - observed_both) - (expected - expected_both), observed - expected);
}

// What every comparison with anomaly X reads, found once per X: its cells over its window and
// over the same hours the day before, and X's own value over both. A pass compares X with many
// slices; each comparison then reads X's cells only, not every cell of the window.
struct XWindows {
  bool ready = false;
  bool ok = false;
  Cube::SliceCells now_cells, before_cells;
  uint64_t now_count = 0, before_count = 0;
  double now = std::nan(""), before = std::nan("");
};

// The value of `metric` over `cells` without Y; NaN when nothing is left. `disjoint`: Y shares
// no traffic with them, so nothing is taken out and the total is the one already known.
double ValueWithout(const Cube& cube, int metric, const Cube::SliceCells& cells, const Slice& y,
                    bool disjoint, uint64_t whole_count, double whole_value) {
  if (disjoint) return whole_count == 0 ? std::nan("") : whole_value;
  auto rest = cube.TotalExcluding(cells, y, metric);
  if (!rest.ok() || rest->count == 0) return std::nan("");
  return cube.MetricValue(metric, *rest);
}

const XWindows& WindowsOf(const Cube& cube, int metric, const Anomaly& x, XWindows* w) {
  if (w->ready) return *w;
  w->ready = true;
  TimeMs from = x.detected;
  TimeMs to = x.end ? x.end : std::max(cube.last_bucket() + cube.config().granularity_ms, from + 1);
  to = std::min(to, from + kDayMs);
  auto now = cube.CellsUnder(x.slice, from, to);
  auto before = cube.CellsUnder(x.slice, from - kDayMs, to - kDayMs);
  if (!now.ok() || !before.ok()) return *w;
  w->now_cells = std::move(*now);
  w->before_cells = std::move(*before);
  auto now_total = cube.TotalExcluding(w->now_cells, {}, metric);
  auto before_total = cube.TotalExcluding(w->before_cells, {}, metric);
  if (!now_total.ok() || !before_total.ok()) return *w;
  w->ok = true;
  w->now_count = now_total->count;
  w->before_count = before_total->count;
  if (w->now_count > 0) w->now = cube.MetricValue(metric, *now_total);
  if (w->before_count > 0) w->before = cube.MetricValue(metric, *before_total);
  return *w;
}

// A rate or quantile of X without Y, against what X without Y usually is: X's baseline moved by
// how far X without Y stood from X at the same hours the day before (Y may fail more, or be
// slower, than the rest of X every day).
double RatioLeftWithout(const Cube& cube, int metric, const Anomaly& x, const Slice& y,
                        XWindows* windows, bool read_cells_once) {
  if (!read_cells_once) *windows = XWindows{};  // every comparison reads its window again
  const XWindows& w = WindowsOf(cube, metric, x, windows);
  if (!w.ok) return std::nan("");
  Slice both;
  const bool disjoint = read_cells_once && !Intersect(x.slice, y, &both);
  double without = ValueWithout(cube, metric, w.now_cells, y, disjoint, w.now_count, w.now);
  if (std::isnan(without)) return std::nan("");
  // X's own value over the same buckets: the deviation to account for (the anomaly's observed
  // value averages only its buckets beyond the band, and would overstate it).
  if (w.now_count == 0) return std::nan("");
  double deviation = w.now - x.baseline;
  double baseline = x.baseline;
  double before = ValueWithout(cube, metric, w.before_cells, y, disjoint, w.before_count, w.before);
  if (!std::isnan(before) && w.before_count > 0 && !std::isnan(w.before))
    baseline += before - w.before;
  return ShareLeft(without - baseline, deviation);
}

// What remains of X's deviation once Y's traffic is taken out of X; NaN when it cannot be told.
double LeftWithout(const Cube& cube, Replays* replays, const Anomaly& x, const Anomaly& y,
                   XWindows* x_windows, bool read_cells_once) {
  const Config& c = cube.config();
  int metric = c.FindMetric(x.metric);
  if (metric < 0) return std::nan("");
  if (c.metrics[metric].type == MetricType::kCount) {
    Slice both;
    if (y.metric != x.metric || !Intersect(x.slice, y.slice, &both)) return std::nan("");
    return CountLeftWithout(cube, replays, x, both);
  }
  return RatioLeftWithout(cube, metric, x, y.slice, x_windows, read_cells_once);
}

// Explained: less than a third of the deviation remains.
constexpr double kExplained = 1.0 / 3;

}  // namespace

// Anomalies on unrelated slices at the same time (failure_rate on platform=iOS and on
// app_build=2026.10.2; e2e_p95 on locale=en-US while tts_voice=voice-8 slows down) are often one
// regression seen twice. Take Y's traffic out of X; if X is then back near its baseline, X's
// regression lies in Y. When Y is the same metric, Y already carries it and X is dropped; when Y
// is another metric (good_turn_rate on watchOS explaining asr_final_p95 on asr-42), X moves to
// the intersection of both slices, re-judged there. Works for every metric type, quantiles
// included; a count is taken apart by subtraction (X without Y is X minus X-and-Y), and only
// another count of the same metric explains it.
std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> all) {
  return internal::ExplainAway(cube, std::move(all), /*read_cells_once=*/true);
}

namespace internal {

std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> all, bool read_cells_once) {
  const Config& c = cube.config();
  std::vector<bool> drop(all.size(), false);
  std::vector<bool> moved(all.size(), false);  // a moved anomaly neither moves again nor explains
  Replays replays(cube);
  std::vector<XWindows> windows(all.size());
  for (size_t x = 0; x < all.size(); ++x) {
    Anomaly& ax = all[x];
    int metric = c.FindMetric(ax.metric);
    if (metric < 0 || ax.slice.empty() || c.metrics[metric].type == MetricType::kDistinct) continue;
    if (ax.observed == ax.baseline) continue;
    for (size_t y = 0; y < all.size(); ++y) {
      if (x == y || drop[y] || moved[y] || !Overlap(ax, all[y]) || all[y].slice.empty()) continue;
      if (IsAncestorOrSame(ax.slice, all[y].slice) || IsAncestorOrSame(all[y].slice, ax.slice))
        continue;
      double left = LeftWithout(cube, &replays, ax, all[y], &windows[x], read_cells_once);
      if (!(left < kExplained)) continue;
      if (all[y].metric == ax.metric) {
        // Each may explain the other (most of a platform's traffic at night is one region's):
        // the one that explains the other better carries the regression.
        double back = LeftWithout(cube, &replays, all[y], ax, &windows[y], read_cells_once);
        if (back < left) continue;
        drop[x] = true;
        break;
      }
      if (c.metrics[metric].type == MetricType::kCount) continue;
      Slice both;
      bool consistent = Intersect(ax.slice, all[y].slice, &both);
      const MonitorSpec* monitor = LastMonitorOf(c, ax.metric);
      if (consistent && monitor && Relocate(&replays, *monitor, both, &ax)) {
        moved[x] = true;
        break;
      }
    }
  }
  std::vector<Anomaly> kept;
  for (size_t i = 0; i < all.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(all[i]));
  // Relocation can bring two anomalies onto one slice: keep the earliest of each (those kept,
  // by metric and slice, so that each is compared with its own slice's only).
  std::vector<Anomaly> unique;
  std::map<std::pair<std::string, Slice>, std::vector<size_t>> on_slice;
  for (Anomaly& a : kept) {
    Slice key = a.slice;
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
    std::vector<size_t>& same = on_slice[{a.metric, std::move(key)}];
    bool dup =
        std::any_of(same.begin(), same.end(), [&](size_t u) { return Overlap(unique[u], a); });
    if (dup) continue;
    same.push_back(unique.size());
    unique.push_back(std::move(a));
  }
  return unique;
}

}  // namespace internal

}  // namespace vigil
