// False-discovery control: Benjamini–Hochberg per evaluation round (bucket time and
// granularity) across all series, so alert volume does not grow with the number of slices.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "detect/series_job.h"

namespace vigil::internal {

namespace {

// The judged points of every round, counted: one counter per bucket of each granularity's time
// range (the rounds are the buckets of a grid, so a counter is an index, not a lookup).
class RoundCounts {
 public:
  explicit RoundCounts(const std::vector<SeriesJob>& jobs) {
    for (const SeriesJob& job : jobs) {
      if (job.series.points.empty()) continue;
      auto [it, added] = grids_.try_emplace(job.granularity_ms);
      Grid& grid = it->second;
      grid.first = added ? job.series.points.front().time
                         : std::min(grid.first, job.series.points.front().time);
      grid.last = added ? job.series.points.back().time
                        : std::max(grid.last, job.series.points.back().time);
    }
    for (auto& [g, grid] : grids_) grid.count.assign((grid.last - grid.first) / g + 1, 0);
  }
  size_t* Of(const SeriesJob& job, TimeMs time) {
    Grid& grid = grids_.at(job.granularity_ms);
    if ((time - grid.first) % job.granularity_ms != 0)  // off the grid: counted on its own
      return &off_grid_[{job.granularity_ms, time}];
    return &grid.count[(time - grid.first) / job.granularity_ms];
  }

 private:
  struct Grid {
    TimeMs first = 0, last = 0;
    std::vector<size_t> count;
  };
  std::map<int64_t, Grid> grids_;
  std::map<std::pair<int64_t, TimeMs>, size_t> off_grid_;
};

}  // namespace

// Only a p-value of at most q can pass (every threshold q·k/m is at most q), and the p-values
// above q rank after all of those: so each round needs its count of tests m and its p-values of
// at most q, not all of them. The same decisions as sorting every round's tests, at a small part
// of the memory (a round of 10⁵ series holds a few hundred candidates, not 10⁵ entries).
void ControlFalseDiscoveries(std::vector<SeriesJob>* jobs, double q) {
  RoundCounts counts(*jobs);
  struct Candidate {
    double p;
    size_t job, point;
    size_t* m;  // the tests of its round
  };
  std::vector<Candidate> candidates;
  for (size_t j = 0; j < jobs->size(); ++j) {
    const SeriesJob& job = (*jobs)[j];
    for (size_t i = 0; i < job.p.size(); ++i) {
      // Every judged point counts towards m, significant or not.
      if (job.p[i] < 1.0 || job.assessments[i].warm) {
        size_t* m = counts.Of(job, job.series.points[i].time);
        ++*m;
        if (job.p[i] <= q) candidates.push_back({job.p[i], j, i, m});
      }
    }
  }
  // By round, then by p-value and position as the whole round's tests would sort.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.m != b.m) return a.m < b.m;
    if (a.p != b.p) return a.p < b.p;
    return std::make_pair(a.job, a.point) < std::make_pair(b.job, b.point);
  });
  for (size_t begin = 0; begin < candidates.size();) {
    size_t end = begin;
    while (end < candidates.size() && candidates[end].m == candidates[begin].m) ++end;
    const auto m = static_cast<double>(*candidates[begin].m);
    size_t passed = 0;
    for (size_t k = begin; k < end; ++k) {
      if (candidates[k].p <= q * static_cast<double>(k - begin + 1) / m) passed = k - begin + 1;
    }
    for (size_t k = begin; k < begin + passed; ++k)
      (*jobs)[candidates[k].job].significant[candidates[k].point] = true;
    begin = end;
  }
}

}  // namespace vigil::internal
