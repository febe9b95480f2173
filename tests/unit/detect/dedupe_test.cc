// Keeping the most specific slice, indexed by metric and slice, against the comparison of every
// pair it replaced.
#include <gtest/gtest.h>

#include <random>

#include "detect/series_job.h"

namespace vigil {
namespace {

// Every pair compared: the definition the indexed version must keep.
std::vector<Anomaly> KeepMostSpecificByPairs(std::vector<Anomaly> all) {
  auto excess = [](const Anomaly& a) {
    return std::abs(a.observed - a.baseline) *
           static_cast<double>(std::max<uint64_t>(a.support, 1));
  };
  auto related = [&](size_t i, size_t j) {  // i's slice a proper ancestor of j's
    return i != j && all[i].metric == all[j].metric && Overlap(all[i], all[j]) &&
           all[i].slice.size() < all[j].slice.size() &&
           internal::IsAncestorOrSame(all[i].slice, all[j].slice);
  };
  std::vector<bool> drop(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      if (related(i, j) && excess(all[j]) >= 0.5 * excess(all[i])) drop[i] = true;
    }
  }
  for (size_t j = 0; j < all.size(); ++j) {
    if (drop[j]) continue;
    for (size_t i = 0; i < all.size(); ++i) {
      if (related(i, j) && !drop[i]) {
        drop[j] = true;
        break;
      }
    }
  }
  std::vector<Anomaly> kept;
  for (size_t i = 0; i < all.size(); ++i)
    if (!drop[i]) kept.push_back(all[i]);
  return kept;
}

TEST(DedupeTest, IndexedByAncestorsKeepsWhatComparingEveryPairKeeps) {
  std::mt19937 rng(29);
  const std::vector<std::string> dims = {"platform", "os", "locale", "model"};
  size_t dropped = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<Anomaly> all;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      Anomaly a;
      a.metric = rng() % 3 == 0 ? "fail_rate" : "e2e_p95";
      for (const std::string& d : dims) {
        if (rng() % 3 == 0) a.slice.emplace_back(d, "v" + std::to_string(rng() % 2));
      }
      std::shuffle(a.slice.begin(), a.slice.end(), rng);  // the order a slice lists its pairs
      a.start = static_cast<TimeMs>(rng() % 10) * kHourMs;
      a.end = rng() % 4 == 0 ? 0 : a.start + static_cast<TimeMs>(1 + rng() % 5) * kHourMs;
      a.baseline = 1;
      a.observed = 1 + 0.1 * static_cast<double>(1 + rng() % 10);
      a.support = 1 + rng() % 1000;
      all.push_back(a);
    }
    auto indexed = internal::KeepMostSpecific(all);
    auto pairs = KeepMostSpecificByPairs(all);
    ASSERT_EQ(indexed.size(), pairs.size()) << "trial " << trial;
    for (size_t i = 0; i < pairs.size(); ++i) {
      EXPECT_EQ(indexed[i].metric, pairs[i].metric);
      EXPECT_EQ(indexed[i].slice, pairs[i].slice);
      EXPECT_EQ(indexed[i].start, pairs[i].start);
      EXPECT_EQ(indexed[i].support, pairs[i].support);
    }
    dropped += all.size() - pairs.size();
  }
  EXPECT_GT(dropped, 300u);  // ancestors and descendants met often enough to test something
}

}  // namespace
}  // namespace vigil
