// What the multivariate detector costs a service's round, on a config and its events (the speech
// example on a simulated fortnight: bench/joint_round.sh):
//   joint_round_bench CONFIG EVENTS [ROUNDS]
// Ingests the events, then carries detection round after round over the last ROUNDS quarter
// hours (each round closes one bucket of the multivariate granularity), once with the config's
// detectors plus `multivariate` and once without it, and prints each round's time, the median of
// both and their difference. Also times the multivariate step alone (every monitored slice's
// new bucket scored, with its forests already fitted, as in a service's round).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "detect/joint.h"
#include "detect/series_job.h"
#include "vigil/detect.h"
#include "vigil/ingest.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int Fail(const vigil::Status& s) {
  std::fprintf(stderr, "joint_round_bench: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil;
  if (argc < 3) {
    std::fprintf(stderr, "usage: joint_round_bench CONFIG EVENTS [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 12;
  auto loaded = Config::Load(argv[1]);
  if (!loaded.ok()) return Fail(loaded.status());
  Config with = *loaded, without = *loaded;
  std::erase(without.detect.detectors, std::string(kMultivariateDetector));
  if (!with.detect.multivariate()) with.detect.detectors.emplace_back(kMultivariateDetector);
  const int64_t step = with.detect.multivariate_granularity_ms;

  auto config = std::make_shared<const Config>(with);
  Cube cube(config);
  auto t0 = Clock::now();
  auto ingested = IngestFiles({argv[2]}, &cube);
  if (!ingested.ok()) return Fail(ingested.status());
  std::printf("ingested %llu events in %.1f s\n", static_cast<unsigned long long>(ingested->events),
              Seconds(t0));
  const TimeMs end = BucketStart(cube.last_bucket(), step);
  const TimeMs first_round = end - rounds * step;

  // The rounds, with and without the multivariate detector, each from its own state.
  std::vector<double> times[2];
  for (int pass = 0; pass < 2; ++pass) {
    auto pass_config = std::make_shared<const Config>(pass == 0 ? with : without);
    Cube view(pass_config);
    if (auto merged = view.Merge(cube); !merged.ok()) return Fail(merged);
    DetectionState state;
    state.set_horizon(2 * kDayMs);
    DetectOptions options;
    options.state = &state;
    options.to = first_round;
    if (auto r = Detect(view, options); !r.ok()) return Fail(r.status());
    for (TimeMs to = first_round + step; to <= end; to += step) {
      options.to = to;
      auto started = Clock::now();
      auto r = Detect(view, options);
      if (!r.ok()) return Fail(r.status());
      times[pass].push_back(Seconds(started));
    }
  }
  for (size_t i = 0; i < times[0].size(); ++i)
    std::printf("round %2zu: %.3f s with multivariate, %.3f s without\n", i + 1, times[0][i],
                times[1][i]);
  const double on = Median(times[0]), off = Median(times[1]);
  std::printf("median round: %.3f s with, %.3f s without: multivariate adds %.1f ms\n", on, off,
              1000 * (on - off));

  // The multivariate step alone: the jobs of the whole cube judged, the forests and scores of
  // every bucket but the last in the cache; then the last bucket scored, ROUNDS times.
  DetectOptions all;
  auto jobs = internal::BuildSeriesJobs(cube, all);
  if (!jobs.ok()) return Fail(jobs.status());
  internal::TimeZoneCache zones;
  for (internal::SeriesJob& job : *jobs) {
    if (auto s = internal::JudgeSeries(with, &job, &zones); !s.ok()) return Fail(s);
  }
  internal::JointCache warm;
  auto joint = internal::JudgeJointly(with, *jobs, &warm);
  if (!joint.ok()) return Fail(joint.status());
  size_t slices = joint->size(), features = 0;
  for (const internal::JointSeries& s : *joint) features += s.cols();
  std::vector<double> step_times;
  for (int i = 0; i < rounds; ++i) {
    internal::JointCache cache = warm;
    for (const internal::JointSeries& s : *joint)
      if (!s.times.empty()) cache.scores[s.key].erase(s.times.back());
    auto started = Clock::now();
    auto again = internal::JudgeJointly(with, *jobs, &cache);
    step_times.push_back(Seconds(started));
    if (!again.ok()) return Fail(again.status());
  }
  std::printf(
      "multivariate step: %zu slices, %zu features, one new bucket each: median %.1f ms "
      "(rows rebuilt from the held series, CUSUM replayed, one row per slice scored)\n",
      slices, features, 1000 * Median(step_times));
  return 0;
}
