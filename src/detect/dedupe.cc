// Keeping the most specific slice: the same regression seen in a slice and its ancestors becomes
// one anomaly.
#include "detect/series_job.h"

namespace vigil {

bool Overlap(const Anomaly& a, const Anomaly& b) {
  TimeMs a_end = a.end ? a.end : INT64_MAX, b_end = b.end ? b.end : INT64_MAX;
  return a.start < b_end && b.start < a_end;
}

namespace internal {

// On the descendant when it carries at least half of the ancestor's excess, else on the ancestor.
std::vector<Anomaly> KeepMostSpecific(std::vector<Anomaly> all) {
  auto excess = [](const Anomaly& a) {
    return std::abs(a.observed - a.baseline) *
           static_cast<double>(std::max<uint64_t>(a.support, 1));
  };
  std::vector<bool> drop(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      if (i == j || all[i].metric != all[j].metric || !Overlap(all[i], all[j])) continue;
      if (all[j].slice.size() > all[i].slice.size() &&
          IsAncestorOrSame(all[i].slice, all[j].slice) && excess(all[j]) >= 0.5 * excess(all[i])) {
        drop[i] = true;  // a descendant carries it
      }
    }
  }
  for (size_t j = 0; j < all.size(); ++j) {
    if (drop[j]) continue;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i == j || drop[i] || all[i].metric != all[j].metric || !Overlap(all[i], all[j])) continue;
      if (all[i].slice.size() < all[j].slice.size() &&
          IsAncestorOrSame(all[i].slice, all[j].slice)) {
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

}  // namespace internal
}  // namespace vigil
