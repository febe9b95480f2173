// Explain-away: one regression seen on two unrelated slices is kept where it lies. The cube
// answers exactly which anomaly explains which (take one slice's traffic out of the other).
#include <algorithm>
#include <cmath>

#include "vigil/explain.h"

namespace vigil {
namespace {

bool IsAncestorOrSame(const Slice& ancestor, const Slice& slice) {
  for (const auto& kv : ancestor) {
    if (std::find(slice.begin(), slice.end(), kv) == slice.end()) return false;
  }
  return true;
}

// Re-judges anomaly `a` on `slice` (a part of its slice): the series of that slice through the
// same detector, averaged over the anomaly's buckets. True, with `a` moved there, when the part
// shows an effect that matters.
bool Relocate(const Cube& cube, const MonitorSpec& monitor, const Slice& slice, Anomaly* a) {
  auto series = cube.Series(a->metric, slice, 0, 0, a->granularity_ms);
  if (!series.ok()) return false;
  SliceSeries part{slice, std::move(*series)};
  auto assessments = ReplayDetection(cube.config(), monitor, part, a->granularity_ms);
  if (!assessments.ok()) return false;
  double sum_e = 0, sum_o = 0;
  size_t n = 0;
  TimeMs end = a->end ? a->end : INT64_MAX;
  for (size_t i = 0; i < part.points.size(); ++i) {
    const SeriesPoint& p = part.points[i];
    if (p.time < a->detected || p.time >= end) continue;
    if (std::isnan(p.value) || std::isnan((*assessments)[i].expected)) continue;
    sum_e += (*assessments)[i].expected;
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

}  // namespace

// Anomalies on unrelated slices at the same time (failure_rate on platform=iOS and on
// app_build=2026.10.2; e2e_p95 on locale=en-US while tts_voice=voice-8 slows down) are often one
// regression seen twice. Take Y's traffic out of X; if X is then back near its baseline, X's
// regression lies in Y. When Y is the same metric, Y already carries it and X is dropped; when Y
// is another metric (good_turn_rate on watchOS explaining asr_final_p95 on asr-42), X moves to
// the intersection of both slices, re-judged there. Works for every metric type, quantiles
// included; counts are left alone (removing traffic always lowers them).
std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> all) {
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
      if (IsAncestorOrSame(ax.slice, all[y].slice) || IsAncestorOrSame(all[y].slice, ax.slice))
        continue;
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
        if (it == both.end())
          both.emplace_back(d, v);
        else if (it->second != v)
          consistent = false;
      }
      const MonitorSpec* monitor = nullptr;
      for (const MonitorSpec& m : c.monitors) {
        if (m.metric == ax.metric) monitor = &m;
      }
      if (consistent && monitor && Relocate(cube, *monitor, both, &ax)) {
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

}  // namespace vigil
