// The multivariate detector. Each monitored slice's metrics become one row per bucket of the
// multivariate granularity: every metric's standardized residual against the baseline its own
// ensemble learned (so daily peaks are not outliers), counted the way its monitor watches and
// clipped at 0 (a slice that got better is not a regression). An isolation forest per slice and
// UTC day, fitted on the week before, scores the day's rows causally; the score's p-value comes
// from the forest's own training rows (their ranks, and an exponential tail fitted to the top
// tenth beyond them, so a score past every training row still gets a p-value that FDR can use),
// and a CUSUM over the p-values' z-scores accumulates a modest joint shift that no single bucket
// shows, as the univariate CUSUM does. Rows then go through the same false-discovery control as
// every series. Written here rather than taken from a library: the forest and its exact Shapley
// attributions are the product (src/learn).
#include "detect/joint.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "common/hash.h"
#include "common/normal.h"
#include "detect/stats.h"

namespace vigil::internal {
namespace {

constexpr int64_t kTrainingDays = 7;
constexpr size_t kMinTrainingRows = 64;
constexpr double kMaxResidual = 10;
// The CUSUM's reference, in z units: a joint shift is made of parts too small to see alone, so it
// looks for a quarter sigma (the univariate CUSUM, half). Its tail uses each forest's own spread.
constexpr double kReference = 0.25;

int64_t DayOf(TimeMs t) { return t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs; }

// A metric's residual from its assessment: the deviation over the half-width of the ~99 % band
// (2.576 sigma), so it is in standard errors whichever member set the band.
double Residual(const MonitorSpec& m, double value, const Assessment& a) {
  const double sigma = (a.upper - a.lower) / (2 * 2.5758);
  if (!(sigma > 0) || std::isnan(value) || std::isnan(a.expected)) return std::nan("");
  return MonitoredDeviation(m, value, a.expected) / sigma;
}

bool Usable(const JointSeries& s, size_t row) {
  for (size_t j = 0; j < s.cols(); ++j)
    if (!std::isnan(s.residual[row * s.cols() + j])) return true;
  return false;
}

// The rows of one slice from its metrics' jobs: a row is complete when every metric's series
// reaches its end, so the last, still-filling bucket of a round waits for the next.
JointSeries BuildRows(const std::string& key, const Slice& slice, int64_t G,
                      std::vector<const SeriesJob*> members) {
  std::sort(members.begin(), members.end(), [](const SeriesJob* a, const SeriesJob* b) {
    return a->monitor->metric < b->monitor->metric;
  });
  JointSeries s;
  s.key = key;
  s.slice = slice;
  s.granularity_ms = G;
  TimeMs first = INT64_MAX, end = INT64_MAX;
  for (const SeriesJob* job : members) {
    s.metrics.push_back(job->monitor->metric);
    s.monitors.push_back(job->monitor);
    const auto& pts = job->series.points;
    if (pts.empty()) {
      end = 0;
      continue;
    }
    first = std::min(first, pts.front().time);
    end = std::min(end, pts.back().time + job->granularity_ms);
  }
  if (first == INT64_MAX || end == 0) return s;
  first = BucketStart(first, G);
  const size_t d = members.size();
  for (TimeMs t = first; t + G <= end; t += G) {
    s.times.push_back(t);
    for (size_t j = 0; j < d; ++j) {
      const SeriesJob& job = *members[j];
      const auto& pts = job.series.points;
      const int64_t g = job.granularity_ms;
      double sum_z = 0, sum_v = 0, sum_e = 0;
      uint64_t support = 0;
      int n = 0;
      if (!pts.empty() && t + G > pts.front().time) {
        // The metric's buckets within [t, t + G): its points lie on its grid from the first.
        TimeMs from = std::max(t, pts.front().time);
        for (TimeMs u = from; u < t + G; u += g) {
          auto i = static_cast<size_t>((u - pts.front().time) / g);
          if (i >= pts.size() || pts[i].time != u) continue;
          if (i >= job.judged.size() || !job.judged[i]) continue;
          double z = Residual(*job.monitor, pts[i].value, job.assessments[i]);
          if (std::isnan(z)) continue;
          sum_z += z;
          sum_v += pts[i].value;
          sum_e += job.assessments[i].expected;
          support += pts[i].support;
          ++n;
        }
      }
      bool any = n > 0;
      s.residual.push_back(any ? sum_z / std::sqrt(n) : std::nan(""));
      s.value.push_back(any ? sum_v / n : std::nan(""));
      s.expected.push_back(any ? sum_e / n : std::nan(""));
      if (j == 0) s.support.push_back(0);
      s.support.back() = std::max(s.support.back(), support);
    }
  }
  return s;
}

std::vector<double> FeatureRows(const JointSeries& s, const std::vector<size_t>& rows) {
  std::vector<double> x;
  x.reserve(rows.size() * s.cols());
  for (size_t r : rows) {
    std::vector<double> f = s.Features(r);
    x.insert(x.end(), f.begin(), f.end());
  }
  return x;
}

// P(a training row scores at least s): ranks within the body, an exponential tail fitted to the
// top tenth (at least 10 rows) beyond it.
double TailPValue(const std::vector<double>& sorted, double s);

// A p-value as the standard normal z-score it is the upper tail of, within +-4.
double ZScore(double p) {
  return std::clamp(NormalQuantile(std::clamp(1 - p, 1e-12, 1 - 1e-12)), -4.0, 4.0);
}

double TailPValue(const std::vector<double>& sorted, double s) {
  const size_t n = sorted.size();
  const size_t k = std::min(n, std::max<size_t>(10, n / 10));
  const double u = sorted[n - k];
  if (s <= u) {
    auto above =
        static_cast<double>(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), s));
    return (above + 1) / (static_cast<double>(n) + 1);
  }
  double excess = 0;
  for (size_t i = n - k; i < n; ++i) excess += sorted[i] - u;
  excess = std::max(excess / static_cast<double>(k), 1e-6);
  return static_cast<double>(k) / (static_cast<double>(n) + 1) * std::exp(-(s - u) / excess);
}

// The forest of one slice and day, fitted on its rows of the week before; null with too few.
std::shared_ptr<const JointCache::Model> FitDay(const JointSeries& s, int64_t day) {
  const TimeMs to = day * kDayMs, from = to - kTrainingDays * kDayMs;
  std::vector<size_t> rows;
  for (size_t r = 0; r < s.rows(); ++r)
    if (s.times[r] >= from && s.times[r] < to && Usable(s, r)) rows.push_back(r);
  if (rows.size() < kMinTrainingRows) return nullptr;
  std::vector<double> x = FeatureRows(s, rows);
  IsolationForestOptions options;
  options.seed = Hash64(s.key) ^ Mix64(static_cast<uint64_t>(day));
  auto forest = IsolationForest::Fit(RowsView(x, s.cols()), options);
  if (!forest.ok()) return nullptr;
  auto model = std::make_shared<JointCache::Model>();
  auto scores = forest->Score(RowsView(x, s.cols()));
  if (!scores.ok()) return nullptr;
  model->calibration = *scores;
  std::sort(model->calibration.begin(), model->calibration.end());
  // Lag-1 autocorrelation of the z-scores of consecutive training buckets.
  double sxy = 0, sxx = 0, mean = 0;
  std::vector<double> z(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    z[k] = ZScore(TailPValue(model->calibration, (*scores)[k]));
    mean += z[k] / static_cast<double>(rows.size());
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    sxx += (z[k] - mean) * (z[k] - mean);
    if (k > 0 && s.times[rows[k]] - s.times[rows[k - 1]] == s.granularity_ms)
      sxy += (z[k] - mean) * (z[k - 1] - mean);
  }
  const double r = sxx > 0 ? std::clamp(sxy / sxx, 0.0, 0.8) : 0.0;
  model->spread = (1 + r) / (1 - r);
  model->forest.emplace(std::move(*forest));
  return model;
}

std::shared_ptr<const JointCache::Model> ModelFor(const JointSeries& s, int64_t day,
                                                  JointCache* cache) {
  auto& models = cache->models[s.key];
  auto it = models.find(day);
  if (it != models.end()) return it->second;
  auto model = FitDay(s, day);
  models.emplace(day, model);
  return model;
}

// The fraction of its smallest effect that matters by which each metric moved the way its
// monitor watches (capped at 1), summed over every metric but the one that moved most: at least 1
// when the others together move as much as one metric must alone. A regression one metric
// carries is its own ensemble's to find, with that metric's calibration; this detector reports
// the ones no single metric shows.
double JointEffect(const JointSeries& s, size_t row) {
  double sum = 0, largest = 0;
  for (size_t j = 0; j < s.cols(); ++j) {
    const size_t at = row * s.cols() + j;
    if (std::isnan(s.residual[at]) || s.residual[at] <= 0) continue;
    const MonitorSpec& m = *s.monitors[j];
    const double delta = MonitoredDeviation(m, s.value[at], s.expected[at]);
    if (!(delta > 0)) continue;
    const double need = SmallestEffect(m, s.expected[at]);
    const double part = need > 0 ? std::min(1.0, delta / need) : 1.0;
    sum += part;
    largest = std::max(largest, part);
  }
  return sum - largest;
}

// Mean attributions of some rows of a slice, each with its day's forest.
Attributions AttributeRows(const JointSeries& s, const std::vector<size_t>& rows,
                           JointCache* cache) {
  Attributions out;
  std::vector<double> phi(s.cols(), 0.0);
  double score = 0, base = 0;
  size_t used = 0;
  auto& known = cache->attributions[s.key];
  const auto& scored = cache->scores[s.key];
  for (size_t r : rows) {
    auto row_score = scored.find(s.times[r]);
    if (row_score == scored.end()) continue;  // not scored: no model that day
    auto it = known.find(s.times[r]);
    if (it == known.end()) {
      auto model = ModelFor(s, DayOf(s.times[r]), cache);
      if (!model) continue;
      std::vector<double> x = s.Features(r);
      auto values = model->forest->Attributions(RowsView(x, s.cols()));
      if (!values.ok()) continue;
      it = known.emplace(s.times[r], std::move(*values)).first;
    }
    for (size_t j = 0; j < s.cols(); ++j) phi[j] += it->second[j];
    score += row_score->second.score;
    base += row_score->second.base;
    ++used;
  }
  if (used == 0) return out;
  const auto n = static_cast<double>(used);
  out.score = score / n;
  out.base = base / n;
  for (size_t j = 0; j < s.cols(); ++j) {
    double residual = 0;
    size_t seen = 0;
    for (size_t r : rows) {
      double z = s.residual[r * s.cols() + j];
      if (std::isnan(z)) continue;
      residual += z;
      ++seen;
    }
    out.features.push_back(
        {s.metrics[j], phi[j] / n, seen ? residual / static_cast<double>(seen) : 0.0});
  }
  std::stable_sort(out.features.begin(), out.features.end(),
                   [](const Attribution& a, const Attribution& b) { return a.value > b.value; });
  return out;
}

// Scores every row (from the cache when scored before), then the p-values: the better of the
// row's own tail and the CUSUM of the rows' z-scores, doubled (Bonferroni over the two).
void ScoreRows(JointSeries* s, JointCache* cache) {
  auto& scored = cache->scores[s->key];
  s->score.assign(s->rows(), std::nan(""));
  s->onset.assign(s->rows(), 0);
  std::vector<const JointCache::Scored*> row_scores(s->rows(), nullptr);
  std::map<int64_t, std::vector<size_t>> todo;  // rows to score, by day
  for (size_t r = 0; r < s->rows(); ++r) {
    if (!Usable(*s, r)) continue;
    auto it = scored.find(s->times[r]);
    if (it != scored.end()) {
      row_scores[r] = &it->second;
    } else {
      todo[DayOf(s->times[r])].push_back(r);
    }
  }
  for (const auto& [day, rows] : todo) {
    auto model = ModelFor(*s, day, cache);
    if (!model) continue;
    std::vector<double> x = FeatureRows(*s, rows);
    auto scores = model->forest->Score(RowsView(x, s->cols()));
    if (!scores.ok()) continue;
    for (size_t k = 0; k < rows.size(); ++k) {
      const double score = (*scores)[k];
      row_scores[rows[k]] =
          &(scored[s->times[rows[k]]] = {score, TailPValue(model->calibration, score),
                                         model->forest->base_score(), model->spread});
    }
  }
  SeriesJob& job = s->job;
  job.monitor = s->monitors.front();
  job.series.slice = s->slice;
  job.granularity_ms = s->granularity_ms;
  job.series.points.resize(s->rows());
  job.assessments.assign(s->rows(), Assessment{});
  job.judged.assign(s->rows(), false);
  OneSidedCusum cusum;
  for (size_t r = 0; r < s->rows(); ++r) {
    SeriesPoint& pt = job.series.points[r];
    pt.time = s->times[r];
    if (!row_scores[r]) continue;
    s->score[r] = pt.value = row_scores[r]->score;
    const double p = row_scores[r]->p;
    const double z = ZScore(p);
    cusum.Step(z, kReference, s->times[r]);
    // The reflected walk with drift -k and variance v exceeds s with probability exp(-2ks/v).
    const double p_sum =
        z > kReference ? std::exp(-2 * kReference * cusum.sum / row_scores[r]->spread) : 1.0;
    Assessment& a = job.assessments[r];
    a.warm = true;
    a.expected = row_scores[r]->base;
    a.score = z;
    a.p_value = std::min(1.0, 2 * std::min(p, p_sum));
    a.probability = 1 - a.p_value;
    a.onset = cusum.sum > 0 ? cusum.onset : 0;
    s->onset[r] = a.onset;
    job.judged[r] = true;
  }
  SetPValues(job.judged, &job);
  // Only the current day's forest and the one before are needed again (a late anomaly's
  // attributions refit an older one).
  auto& models = cache->models[s->key];
  if (!s->times.empty()) {
    const int64_t keep = DayOf(s->times.back()) - 1;
    while (!models.empty() && models.begin()->first < keep) models.erase(models.begin());
  }
}

}  // namespace

std::vector<double> JointSeries::Features(size_t row) const {
  std::vector<double> f(cols());
  for (size_t j = 0; j < cols(); ++j) {
    double z = residual[row * cols() + j];
    f[j] = std::isnan(z) ? 0.0 : std::clamp(z, 0.0, kMaxResidual);
  }
  return f;
}

void JointCache::Trim(const std::string& key, TimeMs from) {
  auto& s = scores[key];
  s.erase(s.begin(), s.lower_bound(from));
  auto& a = attributions[key];
  a.erase(a.begin(), a.lower_bound(from));
}

Result<std::vector<JointSeries>> JudgeJointly(const Config& c, const std::vector<SeriesJob>& jobs,
                                              JointCache* cache) {
  const int64_t G = c.detect.multivariate_granularity_ms;
  // Each slice's metrics, the finest series of each.
  std::map<Slice, std::map<std::string, const SeriesJob*>> by_slice;
  for (const SeriesJob& job : jobs) {
    if (job.granularity_ms <= 0 || job.granularity_ms > G || G % job.granularity_ms != 0) continue;
    Slice slice = job.series.slice;
    std::sort(slice.begin(), slice.end());
    const SeriesJob*& kept = by_slice[slice][job.monitor->metric];
    if (!kept || job.granularity_ms < kept->granularity_ms) kept = &job;
  }
  JointCache local;
  if (!cache) cache = &local;
  std::vector<JointSeries> out;
  for (const auto& [slice, metrics] : by_slice) {
    if (metrics.size() < 2) continue;
    std::vector<const SeriesJob*> members;
    for (const auto& [name, job] : metrics) members.push_back(job);
    std::string key = FormatSlice(slice) + "|" + std::to_string(G);
    JointSeries s = BuildRows(key, slice, G, std::move(members));
    ScoreRows(&s, cache);
    if (!s.times.empty()) cache->Trim(s.key, s.times.front());
    out.push_back(std::move(s));
  }
  return out;
}

void FormJointAnomalies(const JointSeries& s, JointCache* cache, std::vector<Anomaly>* out) {
  const SeriesJob& job = s.job;
  const int64_t G = s.granularity_ms;
  int64_t min_duration = 0;
  for (const MonitorSpec* m : s.monitors) min_duration = std::max(min_duration, m->min_duration_ms);
  const size_t n = s.rows();
  const int recovery = static_cast<int>(std::max<int64_t>(3, kHourMs / G));
  size_t i = 0;
  while (i < n) {
    if (!(job.significant[i] && JointEffect(s, i) >= 1)) {
      ++i;
      continue;
    }
    size_t first = i, last = i;
    int outs = 0;
    size_t k = i + 1;
    for (; k < n; ++k) {
      if (JointEffect(s, k) >= 1) {
        last = k;
        outs = 0;
      } else if (++outs >= recovery) {
        break;
      }
    }
    i = k;
    if (s.times[last] + G - s.times[first] < min_duration) continue;
    std::vector<size_t> significant;
    double confidence = 0;
    for (size_t t = first; t <= last; ++t) {
      if (!job.significant[t]) continue;
      significant.push_back(t);
      confidence = std::max(confidence, job.assessments[t].probability);
    }
    Attributions at = AttributeRows(s, significant, cache);
    if (at.features.empty()) continue;
    const std::string& top = at.features.front().metric;
    const size_t j =
        static_cast<size_t>(std::find(s.metrics.begin(), s.metrics.end(), top) - s.metrics.begin());
    Anomaly a;
    a.metric = top;
    a.slice = s.slice;
    a.granularity_ms = G;
    a.detected = s.times[first];
    a.start = s.times[first];
    TimeMs onset = s.onset[first];
    if (onset > 0 && onset < a.start && a.start - onset <= 24 * G) a.start = onset;
    a.end = k >= n ? 0 : s.times[last] + G;
    double sum_e = 0, sum_o = 0;
    size_t count = 0;
    for (size_t t = first; t <= last; ++t) {
      if (JointEffect(s, t) >= 1) a.support += s.support[t];
      const size_t at_j = t * s.cols() + j;
      if (std::isnan(s.value[at_j]) || std::isnan(s.expected[at_j])) continue;
      sum_e += s.expected[at_j];
      sum_o += s.value[at_j];
      ++count;
    }
    if (count > 0) {
      a.baseline = sum_e / static_cast<double>(count);
      a.observed = sum_o / static_cast<double>(count);
      a.relative_change = a.baseline != 0 ? (a.observed - a.baseline) / std::abs(a.baseline) : 0;
    }
    a.direction = a.observed >= a.baseline ? Direction::kUp : Direction::kDown;
    a.confidence = confidence;
    a.detector = kMultivariateDetector;
    a.attributions = std::move(at);
    out->push_back(std::move(a));
  }
}

void AttributeAnomalies(const std::vector<JointSeries>& series, JointCache* cache,
                        std::vector<Anomaly>* anomalies) {
  std::map<Slice, const JointSeries*> by_slice;
  for (const JointSeries& s : series) by_slice[s.slice] = &s;
  auto find = [&](const Slice& slice) -> const JointSeries* {
    Slice sorted = slice;
    std::sort(sorted.begin(), sorted.end());
    auto it = by_slice.find(sorted);
    return it == by_slice.end() ? nullptr : it->second;
  };
  // A multivariate anomaly that an ensemble anomaly of its metric and slice already reports
  // adds nothing but its attributions.
  std::vector<bool> drop(anomalies->size(), false);
  for (size_t i = 0; i < anomalies->size(); ++i) {
    Anomaly& joint = (*anomalies)[i];
    if (joint.detector != kMultivariateDetector) continue;
    for (Anomaly& other : *anomalies) {
      if (&other == &joint || other.detector == kMultivariateDetector) continue;
      if (other.metric != joint.metric || std::abs(other.start - joint.start) > kHourMs) continue;
      Slice a = other.slice, b = joint.slice;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b) continue;
      if (other.attributions.features.empty()) other.attributions = joint.attributions;
      drop[i] = true;
      break;
    }
  }
  size_t i = 0;
  std::erase_if(*anomalies, [&](const Anomaly&) { return drop[i++]; });
  for (Anomaly& a : *anomalies) {
    if (!a.attributions.features.empty()) continue;
    const JointSeries* s = find(a.slice);
    if (!s || s->times.empty()) continue;
    TimeMs row_time = BucketStart(a.detected, s->granularity_ms);
    auto it = std::lower_bound(s->times.begin(), s->times.end(), row_time);
    if (it == s->times.end() || *it != row_time) continue;
    const auto row = static_cast<size_t>(it - s->times.begin());
    if (!Usable(*s, row)) continue;
    a.attributions = AttributeRows(*s, {row}, cache);
  }
}

}  // namespace vigil::internal
