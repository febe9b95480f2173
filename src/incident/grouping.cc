#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "vigil/incident.h"

namespace vigil {
namespace {

bool Contains(const Slice& big, const Slice& small) {
  for (const auto& kv : small)
    if (std::find(big.begin(), big.end(), kv) == big.end()) return false;
  return true;
}

// One regression: onsets within an hour of each other (a long or still-open anomaly must not
// pull in everything that happens later) and slices in one lineage.
// On one slice, an anomaly that starts within 3 hours of the end of another is the same problem
// coming back (one incident, not a new page).
bool Related(const Anomaly& a, const Anomaly& b) {
  // Siblings of one metric moving at once (volume up on four platforms at 15:00) are one shift.
  if (a.metric == b.metric && a.slice.size() == b.slice.size() && !a.slice.empty() &&
      std::abs(a.start - b.start) <= kHourMs) {
    bool same_dimensions = true;
    for (size_t i = 0; i < a.slice.size(); ++i) {
      same_dimensions = same_dimensions && std::any_of(b.slice.begin(), b.slice.end(), [&](const auto& kv) {
        return kv.first == a.slice[i].first;
      });
    }
    if (same_dimensions) return true;
  }
  if (!Contains(a.slice, b.slice) && !Contains(b.slice, a.slice)) return false;
  if (std::abs(a.start - b.start) <= kHourMs) return true;
  // Within one specific slice's lineage (not all traffic), overlapping in time is one problem:
  // a drift on voice-8 shows up hours later on voice-8 turns of one model.
  if (!a.slice.empty() && !b.slice.empty()) {
    TimeMs a_end = a.end ? a.end : INT64_MAX / 2, b_end = b.end ? b.end : INT64_MAX / 2;
    if (a.start < b_end && b.start < a_end) return true;
  }
  if (a.slice.size() != b.slice.size()) return false;
  const Anomaly& first = a.start <= b.start ? a : b;
  const Anomaly& later = a.start <= b.start ? b : a;
  return first.end == 0 || later.start <= first.end + 3 * kHourMs;
}

size_t Find(std::vector<size_t>& parent, size_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// Larger, surer, and more specific anomalies lead their incident.
double Weight(const Anomaly& a) {
  return std::abs(a.relative_change) * a.confidence * (1 + 0.1 * static_cast<double>(a.slice.size()));
}

}  // namespace

std::string IncidentIdFor(const Anomaly& a) {
  std::string key = a.metric + "|" + FormatSlice(a.slice) + "|" + std::to_string(a.start);
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: stable across builds and machines
  for (unsigned char ch : key) h = (h ^ ch) * 0x100000001b3ULL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "inc-%012llx", static_cast<unsigned long long>(h & 0xffffffffffffULL));
  return buf;
}

std::vector<const Anomaly*> Incident::members() const {
  std::vector<const Anomaly*> out = {&primary};
  for (const Anomaly& a : related) out.push_back(&a);
  return out;
}

std::vector<Incident> GroupIncidents(const std::vector<Anomaly>& anomalies) {
  std::vector<size_t> parent(anomalies.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (size_t i = 0; i < anomalies.size(); ++i) {
    for (size_t j = i + 1; j < anomalies.size(); ++j) {
      if (Related(anomalies[i], anomalies[j])) parent[Find(parent, i)] = Find(parent, j);
    }
  }
  std::vector<std::vector<size_t>> groups(anomalies.size());
  for (size_t i = 0; i < anomalies.size(); ++i) groups[Find(parent, i)].push_back(i);
  std::vector<Incident> out;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    size_t lead = g[0];
    for (size_t i : g) {
      if (Weight(anomalies[i]) > Weight(anomalies[lead])) lead = i;
    }
    Incident inc;
    inc.primary = anomalies[lead];
    inc.start = anomalies[g[0]].start;
    bool open = false;
    for (size_t i : g) {
      const Anomaly& a = anomalies[i];
      inc.start = std::min(inc.start, a.start);
      if (a.end == 0) open = true;
      inc.end = std::max(inc.end, a.end);
      if (i != lead) inc.related.push_back(a);
    }
    if (open) inc.end = 0;
    std::sort(inc.related.begin(), inc.related.end(),
              [](const Anomaly& a, const Anomaly& b) { return a.start < b.start; });
    inc.id = IncidentIdFor(inc.primary);
    out.push_back(std::move(inc));
  }
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  return out;
}

}  // namespace vigil
