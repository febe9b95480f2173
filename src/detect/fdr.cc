// False-discovery control: Benjamini–Hochberg per evaluation round (bucket time and
// granularity) across all series, so alert volume does not grow with the number of slices.
#include "detect/series_job.h"

namespace vigil::internal {

void ControlFalseDiscoveries(std::vector<SeriesJob>* jobs, double q) {
  std::map<std::pair<int64_t, TimeMs>, std::vector<std::pair<double, std::pair<size_t, size_t>>>>
      rounds;
  for (size_t j = 0; j < jobs->size(); ++j) {
    const SeriesJob& job = (*jobs)[j];
    for (size_t i = 0; i < job.p.size(); ++i) {
      // Every judged point counts towards m, significant or not.
      if (job.p[i] < 1.0 || job.assessments[i].warm) {
        rounds[{job.granularity_ms, job.series.points[i].time}].push_back({job.p[i], {j, i}});
      }
    }
  }
  for (auto& [key, tests] : rounds) {
    std::sort(tests.begin(), tests.end());
    size_t m = tests.size();
    size_t passed = 0;
    for (size_t k = 0; k < m; ++k) {
      if (tests[k].first <= q * static_cast<double>(k + 1) / static_cast<double>(m)) passed = k + 1;
    }
    for (size_t k = 0; k < passed; ++k) {
      (*jobs)[tests[k].second.first].significant[tests[k].second.second] = true;
    }
  }
}

}  // namespace vigil::internal
