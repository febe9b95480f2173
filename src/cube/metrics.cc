// Metric evaluation: a metric's value for an aggregate, the sample size behind it and its
// sampling error, and which parts of an aggregate it reads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cube/cube_impl.h"

namespace vigil {
namespace {

void AddParts(const Config& c, int metric, internal::AggregateParts* p) {
  const MetricSpec& m = c.metrics[metric];
  switch (m.type) {
    case MetricType::kCount:
      break;
    case MetricType::kRate:
      p->counters = true;
      break;
    case MetricType::kQuantile:
    case MetricType::kMean:
      p->measures[m.measure] = true;
      break;
    case MetricType::kDistinct:
      p->devices = true;
      break;
    case MetricType::kExpression:
      for (int in : m.expression_inputs) AddParts(c, in, p);
      break;
  }
}

int PredicateIndex(const std::vector<const Predicate*>& preds, const Predicate& p) {
  for (size_t i = 0; i < preds.size(); ++i)
    if (preds[i]->text() == p.text()) return static_cast<int>(i);
  return -1;
}

}  // namespace

Cube::Impl::Parts Cube::Impl::PartsOf(int metric) const {
  Parts parts;
  parts.measures.assign(nmeasures, false);
  AddParts(*config, metric, &parts);
  return parts;
}

double Cube::MetricValue(int index, const Aggregate& a) const {
  const Config& c = config();
  const MetricSpec& m = c.metrics[index];
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (m.type) {
    case MetricType::kCount:
      return static_cast<double>(a.count);
    case MetricType::kRate: {
      uint64_t num = a.counters[PredicateIndex(impl_->predicates, *m.where)];
      uint64_t den = m.of ? a.counters[PredicateIndex(impl_->predicates, *m.of)] : a.count;
      return den == 0 ? kNaN : static_cast<double>(num) / static_cast<double>(den);
    }
    case MetricType::kQuantile:
      return a.measures[m.measure].Quantile(m.q);
    case MetricType::kMean:
      return a.measures[m.measure].mean();
    case MetricType::kDistinct:
      return a.count == 0 ? 0.0 : std::round(a.devices.Estimate());
    case MetricType::kExpression: {
      std::vector<double> inputs;
      for (int in : m.expression_inputs) inputs.push_back(MetricValue(in, a));
      return m.expression->Evaluate(inputs);
    }
  }
  return kNaN;
}

uint64_t Cube::MetricSupport(int index, const Aggregate& a) const {
  const MetricSpec& m = config().metrics[index];
  switch (m.type) {
    case MetricType::kRate:
      return m.of ? a.counters[PredicateIndex(impl_->predicates, *m.of)] : a.count;
    case MetricType::kQuantile:
    case MetricType::kMean:
      return a.measures[m.measure].count();
    case MetricType::kExpression: {
      uint64_t s = a.count;
      for (int in : m.expression_inputs) s = std::min(s, MetricSupport(in, a));
      return s;
    }
    default:
      return a.count;
  }
}

double Cube::MetricSamplingError(int index, const Aggregate& a) const {
  const MetricSpec& m = config().metrics[index];
  switch (m.type) {
    case MetricType::kCount:
      return std::sqrt(static_cast<double>(a.count));
    case MetricType::kDistinct:
      return std::sqrt(std::max(0.0, MetricValue(index, a)));
    case MetricType::kRate: {
      double n = static_cast<double>(MetricSupport(index, a));
      if (n == 0) return 0;
      double x = MetricValue(index, a) * n;
      double p = (x + 0.5) / (n + 1);  // keeps the error above zero at 0 % and 100 %
      return std::sqrt(p * (1 - p) / n);
    }
    case MetricType::kQuantile: {
      // Order statistics: the q-quantile of n values has a rank error of sqrt(q(1-q)/n); the
      // sketch's spread around q turns rank into value.
      const QuantileSketch& s = a.measures[m.measure];
      double n = static_cast<double>(s.count());
      if (n < 2) return 0;
      double d = std::clamp(1.0 / std::sqrt(n), 0.005, 0.1);
      double lo = std::max(0.0, m.q - d), hi = std::min(1.0, m.q + d);
      double slope = (s.Quantile(hi) - s.Quantile(lo)) / (hi - lo);
      double se = slope * std::sqrt(std::max(m.q * (1 - m.q), 1.0 / n) / n);
      // Never finer than the sketch itself resolves values.
      return std::max(se, QuantileSketch::kRelativeAccuracy * std::abs(s.Quantile(m.q)));
    }
    case MetricType::kMean: {
      const QuantileSketch& s = a.measures[m.measure];
      double n = static_cast<double>(s.count());
      if (n < 2) return 0;
      double sd = (s.Quantile(0.75) - s.Quantile(0.25)) / 1.349;  // robust spread
      return sd / std::sqrt(n);
    }
    case MetricType::kExpression:
      return 0;
  }
  return 0;
}

}  // namespace vigil
