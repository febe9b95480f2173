// Published root-cause methods as benchmark comparators (see rca_baselines.h).
#include "rca_baselines.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace vigil::bench {
namespace {

// One element: a value for each of a set of dimensions.
struct Element {
  std::vector<int> dims;
  std::vector<uint32_t> values;
};

std::string Format(const RootCauseTable& t, const std::vector<Element>& set) {
  std::string out;
  for (const Element& e : set) {
    if (!out.empty()) out += ';';
    for (size_t k = 0; k < e.dims.size(); ++k) {
      if (k) out += '&';
      out += t.dimensions[e.dims[k]] + "=" + t.values[e.dims[k]][e.values[k]];
    }
  }
  return out;
}

// A cuboid (set of dimensions) with each leaf's element key in it, so that per-element sums of
// any per-leaf quantity are one pass.
struct Cuboid {
  std::vector<int> dims;
  std::vector<uint32_t> radix;
  size_t size = 1;
  std::vector<uint32_t> key;  // per leaf

  std::vector<double> Sum(const std::vector<double>& per_leaf) const {
    std::vector<double> out(size, 0.0);
    for (size_t i = 0; i < key.size(); ++i) out[key[i]] += per_leaf[i];
    return out;
  }
  Element ElementOf(size_t k) const {
    Element e{dims, std::vector<uint32_t>(dims.size())};
    for (size_t j = dims.size(); j-- > 0;) {
      e.values[j] = uint32_t(k % radix[j]);
      k /= radix[j];
    }
    return e;
  }
  int layer() const { return int(dims.size()); }
};

Cuboid MakeCuboid(const RootCauseTable& t, std::vector<int> dims) {
  Cuboid c;
  c.dims = std::move(dims);
  for (int d : c.dims) {
    c.radix.push_back(uint32_t(t.values[d].size()));
    c.size *= t.values[d].size();
  }
  const size_t nd = t.dimensions.size(), n = t.size();
  c.key.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = 0;
    for (size_t j = 0; j < c.dims.size(); ++j) k = k * c.radix[j] + t.codes[i * nd + c.dims[j]];
    c.key[i] = k;
  }
  return c;
}

// Every set of `layer` dimensions out of `nd`, in lexicographic order.
std::vector<std::vector<int>> DimensionSets(int nd, int layer) {
  std::vector<std::vector<int>> out;
  std::vector<int> pick(layer);
  std::iota(pick.begin(), pick.end(), 0);
  while (layer <= nd) {
    out.push_back(pick);
    int j = layer - 1;
    while (j >= 0 && pick[j] == nd - layer + j) --j;
    if (j < 0) break;
    ++pick[j];
    for (int k = j + 1; k < layer; ++k) pick[k] = pick[k - 1] + 1;
  }
  return out;
}

int Layers(const RootCauseTable& t) { return int(t.dimensions.size()); }

// Every cuboid, shallowest first; built on demand, as deep tables do not fit in memory at once.
template <typename Visit>
void ForEachCuboid(const RootCauseTable& t, Visit&& visit) {
  for (int layer = 1; layer <= Layers(t); ++layer)
    for (const auto& dims : DimensionSets(Layers(t), layer))
      if (!visit(MakeCuboid(t, dims))) return;
}

// Leaves whose deviation is told apart from noise. Forecast errors are symmetric, so the
// number of leaves beyond a cutoff on the side opposite to the change estimates how many of
// those beyond it on the change's side are noise; the cutoff is the smallest at which that
// estimate is at most 10 % (`oriented` is the deviation signed so that the change is > 0).
double NoiseCutoff(const std::vector<double>& oriented) {
  std::vector<double> same, other;
  for (double d : oriented) (d > 0 ? same : other).push_back(std::abs(d));
  std::sort(same.rbegin(), same.rend());
  std::sort(other.rbegin(), other.rend());
  size_t o = 0;
  double cutoff = HUGE_VAL;
  for (size_t k = 0; k < same.size(); ++k) {
    while (o < other.size() && other[o] >= same[k]) ++o;
    if (double(o) <= 0.1 * double(k + 1)) cutoff = same[k];
  }
  return cutoff;  // leaves with oriented deviation >= cutoff are abnormal
}

double Total(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0); }

}  // namespace

std::string Adtributor(const RootCauseTable& t) {
  constexpr double kElementPower = 0.1, kSetPower = 0.67;
  constexpr size_t kDimensions = 3;
  const double actual = Total(t.actual), expected = Total(t.expected), change = actual - expected;
  if (change == 0 || actual <= 0 || expected <= 0) return "";
  auto half_kl = [](double p, double q) {
    return p > 0 ? 0.5 * p * std::log(2 * p / (p + q)) : 0.0;
  };
  struct Candidate {
    double surprise = 0;
    std::vector<Element> elements;
  };
  std::vector<Candidate> candidates;
  for (int d = 0; d < int(t.dimensions.size()); ++d) {
    Cuboid c = MakeCuboid(t, {d});
    std::vector<double> a = c.Sum(t.actual), f = c.Sum(t.expected);
    struct Scored {
      size_t key;
      double surprise, power;
    };
    std::vector<Scored> scored;
    for (size_t k = 0; k < c.size; ++k) {
      double p = f[k] / expected, q = a[k] / actual;
      scored.push_back({k, half_kl(p, q) + half_kl(q, p), (a[k] - f[k]) / change});
    }
    std::sort(scored.begin(), scored.end(),
              [](const Scored& x, const Scored& y) { return x.surprise > y.surprise; });
    Candidate cand;
    double power = 0;
    for (const Scored& s : scored) {
      if (s.power < kElementPower) continue;
      cand.elements.push_back(c.ElementOf(s.key));
      cand.surprise += s.surprise;
      power += s.power;
      if (power >= kSetPower) break;
    }
    if (power >= kSetPower) candidates.push_back(std::move(cand));
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& x, const Candidate& y) { return x.surprise > y.surprise; });
  std::vector<Element> answer;
  for (size_t i = 0; i < std::min(kDimensions, candidates.size()); ++i)
    answer.insert(answer.end(), candidates[i].elements.begin(), candidates[i].elements.end());
  return Format(t, answer);
}

std::string HotSpot(const RootCauseTable& t, double potential_threshold) {
  constexpr size_t kMaxElements = 10;
  const size_t n = t.size();
  std::vector<double> vv(n), vf(n), ff(n), dev2(n);
  double total_dev2 = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = t.actual[i], f = t.expected[i];
    vv[i] = v * v;
    vf[i] = v * f;
    ff[i] = f * f;
    dev2[i] = (v - f) * (v - f);
    total_dev2 += dev2[i];
  }
  if (total_dev2 <= 0) return "";
  auto potential = [&](double removed) {
    return 1 - std::sqrt(std::max(total_dev2 - removed, 0.0) / total_dev2);
  };
  struct Best {
    double potential = -1;
    int layer = 0;
    std::vector<Element> elements;
  } best, best_reached;
  ForEachCuboid(t, [&](const Cuboid& c) {
    if (best_reached.layer && c.layer() > best_reached.layer) return false;  // done with its layer
    std::vector<double> a = c.Sum(t.actual), f = c.Sum(t.expected), svv = c.Sum(vv),
                        svf = c.Sum(vf), sff = c.Sum(ff), sdev2 = c.Sum(dev2);
    // Ripple effect: an element's actual total spread over its leaves in forecast proportion,
    // a_i = f_i * A_e / F_e; the squared distance that removes is the element's gain.
    std::vector<std::pair<double, size_t>> gains;
    for (size_t k = 0; k < c.size; ++k) {
      if (!(f[k] > 0)) continue;
      double r = a[k] / f[k];
      double gain = sdev2[k] - (svv[k] - 2 * r * svf[k] + r * r * sff[k]);
      if (gain > 0) gains.push_back({gain, k});
    }
    std::sort(gains.rbegin(), gains.rend());
    double removed = 0;
    std::vector<Element> set;
    for (size_t j = 0; j < std::min(kMaxElements, gains.size()); ++j) {
      removed += gains[j].first;
      set.push_back(c.ElementOf(gains[j].second));
      double ps = potential(removed);
      if (ps >= potential_threshold) {
        if (!best_reached.layer || set.size() < best_reached.elements.size() ||
            (set.size() == best_reached.elements.size() && ps > best_reached.potential))
          best_reached = {ps, c.layer(), set};
        break;
      }
      // Without a set reaching the threshold, the best potential per element.
      if (ps / double(set.size()) > best.potential)
        best = {ps / double(set.size()), c.layer(), set};
    }
    return true;
  });
  return Format(t, best_reached.layer ? best_reached.elements : best.elements);
}

std::string Squeeze(const RootCauseTable& t, double simplicity_margin) {
  constexpr int kBins = 400;  // deviation scores lie in [-2, 2]
  constexpr double kBinWidth = 4.0 / kBins, kBandwidthBins = 3;
  constexpr size_t kMaxElements = 10;
  constexpr double kMinScore = 0.5;
  const size_t n = t.size();
  const double change = Total(t.expected) - Total(t.actual);
  std::vector<double> dev(n, 0.0), absdev(n);
  for (size_t i = 0; i < n; ++i) {
    double v = t.actual[i], f = t.expected[i];
    absdev[i] = std::abs(v - f);
    if (v + f > 0) dev[i] = 2 * (f - v) / (f + v);
  }
  // Anomaly-amount filter: leaves by |v - f|, largest first, up to the knee of their cumulative
  // share (the point farthest above the chord).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return absdev[x] > absdev[y]; });
  const double total_abs = Total(absdev);
  if (!(total_abs > 0)) return "";
  size_t knee = 0;
  double cumulative = 0, farthest = -1;
  for (size_t j = 0; j < n; ++j) {
    cumulative += absdev[order[j]];
    double above = cumulative / total_abs - double(j + 1) / double(n);
    if (above > farthest) {
      farthest = above;
      knee = j + 1;
    }
  }
  // Density of the kept leaves' deviation scores; clusters are the basins between its minima.
  std::vector<int> bin(n, -1);
  std::vector<double> hist(kBins, 0.0), density(kBins, 0.0);
  for (size_t j = 0; j < knee; ++j) {
    size_t i = order[j];
    bin[i] = std::clamp(int((dev[i] + 2) / kBinWidth), 0, kBins - 1);
    hist[bin[i]] += 1;
  }
  const int reach = int(4 * kBandwidthBins);
  for (int b = 0; b < kBins; ++b)
    for (int o = -reach; o <= reach; ++o)
      if (b + o >= 0 && b + o < kBins)
        density[b] += hist[b + o] * std::exp(-0.5 * (o / kBandwidthBins) * (o / kBandwidthBins));
  std::vector<int> cluster_of_bin(kBins, 0);
  int clusters = 0;
  for (int b = 2; b < kBins; ++b) {
    if (density[b] > density[b - 1] && density[b - 1] < density[b - 2])
      ++clusters;  // a minimum at b-1
    cluster_of_bin[b] = clusters;
  }
  ++clusters;
  std::vector<std::vector<size_t>> members(clusters);
  for (size_t i = 0; i < n; ++i)
    if (bin[i] >= 0) members[cluster_of_bin[bin[i]]].push_back(i);

  struct Candidate {
    double score = -1;
    int cost = 0;
    std::vector<Element> elements;
  };
  // The groups that may hold a root cause, each with the expected actual of its leaves,
  // f (2 - d)/(2 + d) for its typical deviation d.
  struct Group {
    double ratio = 1, deviation = 0;  // deviation: the group's total |v - f|
    std::vector<Candidate> per_cuboid;
  };
  std::vector<Group> groups;
  std::vector<int> group_of(n, -1);
  for (int cl = 0; cl < clusters; ++cl) {
    if (members[cl].empty()) continue;
    std::vector<double> devs;
    for (size_t i : members[cl]) devs.push_back(dev[i]);
    std::nth_element(devs.begin(), devs.begin() + devs.size() / 2, devs.end());
    const double d = devs[devs.size() / 2];
    if (d * change <= 0) continue;  // a cluster on the other side of the change is noise
    Group g;
    g.ratio = (2 - d) / (2 + d);
    for (size_t i : members[cl]) {
      group_of[i] = int(groups.size());
      g.deviation += absdev[i];
    }
    groups.push_back(std::move(g));
  }
  if (groups.empty()) return "";

  // One pass over the cuboids serves every group.
  std::vector<double> ones(n, 1.0);
  ForEachCuboid(t, [&](const Cuboid& c) {
    std::vector<double> count = c.Sum(ones), s_abs = c.Sum(absdev);
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      Group& g = groups[gi];
      std::vector<double> in_count(c.size, 0.0), s_in_dev(c.size, 0.0), s_fixed(c.size, 0.0);
      for (size_t i = 0; i < n; ++i) {
        s_fixed[c.key[i]] += std::abs(t.actual[i] - t.expected[i] * g.ratio);
        if (group_of[i] != int(gi)) continue;
        in_count[c.key[i]] += 1;
        s_in_dev[c.key[i]] += absdev[i];
      }
      std::vector<std::pair<double, size_t>> ranked;  // share of the element's leaves in the group
      for (size_t k = 0; k < c.size; ++k)
        if (in_count[k] > 0) ranked.push_back({in_count[k] / count[k], k});
      std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
      });
      // Generalized potential score of a prefix S: 1 - (|v - a|_S + |v - f|_{C\S}) /
      // (|v - f|_S + |v - f|_{C\S}), with C the group's leaves.
      double covered_abs = 0, covered_fixed = 0, covered_in_dev = 0;
      Candidate best;
      std::vector<Element> set;
      for (size_t j = 0; j < std::min(kMaxElements, ranked.size()); ++j) {
        size_t k = ranked[j].second;
        covered_abs += s_abs[k];
        covered_fixed += s_fixed[k];
        covered_in_dev += s_in_dev[k];
        set.push_back(c.ElementOf(k));
        double rest = g.deviation - covered_in_dev, denom = covered_abs + rest;
        double gps = denom > 0 ? 1 - (covered_fixed + rest) / denom : 0;
        if (gps > best.score) best = {gps, int(set.size()) * c.layer(), set};
      }
      if (best.score > -1) g.per_cuboid.push_back(std::move(best));
    }
    return true;
  });

  std::vector<Element> answer;
  std::vector<std::string> seen;
  for (const Group& g : groups) {
    double top = -1;
    for (const Candidate& c : g.per_cuboid) top = std::max(top, c.score);
    if (top < kMinScore) continue;  // nothing in this group is explained by a few elements
    const Candidate* pick = nullptr;
    for (const Candidate& c : g.per_cuboid)
      if (c.score >= top - simplicity_margin &&
          (!pick || c.cost < pick->cost || (c.cost == pick->cost && c.score > pick->score)))
        pick = &c;
    for (const Element& e : pick->elements) {
      std::string key = Format(t, {e});
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      answer.push_back(e);
    }
  }
  return Format(t, answer);
}

std::string RiskLoc(const RootCauseTable& t, double risk_threshold) {
  constexpr double kMinPower = 0.02;
  constexpr size_t kMaxElements = 10;
  const size_t n = t.size();
  const double change = Total(t.expected) - Total(t.actual);
  if (change == 0) return "";
  const double sign = change > 0 ? 1 : -1;  // +1: the actual fell short of the forecast
  std::vector<double> dev(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double v = t.actual[i], f = t.expected[i];
    if (v + f > 0) dev[i] = sign * 2 * (f - v) / (f + v);
  }
  const double cutoff = NoiseCutoff(dev);
  std::vector<double> abnormal(n, 0.0), volume(t.expected), deviation(n);
  for (size_t i = 0; i < n; ++i) {
    deviation[i] = sign * (t.expected[i] - t.actual[i]);
    if (dev[i] >= cutoff) abnormal[i] = t.expected[i];
  }
  std::vector<Element> answer;
  while (answer.size() < kMaxElements) {
    struct Pick {
      std::vector<int> dims;
      size_t key = 0;
      double risk = -1, power = 0;
      int layer = 0;
    } pick;
    ForEachCuboid(t, [&](const Cuboid& c) {
      if (pick.layer && c.layer() > pick.layer) return false;  // a shallower layer has one
      std::vector<double> av = c.Sum(abnormal), vol = c.Sum(volume), dv = c.Sum(deviation);
      for (size_t k = 0; k < c.size; ++k) {
        if (!(vol[k] > 0) || av[k] <= 0) continue;
        double risk = av[k] / vol[k], power = dv[k] / std::abs(change);
        if (risk < risk_threshold || power < kMinPower) continue;
        if (risk > pick.risk || (risk == pick.risk && power > pick.power))
          pick = {c.dims, k, risk, power, c.layer()};
      }
      return true;
    });
    if (!pick.layer) break;
    Cuboid c = MakeCuboid(t, pick.dims);
    answer.push_back(c.ElementOf(pick.key));
    for (size_t i = 0; i < n; ++i)
      if (c.key[i] == pick.key) abnormal[i] = volume[i] = deviation[i] = 0;  // explained
  }
  return Format(t, answer);
}

}  // namespace vigil::bench
