// Grouping: anomalies into incidents (GroupIncidents), and incidents that look like one cause
// linked to each other (LinkRelatedIncidents).
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
      same_dimensions = same_dimensions &&
                        std::any_of(b.slice.begin(), b.slice.end(),
                                    [&](const auto& kv) { return kv.first == a.slice[i].first; });
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

// Larger, surer, and more specific anomalies lead their incident.
double Weight(const Anomaly& a) {
  return std::abs(a.relative_change) * a.confidence *
         (1 + 0.1 * static_cast<double>(a.slice.size()));
}

bool InLineage(const Slice& a, const Slice& b) { return Contains(a, b) || Contains(b, a); }

// How long after an anomaly ends the same metric on the same slice lineage coming back is the
// same regression (one incident re-opened, not a new page). Not fitted: a regression that
// fades below the effect that matters overnight, when traffic is light, comes back in the
// morning within this span.
constexpr int64_t kRecurrenceMs = 6 * kHourMs;

// The same regression seen again: one metric, slices in one lineage (all traffic only with all
// traffic, so that it does not weld unrelated slices), the later starting before the earlier
// has been over for kRecurrenceMs.
bool Recurs(const Anomaly& a, const Anomaly& b) {
  if (a.metric != b.metric) return false;
  if (a.slice.empty() != b.slice.empty()) return false;
  if (!InLineage(a.slice, b.slice)) return false;
  const Anomaly& first = a.start <= b.start ? a : b;
  const Anomaly& later = a.start <= b.start ? b : a;
  return first.end == 0 || later.start <= first.end + kRecurrenceMs;
}

// Groups that hold the same regression at different times become one (transitively: a week
// of a regression that dips every night is one chain of recurrences).
void MergeRecurrences(const std::vector<Anomaly>& anomalies,
                      std::vector<std::vector<size_t>>* groups) {
  std::vector<size_t> parent(groups->size());
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](size_t g) {
    while (parent[g] != g) g = parent[g] = parent[parent[g]];
    return g;
  };
  for (size_t g = 0; g < groups->size(); ++g) {
    for (size_t h = g + 1; h < groups->size(); ++h) {
      if (root(g) == root(h)) continue;
      bool recurs = false;
      for (size_t i : (*groups)[g]) {
        for (size_t j : (*groups)[h]) recurs = recurs || Recurs(anomalies[i], anomalies[j]);
      }
      if (recurs) parent[root(h)] = root(g);
    }
  }
  std::vector<std::vector<size_t>> merged(groups->size());
  for (size_t g = 0; g < groups->size(); ++g) {
    auto& into = merged[root(g)];
    into.insert(into.end(), (*groups)[g].begin(), (*groups)[g].end());
  }
  groups->clear();
  for (auto& g : merged)
    if (!g.empty()) groups->push_back(std::move(g));
}

}  // namespace

std::string IncidentIdFor(const Anomaly& a) {
  std::string key = a.metric + "|" + FormatSlice(a.slice) + "|" + std::to_string(a.start);
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: stable across builds and machines
  for (unsigned char ch : key) h = (h ^ ch) * 0x100000001b3ULL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "inc-%012llx",
                static_cast<unsigned long long>(h & 0xffffffffffffULL));
  return buf;
}

std::vector<const Anomaly*> Incident::members() const {
  std::vector<const Anomaly*> out = {&primary};
  for (const Anomaly& a : related) out.push_back(&a);
  return out;
}

const Attributions* AttributionsOf(const Incident& incident) {
  // A multivariate anomaly's attributions are why it was found: they come first.
  for (const Anomaly* a : incident.members()) {
    if (a->detector == "multivariate" && !a->attributions.features.empty()) return &a->attributions;
  }
  for (const Anomaly* a : incident.members()) {
    if (!a->attributions.features.empty()) return &a->attributions;
  }
  return nullptr;
}

std::vector<Incident> GroupIncidents(const std::vector<Anomaly>& anomalies) {
  // Greedy, not transitive: the broadest slices (then the largest anomalies) found incidents and
  // each other anomaly joins the first incident whose founder it relates to. A chain of loosely
  // related anomalies (a drift on one voice, a build's failure spike a day later, bridged by an
  // anomaly on their intersection) cannot weld two regressions together.
  std::vector<size_t> order(anomalies.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (anomalies[a].slice.size() != anomalies[b].slice.size()) {
      return anomalies[a].slice.size() < anomalies[b].slice.size();
    }
    double wa = Weight(anomalies[a]), wb = Weight(anomalies[b]);
    if (wa != wb) return wa > wb;
    return anomalies[a].start < anomalies[b].start;
  });
  std::vector<size_t> founders;             // per group: the founding anomaly
  std::vector<std::vector<size_t>> groups;  // per group: every member
  for (size_t i : order) {
    size_t home = groups.size();
    for (size_t g = 0; g < groups.size(); ++g) {
      if (Related(anomalies[founders[g]], anomalies[i])) {
        home = g;
        break;
      }
    }
    if (home == groups.size()) {
      founders.push_back(i);
      groups.emplace_back();
    }
    groups[home].push_back(i);
  }
  MergeRecurrences(anomalies, &groups);
  std::vector<Incident> out;
  for (const auto& g : groups) {
    // The incident is led by its largest, surest, most specific anomaly.
    // The incident is led by its broadest slice (its founder) unless a narrower member moved
    // far more: the broad slice is what the root-cause search then narrows down.
    size_t lead = g[0];
    for (size_t i : g) {
      if (Weight(anomalies[i]) > 2 * Weight(anomalies[g[0]]) &&
          Weight(anomalies[i]) > Weight(anomalies[lead]))
        lead = i;
    }
    Incident inc;
    inc.primary = anomalies[lead];
    inc.start = anomalies[lead].start;
    bool open = false;
    for (size_t i : g) {
      const Anomaly& a = anomalies[i];
      inc.start = std::min(inc.start, a.start);
      inc.end = std::max(inc.end, a.end);
      open = open || a.end == 0;
      if (i != lead) inc.related.push_back(a);
    }
    if (open) inc.end = 0;
    std::sort(inc.related.begin(), inc.related.end(),
              [](const Anomaly& a, const Anomaly& b) { return a.start < b.start; });
    inc.id = IncidentIdFor(inc.primary);
    // Rated from the primary alone until ExplainIncidents knows the slice's share of traffic.
    inc.severity = SeverityOf(inc.primary, 1.0);
    out.push_back(std::move(inc));
  }
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  return out;
}

// Incidents of one time that look like one cause seen from two sides: their slices (or top
// root causes) lie in one lineage, or one value appeared just before both onsets. All traffic is in
// every lineage, so it relates only to incidents that began within the hour.
void LinkRelatedIncidents(std::vector<Incident>* incidents) {
  auto& all = *incidents;
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) {
      const Incident& a = all[i];
      const Incident& b = all[j];
      TimeMs a_end = a.end ? a.end : INT64_MAX / 2, b_end = b.end ? b.end : INT64_MAX / 2;
      if (!(a.start < b_end + kHourMs && b.start < a_end + kHourMs)) continue;
      bool near_onsets = std::abs(a.start - b.start) <= kHourMs;
      bool lineage = InLineage(a.primary.slice, b.primary.slice) &&
                     (near_onsets || (!a.primary.slice.empty() && !b.primary.slice.empty()));
      if (!lineage && !a.evidence.root_causes.empty() && !b.evidence.root_causes.empty()) {
        Slice ra(a.evidence.root_causes[0].slice.begin(), a.evidence.root_causes[0].slice.end());
        Slice rb(b.evidence.root_causes[0].slice.begin(), b.evidence.root_causes[0].slice.end());
        lineage = !ra.empty() && !rb.empty() && InLineage(ra, rb);
      }
      bool same_change = false;
      for (const ChangedValue& x : a.evidence.what_changed) {
        for (const ChangedValue& y : b.evidence.what_changed) {
          // A value new at both onsets: first seen within six hours before them.
          same_change = same_change ||
                        (near_onsets && x.dimension == y.dimension && x.value == y.value &&
                         x.first_seen && x.first_seen >= std::min(a.start, b.start) - 6 * kHourMs);
        }
      }
      if (!lineage && !same_change) continue;
      all[i].related_incidents.push_back(b.id);
      all[j].related_incidents.push_back(a.id);
    }
  }
}

std::vector<Incident> IncidentsStartingIn(std::vector<Incident> incidents, TimeMs from, TimeMs to) {
  std::erase_if(incidents, [&](const Incident& inc) {
    return (from && inc.start < from) || (to && inc.start >= to);
  });
  return incidents;
}

}  // namespace vigil
