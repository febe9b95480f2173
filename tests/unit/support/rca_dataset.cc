// Synthetic root-cause datasets (see rca_dataset.h).
#include "support/rca_dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

namespace vigil::testing {
namespace {

using Rng = std::mt19937_64;

double Uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int UniformInt(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// One injected anomaly: the dimensions it fixes and its elements (one code per dimension).
struct Anomaly {
  std::vector<int> dims;
  std::vector<std::vector<uint32_t>> elements;
  double severity = 0, deviation = 0;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep))
    if (!part.empty()) out.push_back(part);
  return out;
}

std::string Normalize(const std::string& element) {
  std::vector<std::string> attrs = Split(element, '&');
  std::sort(attrs.begin(), attrs.end());
  std::string out;
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out += '&';
    out += attrs[i];
  }
  return out;
}

}  // namespace

RcaInstance GenerateRcaInstance(const RcaDatasetSpec& spec, uint64_t seed) {
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
  const size_t nd = spec.dims.size();
  RcaInstance inst;
  RootCauseTable& t = inst.table;
  for (size_t d = 0; d < nd; ++d) {
    std::string name(1, char('a' + d));
    t.dimensions.push_back(name);
    t.values.emplace_back();
    for (int v = 1; v <= spec.dims[d]; ++v) t.values[d].push_back(name + std::to_string(v));
  }
  size_t cells = 1;
  for (int c : spec.dims) cells *= size_t(c);

  const double zero_rate = Uniform(rng, spec.zero_rate_min, spec.zero_rate_max);
  const double noise = Uniform(rng, spec.noise_min, spec.noise_max);
  const double alpha = Uniform(rng, spec.weibull_min, spec.weibull_max);

  // Every combination of values, last dimension fastest.
  t.codes.resize(cells * nd);
  std::vector<uint32_t> code(nd, 0);
  for (size_t i = 0; i < cells; ++i) {
    std::copy(code.begin(), code.end(), t.codes.begin() + i * nd);
    for (size_t d = nd; d-- > 0;) {
      if (++code[d] < uint32_t(spec.dims[d])) break;
      code[d] = 0;
    }
  }

  // Real values: heavy-tailed, some cells zero. The forecast errs by relative noise, and the
  // noisy side is chosen at random per cell so that errors are symmetric.
  std::weibull_distribution<double> weibull(alpha, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> base(cells);
  t.actual.resize(cells);
  t.expected.resize(cells);
  for (size_t i = 0; i < cells; ++i) {
    double v = weibull(rng) * 100;
    if (Uniform(rng, 0, 1) < zero_rate) v = 0;
    base[i] = v;
    double noisy = v + v * noise * normal(rng);
    if (UniformInt(rng, 0, 1)) {
      t.actual[i] = v;
      t.expected[i] = std::max(noisy, 0.0);
    } else {
      t.actual[i] = noisy;
      t.expected[i] = v;
    }
  }
  if (spec.ratio) {
    // Rates: the cell's base value becomes its denominator (traffic), with an expected success
    // rate per cell; the actual rate carries the relative noise.
    t.actual_den.resize(cells);
    t.expected_den.resize(cells);
    for (size_t i = 0; i < cells; ++i) {
      double rate = Uniform(rng, 0.2, 0.8);  // far enough from 0 and 1 that noise is not clipped
      double den = base[i];
      double actual_den = std::max(den * (1 + 0.5 * noise * normal(rng)), 0.0);
      double noisy_rate = std::clamp(rate * (1 + noise * normal(rng)), 0.0, 1.0);
      // As for additive data, the side that carries the error is chosen at random.
      bool actual_noisy = UniformInt(rng, 0, 1);
      double actual_rate = actual_noisy ? noisy_rate : rate,
             expected_rate = actual_noisy ? rate : noisy_rate;
      t.expected_den[i] = den;
      t.actual_den[i] = actual_den;
      t.expected[i] = expected_rate * den;
      t.actual[i] = actual_rate * actual_den;
    }
  }

  // Anomaly locations: distinct dimension sets per anomaly (except single cells), no value of a
  // dimension shared with an earlier anomaly on that dimension, distinct elements, and no
  // single-cell element on a zero cell (nothing could reveal it).
  const int num_anomalies = UniformInt(rng, spec.anomalies_min, spec.anomalies_max);
  std::vector<Anomaly> anomalies;
  auto cell_of = [&](const std::vector<int>& dims, const std::vector<uint32_t>& elem) {
    size_t idx = 0;
    for (size_t d = 0; d < nd; ++d)
      idx = idx * spec.dims[d] + elem[std::find(dims.begin(), dims.end(), int(d)) - dims.begin()];
    return idx;
  };
  for (int a = 0; a < num_anomalies; ++a) {
    int depth = spec.only_last_layer ? int(nd)
                : spec.depth > 0     ? spec.depth
                                     : UniformInt(rng, 1, int(nd));
    int count = UniformInt(rng, spec.elements_min, spec.elements_max);
    Anomaly an;
    an.severity = Uniform(rng, spec.severity_min, spec.severity_max) + noise;
    an.deviation = Uniform(rng, spec.deviation_min, spec.deviation_max);
    for (int attempt = 0; attempt < 1000; ++attempt) {
      std::vector<int> all(nd);
      std::iota(all.begin(), all.end(), 0);
      std::shuffle(all.begin(), all.end(), rng);
      std::vector<int> dims(all.begin(), all.begin() + depth);
      std::sort(dims.begin(), dims.end());
      bool lowest = size_t(depth) == nd;
      bool reused = false;
      for (const Anomaly& p : anomalies) reused |= p.dims == dims;
      if (reused && !lowest) continue;
      std::vector<std::vector<uint32_t>> choices(dims.size());
      bool empty = false;
      for (size_t k = 0; k < dims.size(); ++k) {
        std::set<uint32_t> used;
        for (const Anomaly& p : anomalies) {
          auto it = std::find(p.dims.begin(), p.dims.end(), dims[k]);
          if (it == p.dims.end()) continue;
          for (const auto& e : p.elements) used.insert(e[it - p.dims.begin()]);
        }
        for (uint32_t v = 0; v < uint32_t(spec.dims[dims[k]]); ++v)
          if (!used.count(v)) choices[k].push_back(v);
        empty |= choices[k].empty();
      }
      if (empty) continue;
      std::set<std::vector<uint32_t>> elements;
      for (int e = 0; e < count; ++e) {
        std::vector<uint32_t> elem;
        for (auto& c : choices) elem.push_back(c[UniformInt(rng, 0, int(c.size()) - 1)]);
        elements.insert(elem);
      }
      if (int(elements.size()) < count) continue;
      bool zero = false;
      if (lowest)
        for (const auto& e : elements) zero |= base[cell_of(dims, e)] == 0;
      if (zero) continue;
      an.dims = dims;
      an.elements.assign(elements.begin(), elements.end());
      break;
    }
    if (!an.dims.empty()) anomalies.push_back(std::move(an));
  }

  // The anomalies go the way the normal errors already lean, so that the noise does not
  // outweigh them in the aggregate; a rate always falls.
  double sum_actual = std::accumulate(t.actual.begin(), t.actual.end(), 0.0);
  double sum_expected = std::accumulate(t.expected.begin(), t.expected.end(), 0.0);
  const bool up = !spec.ratio && sum_actual > sum_expected;
  std::vector<std::string> truth;
  for (const Anomaly& an : anomalies) {
    std::normal_distribution<double> drop(an.severity, an.deviation);
    for (size_t i = 0; i < cells; ++i) {
      const uint32_t* c = &t.codes[i * nd];
      bool hit = false;
      for (const auto& e : an.elements) {
        bool match = true;
        for (size_t k = 0; k < an.dims.size() && match; ++k) match = c[an.dims[k]] == e[k];
        if (match) hit = true;
      }
      if (!hit) continue;
      double r = an.deviation > 0 ? drop(rng) : an.severity;
      if (spec.ratio) {
        t.actual[i] = std::max(
            t.expected[i] / std::max(t.expected_den[i], 1e-300) * t.actual_den[i] * (1 - r), 0.0);
        if (!(t.expected_den[i] > 0)) t.actual[i] = 0;
      } else if (up) {
        t.expected[i] = std::max(t.actual[i] * (1 - r), 0.0);  // the forecast misses a rise
      } else {
        t.actual[i] = std::max(t.expected[i] * (1 - r), 0.0);
      }
    }
    for (const auto& e : an.elements) {
      std::string s;
      for (size_t k = 0; k < an.dims.size(); ++k) {
        if (k) s += '&';
        s += t.dimensions[an.dims[k]];
        s += '=';
        s += t.values[an.dims[k]][e[k]];
      }
      truth.push_back(Normalize(s));
    }
  }
  std::sort(truth.begin(), truth.end());
  truth.erase(std::unique(truth.begin(), truth.end()), truth.end());
  for (size_t i = 0; i < truth.size(); ++i) {
    if (i) inst.truth += ';';
    inst.truth += truth[i];
  }
  return inst;
}

namespace {
RcaDatasetSpec Spec(std::string name, std::vector<int> dims) {
  RcaDatasetSpec s;
  s.name = std::move(name);
  s.dims = std::move(dims);
  return s;
}
}  // namespace

RcaDatasetSpec RcaDatasetS() { return Spec(std::string(1, 'S'), {10, 12, 10, 8, 5}); }

RcaDatasetSpec RcaDatasetL() {
  RcaDatasetSpec s = Spec(std::string(1, 'L'), {10, 24, 10, 15});
  s.noise_max = 0.1;
  s.severity_min = 0.5;
  s.deviation_max = 0;
  s.anomalies_max = 5;
  s.elements_max = 1;
  s.only_last_layer = true;
  return s;
}

RcaDatasetSpec RcaDatasetH() { return Spec(std::string(1, 'H'), {10, 5, 250, 20, 8, 12}); }

RcaDatasetSpec RcaDatasetR() {
  RcaDatasetSpec s = Spec(std::string(1, 'R'), {10, 12, 10, 8});
  s.ratio = true;
  return s;
}

}  // namespace vigil::testing
