// False-discovery control from each round's count and its small p-values, against sorting every
// test of every round.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "detect/series_job.h"

namespace vigil {
namespace {

// Benjamini–Hochberg over every test of each round, sorted in full.
void SortEveryRound(std::vector<internal::SeriesJob>* jobs, double q) {
  std::map<std::pair<int64_t, TimeMs>, std::vector<std::pair<double, std::pair<size_t, size_t>>>>
      rounds;
  for (size_t j = 0; j < jobs->size(); ++j) {
    const internal::SeriesJob& job = (*jobs)[j];
    for (size_t i = 0; i < job.p.size(); ++i) {
      if (job.p[i] < 1.0 || job.assessments[i].warm)
        rounds[{job.granularity_ms, job.series.points[i].time}].push_back({job.p[i], {j, i}});
    }
  }
  for (auto& [key, tests] : rounds) {
    std::sort(tests.begin(), tests.end());
    size_t passed = 0;
    for (size_t k = 0; k < tests.size(); ++k) {
      if (tests[k].first <= q * static_cast<double>(k + 1) / static_cast<double>(tests.size()))
        passed = k + 1;
    }
    for (size_t k = 0; k < passed; ++k)
      (*jobs)[tests[k].second.first].significant[tests[k].second.second] = true;
  }
}

TEST(FdrTest, CountsAndSmallPValuesDecideAsSortingEveryTest) {
  std::mt19937 rng(41);
  std::uniform_real_distribution<double> uniform(0, 1);
  size_t significant = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<internal::SeriesJob> jobs;
    const int n = 1 + static_cast<int>(rng() % 80);
    for (int j = 0; j < n; ++j) {
      internal::SeriesJob job;
      job.granularity_ms = rng() % 4 == 0 ? kHourMs : 5 * kMinuteMs;
      // Series of different spans, some starting late, some off the hour grid.
      TimeMs start = static_cast<TimeMs>(rng() % 20) * job.granularity_ms;
      if (rng() % 10 == 0) start += kMinuteMs;
      const int points = static_cast<int>(rng() % 60);
      for (int i = 0; i < points; ++i) {
        SeriesPoint p;
        p.time = start + i * job.granularity_ms;
        job.series.points.push_back(p);
        Assessment a;
        a.warm = rng() % 5 != 0;
        job.assessments.push_back(a);
        // Mostly ordinary points, some small p-values, ties among them, some not judged.
        double pv = uniform(rng);
        if (rng() % 8 == 0) pv = uniform(rng) * 1e-3;
        if (rng() % 20 == 0) pv = 1e-4;
        if (!a.warm && rng() % 2 == 0) pv = 1;
        job.p.push_back(pv);
      }
      job.significant.assign(job.p.size(), false);
      jobs.push_back(std::move(job));
    }
    auto reference = jobs;
    const double q = trial % 2 == 0 ? 0.01 : 0.1;
    internal::ControlFalseDiscoveries(&jobs, q);
    SortEveryRound(&reference, q);
    for (size_t j = 0; j < jobs.size(); ++j) {
      EXPECT_EQ(jobs[j].significant, reference[j].significant) << "trial " << trial << " job " << j;
      significant += std::count(jobs[j].significant.begin(), jobs[j].significant.end(), true);
    }
  }
  EXPECT_GT(significant, 100u);
}

}  // namespace
}  // namespace vigil
