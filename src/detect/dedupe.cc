// Keeping the most specific slice: the same regression seen in a slice and its ancestors becomes
// one anomaly.
#include <map>
#include <utility>

#include "detect/series_job.h"

namespace vigil {

bool Overlap(const Anomaly& a, const Anomaly& b) {
  TimeMs a_end = a.end ? a.end : INT64_MAX, b_end = b.end ? b.end : INT64_MAX;
  return a.start < b_end && b.start < a_end;
}

namespace internal {

namespace {

// A slice as a set: its pairs sorted, each once.
Slice AsSet(Slice s) {
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

// Slices of more dimensions than this look their ancestors up by a scan (2^k subsets).
constexpr size_t kMostSubsets = 12;

// Every proper subset of `s` (a set), the empty slice included: a slice's ancestors.
std::vector<Slice> ProperSubsets(const Slice& s) {
  std::vector<Slice> out;
  const size_t n = s.size();
  for (uint64_t mask = 0; mask + 1 < (uint64_t{1} << n); ++mask) {
    Slice sub;
    for (size_t k = 0; k < n; ++k)
      if (mask & (uint64_t{1} << k)) sub.push_back(s[k]);
    out.push_back(std::move(sub));
  }
  return out;
}

// What regressions are compared by: the metric, or for the multivariate detector its slices'
// joint score (whatever metric leads each).
std::string ComparedBy(const Anomaly& a) {
  return a.detector == kMultivariateDetector ? std::string("\x01") + kMultivariateDetector
                                             : a.metric;
}

}  // namespace

// On the descendant when it carries at least half of the ancestor's excess, else on the ancestor.
// Anomalies are indexed by metric and slice, and each looks up its own ancestors (a slice of k
// dimensions has 2^k − 1), so the cost is the anomalies times their ancestors, not their square.
std::vector<Anomaly> KeepMostSpecific(std::vector<Anomaly> all) {
  auto excess = [](const Anomaly& a) {
    const double moved = a.detector == kMultivariateDetector
                             ? a.attributions.score - a.attributions.base
                             : a.observed - a.baseline;
    return std::abs(moved) * static_cast<double>(std::max<uint64_t>(a.support, 1));
  };
  std::vector<Slice> sets;
  std::vector<std::string> compared;
  std::map<std::pair<std::string, Slice>, std::vector<size_t>> by_slice;
  for (size_t i = 0; i < all.size(); ++i) {
    sets.push_back(AsSet(all[i].slice));
    compared.push_back(ComparedBy(all[i]));
    by_slice[{compared.back(), sets.back()}].push_back(i);
  }
  // The anomalies on a proper ancestor of all[j]'s slice, of the same metric, overlapping it.
  auto for_each_ancestor = [&](size_t j, auto&& visit) {
    if (sets[j].size() > kMostSubsets) {  // rare: test every other anomaly instead
      for (size_t i = 0; i < all.size(); ++i) {
        if (compared[i] == compared[j] && sets[i].size() < sets[j].size() &&
            IsAncestorOrSame(sets[i], sets[j]) && Overlap(all[i], all[j]) && visit(i)) {
          return;
        }
      }
      return;
    }
    for (Slice& sub : ProperSubsets(sets[j])) {
      auto it = by_slice.find({compared[j], std::move(sub)});
      if (it == by_slice.end()) continue;
      for (size_t i : it->second) {
        if (Overlap(all[i], all[j]) && visit(i)) return;
      }
    }
  };
  std::vector<bool> drop(all.size(), false);
  for (size_t j = 0; j < all.size(); ++j) {
    for_each_ancestor(j, [&](size_t i) {
      if (excess(all[j]) >= 0.5 * excess(all[i])) drop[i] = true;  // a descendant carries it
      return false;
    });
  }
  for (size_t j = 0; j < all.size(); ++j) {
    if (drop[j]) continue;
    for_each_ancestor(j, [&](size_t i) {
      if (drop[i]) return false;
      drop[j] = true;  // part of a broader regression that stays
      return true;
    });
  }
  std::vector<Anomaly> kept;
  for (size_t i = 0; i < all.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(all[i]));
  return kept;
}

}  // namespace internal
}  // namespace vigil
