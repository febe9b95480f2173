// Root-cause localization over leaf cells: a greedy search for the slices whose cells share a
// significant shift in the direction of the aggregate's deviation. The method and its evaluation
// are in docs/root_cause.md; the comments here say why the code is shaped the way it is.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/explain.h"

namespace vigil {
namespace {

// Relative deviations below this are treated as exact agreement (floating-point dust).
constexpr double kMinSigma = 1e-6;
// Children whose combined score stays below this many noise deviations count as unshifted.
constexpr double kUnshifted = 2.0;
// ... or whose mean shift is below this share of the shifted children's.
constexpr double kSmallShift = 0.2;
// Children without a shift must hold at least this share of a slice's expected traffic to split it.
constexpr double kRealPart = 0.1;
// Side noise scales within this ratio are taken as one symmetric noise.
constexpr double kSidesAgree = 1.3;
// Beyond this many dimensions a search over every depth costs 2^dims per cell; cap the depth.
constexpr size_t kAllDepthsUpTo = 8;
constexpr size_t kCappedDepth = 4;
constexpr size_t kMaxDimensions = 24;
// Against a reference: a slice's reference share counts as this many more events of the whole
// table's share, so a slice with little or no past (a new build) is judged against the whole.
constexpr double kPriorEvents = 50;

// What a slice accumulates from its cells: their number and summed deviations (the cell-by-cell
// test), and their totals now and in the reference window (the test against the reference).
struct Sums {
  int32_t n = 0;
  double sum = 0;
  double now = 0, now_den = 0, ref = 0, ref_den = 0;

  void Add(const Sums& o, double sign = 1) {
    n += static_cast<int32_t>(sign) * o.n;
    sum += sign * o.sum;
    now += sign * o.now;
    now_den += sign * o.now_den;
    ref += sign * o.ref;
    ref_den += sign * o.ref_den;
  }
};

// The slices that fix one subset of the dimensions. A slice is named by its mixed-radix key over
// the cuboid's dimensions; its running sums live in `sums`, indexed directly by key when the key
// space is small (dense) or through an open-addressing table.
struct Cuboid {
  uint32_t mask = 0;
  int depth = 0;
  std::vector<int> dims;  // ascending
  uint64_t size = 1;      // product of the cardinalities of `dims`
  int parent = -1;        // cuboid of `dims` without its last; -1 for a single dimension
  int top_dim = 0;        // the last of `dims`
  uint64_t stride = 1;    // size of the parent: the key weight of `top_dim`
  bool dense = false;
  std::vector<Sums> sums;
  std::vector<uint64_t> keys;  // sparse: slot -> key
  std::vector<int32_t> table;  // sparse: hash -> slot, -1 when empty
  int shift = 64;

  size_t slots() const { return dense ? size : keys.size(); }
  uint64_t KeyOfSlot(size_t slot) const { return dense ? slot : keys[slot]; }

  size_t Hash(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift; }

  int64_t Find(uint64_t key) const {
    if (dense) return static_cast<int64_t>(key);
    for (size_t h = Hash(key);; h = (h + 1) & (table.size() - 1)) {
      if (table[h] < 0) return -1;
      if (keys[table[h]] == key) return table[h];
    }
  }

  int64_t FindOrInsert(uint64_t key) {
    if (dense) return static_cast<int64_t>(key);
    for (size_t h = Hash(key);; h = (h + 1) & (table.size() - 1)) {
      if (table[h] < 0) {
        table[h] = static_cast<int32_t>(keys.size());
        keys.push_back(key);
        sums.emplace_back();
        return table[h];
      }
      if (keys[table[h]] == key) return table[h];
    }
  }
};

// A slice under consideration: its cuboid, key and the per-dimension codes it fixes.
struct Element {
  int cuboid = -1;
  uint64_t key = 0;
  double z = 0;
  std::vector<uint32_t> codes;  // one per dimension of the cuboid
};

class Search {
 public:
  Search(const RootCauseTable& t, const RootCauseOptions& o)
      : t_(t), o_(o), dims_(t.dimensions.size()) {}

  Result<std::vector<RootCause>> Run();

 private:
  void ComputeDeviations();
  void ReferenceSums();
  void ChooseDirection();
  Status BuildCuboids();
  void Aggregate();
  void Thresholds();
  bool BestCandidate(Element* best);
  std::vector<Element> Refine(Element e);
  Element Generalize(Element e) const;
  int CuboidOf(uint32_t mask) const;
  void Remove(const Element& e, double* exclusive_dev, Sums* claimed);
  bool Contains(const Element& e, size_t leaf) const {
    const uint32_t* c = &t_.codes[leaf * dims_];
    const Cuboid& q = cuboids_[e.cuboid];
    for (size_t k = 0; k < q.dims.size(); ++k)
      if (c[q.dims[k]] != e.codes[k]) return false;
    return true;
  }
  Element Decode(int cuboid, uint64_t key, double z) const {
    Element e{cuboid, key, z, {}};
    for (int d : cuboids_[cuboid].dims) {
      uint64_t card = t_.values[d].size();
      e.codes.push_back(static_cast<uint32_t>(key % card));
      key /= card;
    }
    return e;
  }
  // Evidence of a shift in the explained direction, in noise standard deviations.
  double Z(const Sums& s) const {
    if (s.n <= 0) return 0;
    if (!o_.against_reference) return direction_ * s.sum / (sigma_ * std::sqrt(double(s.n)));
    return direction_ * ReferenceZ(s);
  }
  double ReferenceZ(const Sums& s) const;
  // Against a reference: evidence, in standard deviations, that `s` moved by less than `shift`
  // (its relative change); negative when it did.
  // The rest of a slice looks unshifted beside its shifted part: not significant, or small beside
  // it. Against a reference a sparse rest is seldom significant either way, so it must also be
  // shown to have moved less than the shifted part (succinct until the data say otherwise).
  bool Unshifted(const Sums& rest, const Sums& shifted) const {
    if (Z(rest) > kUnshifted && Shift(rest) > kSmallShift * Shift(shifted)) return false;
    return !o_.against_reference || LessShifted(rest, Shift(shifted)) < -kUnshifted;
  }
  double LessShifted(const Sums& s, double shift) const {
    const Expected e = Expect(s);
    double scaled = e.value * (1 + direction_ * shift);
    if (o_.ratio && s.now_den > 0) scaled = std::clamp(scaled, 0.0, s.now_den);
    double sd = std::sqrt(std::max(o_.ratio && s.now_den > 0
                                       ? scaled * (1 - scaled / s.now_den) + e.variance
                                       : std::abs(scaled) + e.variance,
                                   kMinSigma));
    return direction_ * (s.now - scaled) / sd;
  }
  // The mean shift of a slice's cells: their mean deviation, or the relative change of the
  // slice's total against its reference.
  double Shift(const Sums& s) const {
    if (s.n <= 0) return 0;
    if (!o_.against_reference) return direction_ * s.sum / s.n;
    const double expected = Expect(s).value;
    return direction_ * (s.now - expected) / std::max(std::abs(expected), kMinSigma);
  }
  // Against a reference: a slice's expected total now, and the variance of (now - expected).
  struct Expected {
    double value = 0, variance = 0;
  };
  Expected Expect(const Sums& s) const;
  // Against a reference: what the slice holds beyond its expectation, in the explained direction.
  double Excess(const Sums& s) const { return direction_ * (s.now - Expect(s).value); }

  const RootCauseTable& t_;
  const RootCauseOptions& o_;
  const size_t dims_;
  size_t max_depth_ = 0;
  double direction_ = 1;  // +1: explaining a rise, -1: a fall
  double sigma_ = kMinSigma;
  double total_dev_ = 0;
  double reference_share_ = 0;  // against a reference: the whole table's ratio then
  double level_ = 1;            // ... or its total now over then
  std::vector<Sums> leaf_;      // each cell's own sums
  std::vector<double> x_;      // signed relative deviation per cell (positive: the aggregate's way)
  std::vector<double> dev_;    // contribution of each cell to the total deviation
  std::vector<uint8_t> live_;  // not yet explained and not a zero cell
  std::vector<Cuboid> cuboids_;
  std::vector<double> threshold_;  // per depth
};

// Against a reference every cell with traffic in either window is evidence (a cell that falls
// to zero most of all), and the whole table's ratio or level is what a slice without a past of
// its own is expected to follow.
void Search::ReferenceSums() {
  const size_t n = t_.size();
  const bool ratio = o_.ratio;
  double now = 0, ref = 0, ref_den = 0, expected = 0, expected_den = 0;
  for (size_t i = 0; i < n; ++i) {
    Sums c{1,
           0,
           t_.actual[i],
           ratio ? t_.actual_den[i] : 0,
           t_.reference[i],
           ratio ? t_.reference_den[i] : 0};
    bool finite = std::isfinite(c.now) && std::isfinite(c.now_den) && std::isfinite(c.ref) &&
                  std::isfinite(c.ref_den);
    bool traffic = ratio ? c.now_den > 0 || c.ref_den > 0 : c.now > 0 || c.ref > 0;
    live_[i] = finite && traffic && c.now >= 0 && c.ref >= 0 && c.now_den >= 0 && c.ref_den >= 0;
    if (!live_[i]) continue;
    leaf_[i] = c;
    now += c.now;
    ref += c.ref;
    ref_den += c.ref_den;
    expected += t_.expected[i];
    if (ratio) expected_den += t_.expected_den[i];
  }
  if (ratio) {
    reference_share_ = ref_den > 0 ? ref / ref_den : expected_den > 0 ? expected / expected_den : 0;
  } else {
    level_ = ref > 0 ? now / ref : 1;
  }
  sigma_ = 1;
}

// A ratio is a proportion: the slice's share now against its reference share (shrunk towards the
// whole table's by kPriorEvents), with the binomial variance of both windows. A count is Poisson
// in both windows, the reference scaled by the table's level.
Search::Expected Search::Expect(const Sums& s) const {
  if (o_.ratio) {
    double m = s.ref_den + kPriorEvents;
    double p = std::clamp((s.ref + kPriorEvents * reference_share_) / m, 0.5 / m, 1 - 0.5 / m);
    return {s.now_den * p, std::max(s.now_den * p * (1 - p) * (1 + s.now_den / m), kMinSigma)};
  }
  return {level_ * s.ref, s.now + level_ * level_ * s.ref + level_};
}

// The signed root of the likelihood-ratio statistic of "now and the reference share one rate":
// unlike (observed - expected) / sd, it stays calibrated for slices of a few events, where a
// single event beyond the threshold would otherwise read as four standard deviations.
double Search::ReferenceZ(const Sums& s) const {
  auto xlogx = [](double o, double e) { return o > 0 && e > 0 ? o * std::log(o / e) : 0.0; };
  double g2 = 0, sign = 0;
  if (o_.ratio) {
    double m = s.ref_den + kPriorEvents;
    double r = s.ref + kPriorEvents * reference_share_;
    double pooled = (s.now + r) / (s.now_den + m);
    g2 =
        2 * (xlogx(s.now, s.now_den * pooled) + xlogx(s.now_den - s.now, s.now_den * (1 - pooled)) +
             xlogx(r, m * pooled) + xlogx(m - r, m * (1 - pooled)));
    sign = s.now_den > 0 ? s.now / s.now_den - r / m : 0;
  } else {
    double both = s.now + s.ref, share_now = level_ / (1 + level_);
    g2 = 2 * (xlogx(s.now, both * share_now) + xlogx(s.ref, both * (1 - share_now)));
    sign = s.now - level_ * s.ref;
  }
  double z = std::sqrt(std::max(g2, 0.0));
  return sign > 0 ? z : sign < 0 ? -z : 0;
}

void Search::ComputeDeviations() {
  const size_t n = t_.size();
  const bool ratio = o_.ratio;
  x_.assign(n, 0);
  dev_.assign(n, 0);
  live_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    double a = t_.actual[i], e = t_.expected[i];
    if (ratio) {
      double ad = t_.actual_den[i], ed = t_.expected_den[i];
      if (!(ed > 0)) continue;  // no expected rate: the cell carries no evidence
      double expected_rate = e / ed;
      dev_[i] = a - expected_rate * ad;
      if (!(ad > 0)) continue;
      a = a / ad;
      e = expected_rate;
    } else {
      dev_[i] = a - e;
    }
    double scale = std::abs(a) + std::abs(e);
    if (!(scale > 0) || !std::isfinite(scale)) continue;
    x_[i] = 2 * (a - e) / scale;
    live_[i] = 1;
  }
  for (double d : dev_) total_dev_ += d;
  leaf_.assign(n, Sums{});
  if (o_.against_reference) {
    ReferenceSums();
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    if (live_[i]) leaf_[i] = Sums{1, x_[i], 0, 0, 0, 0};
  }

  // Noise scale from the half-normal median of |x|. Anomalies push one side only: when the two
  // sides disagree, the quieter side is the noise; when they agree, all cells are pooled (less
  // variance, no downward bias from taking a minimum). Exact agreements count on both sides.
  std::vector<double> pos, neg, all;
  for (size_t i = 0; i < n; ++i) {
    if (!live_[i]) continue;
    all.push_back(std::abs(x_[i]));
    if (x_[i] >= 0) pos.push_back(x_[i]);
    if (x_[i] <= 0) neg.push_back(-x_[i]);
  }
  auto half_normal_sigma = [](std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::infinity();
    auto mid = v.begin() + v.size() / 2;
    std::nth_element(v.begin(), mid, v.end());
    return *mid / 0.6744897501960817;
  };
  const double sp = half_normal_sigma(pos), sn = half_normal_sigma(neg);
  const double lo = std::min(sp, sn), hi = std::max(sp, sn);
  double s = hi <= kSidesAgree * lo ? half_normal_sigma(all) : lo;
  sigma_ = std::isfinite(s) ? std::max(s, kMinSigma) : kMinSigma;
}

// The direction to explain: the caller's, or the one whose strongest slice stands out more from
// what noise reaches (the aggregate's sign can be swamped by noise when the anomaly is small).
void Search::ChooseDirection() {
  if (o_.direction != 0) {
    direction_ = o_.direction > 0 ? 1 : -1;
  } else {
    std::vector<size_t> count(max_depth_ + 1, 0);
    std::vector<double> up(max_depth_ + 1, 0), down(max_depth_ + 1, 0);
    for (const Cuboid& c : cuboids_)
      for (size_t k = 0; k < c.slots(); ++k) {
        if (c.sums[k].n <= 0) continue;
        ++count[c.depth];
        double z = Z(c.sums[k]);
        up[c.depth] = std::max(up[c.depth], z);
        down[c.depth] = std::max(down[c.depth], -z);
      }
    double best_up = 0, best_down = 0;
    for (size_t k = 1; k <= max_depth_; ++k) {
      double noise_max = std::sqrt(2 * std::log(std::max<double>(count[k], 2)));
      best_up = std::max(best_up, up[k] / noise_max);
      best_down = std::max(best_down, down[k] / noise_max);
    }
    direction_ = best_up > best_down || (best_up == best_down && total_dev_ >= 0) ? 1 : -1;
  }
}

Status Search::BuildCuboids() {
  max_depth_ = o_.max_depth ? std::min(o_.max_depth, dims_)
                            : (dims_ <= kAllDepthsUpTo ? dims_ : kCappedDepth);
  std::vector<int> index(size_t(1) << dims_, -1);
  size_t live = std::count(live_.begin(), live_.end(), 1);
  uint64_t dense_cap = std::max<uint64_t>(4 * live, 1 << 16);

  for (uint32_t mask = 1; mask < (1u << dims_); ++mask) {
    int depth = __builtin_popcount(mask);
    if (size_t(depth) > max_depth_) continue;
    Cuboid c;
    c.mask = mask;
    c.depth = depth;
    for (size_t d = 0; d < dims_; ++d)
      if (mask >> d & 1) c.dims.push_back(int(d));
    c.top_dim = c.dims.back();
    uint32_t parent_mask = mask & ~(1u << c.top_dim);
    c.parent = parent_mask ? index[parent_mask] : -1;
    c.stride = parent_mask ? cuboids_[c.parent].size : 1;
    uint64_t card = std::max<size_t>(t_.values[c.top_dim].size(), 1);
    if (c.stride > std::numeric_limits<uint64_t>::max() / card)
      return LimitExceeded("root-cause search: too many dimension values to index slices");
    c.size = c.stride * card;
    c.dense = c.size <= dense_cap;
    if (c.dense) {
      c.sums.assign(c.size, Sums{});
    } else {
      size_t cap = 16;
      while (cap < 2 * live) cap <<= 1;
      c.table.assign(cap, -1);
      c.shift = 64 - __builtin_ctzll(cap);
    }
    index[mask] = int(cuboids_.size());
    cuboids_.push_back(std::move(c));
  }
  return Status::Ok();
}

void Search::Aggregate() {
  std::vector<uint64_t> key(cuboids_.size());
  for (size_t i = 0; i < t_.size(); ++i) {
    if (!live_[i]) continue;
    const uint32_t* codes = &t_.codes[i * dims_];
    for (size_t q = 0; q < cuboids_.size(); ++q) {
      Cuboid& c = cuboids_[q];
      uint64_t k = (c.parent < 0 ? 0 : key[c.parent]) + codes[c.top_dim] * c.stride;
      key[q] = k;
      c.sums[c.FindOrInsert(k)].Add(leaf_[i]);
    }
  }
}

// The largest score that noise alone reaches among the M_k slices of depth k: the expected
// maximum of M_k standard normals, raised to the largest score against the aggregate's direction
// (noise is symmetric, anomalies are not) when the data have heavier tails than normal; that
// guard is capped so that genuine opposite movements cannot mask the anomaly.
void Search::Thresholds() {
  std::vector<size_t> count(max_depth_ + 1, 0);
  std::vector<double> opposite(max_depth_ + 1, 0);
  for (const Cuboid& c : cuboids_) {
    for (size_t s = 0; s < c.slots(); ++s) {
      if (c.sums[s].n <= 0) continue;
      ++count[c.depth];
      opposite[c.depth] = std::max(opposite[c.depth], -Z(c.sums[s]));
    }
  }
  threshold_.assign(max_depth_ + 2, std::numeric_limits<double>::infinity());
  for (size_t k = 1; k <= max_depth_; ++k) {
    double expected_max = std::sqrt(2 * std::log(std::max<double>(count[k], 2)));
    double guard = std::min(opposite[k], 2 * expected_max);
    threshold_[k] = o_.significance * std::max(expected_max, guard);
  }
}

// Cell by cell, the most significant slice: its score is its cells' mean shift, so it is large
// for the slice that gathers the shifted cells. Against a reference, significance also grows with
// a slice's traffic (a tenth of a big region's turns shifted can outscore a new build whose every
// turn is), so among the significant slices the one that carries the most excess is taken.
bool Search::BestCandidate(Element* best) {
  double best_rank = 0, best_z = 0;
  int best_cuboid = -1;
  uint64_t best_key = 0;
  for (size_t q = 0; q < cuboids_.size(); ++q) {
    const Cuboid& c = cuboids_[q];
    const double t = threshold_[c.depth];
    for (size_t s = 0; s < c.slots(); ++s) {
      if (c.sums[s].n <= 0) continue;
      double z = Z(c.sums[s]);
      if (!(z > t)) continue;
      double rank = o_.against_reference ? Excess(c.sums[s]) : z;
      if (rank > best_rank) {
        best_rank = rank;
        best_z = z;
        best_cuboid = int(q);
        best_key = c.KeyOfSlot(s);
      }
    }
  }
  if (best_cuboid < 0) return false;
  *best = Decode(best_cuboid, best_key, best_z);
  return true;
}

// A slice that covers several anomalous children and many normal ones can outscore each child.
// Split it along one more dimension when (1) some children show no shift at all (together they
// are consistent with noise) and (2) the shifted children carry more evidence beyond their
// thresholds than the parent does beyond its own (a penalized likelihood: each element pays
// threshold^2). A parent whose children are all shifted, even by different amounts, stays whole.
std::vector<Element> Search::Refine(Element e) {
  const Cuboid& q = cuboids_[e.cuboid];
  if (size_t(q.depth) >= max_depth_) return {e};
  std::vector<std::vector<Sums>> children(dims_);
  std::vector<std::vector<double>> volume(dims_);  // expected traffic of each child
  for (size_t d = 0; d < dims_; ++d) {
    if (q.mask >> d & 1) continue;
    children[d].assign(t_.values[d].size(), Sums{});
    volume[d].assign(t_.values[d].size(), 0);
  }
  for (size_t i = 0; i < t_.size(); ++i) {
    if (!live_[i] || !Contains(e, i)) continue;
    const uint32_t* codes = &t_.codes[i * dims_];
    double expected = std::abs(o_.ratio ? t_.expected_den[i] : t_.expected[i]);
    for (size_t d = 0; d < dims_; ++d) {
      if (q.mask >> d & 1) continue;
      children[d][codes[d]].Add(leaf_[i]);
      volume[d][codes[d]] += expected;
    }
  }
  const double t_parent = threshold_[q.depth], t_child = threshold_[q.depth + 1];
  double best_gain = o_.against_reference ? -std::numeric_limits<double>::infinity()
                                          : e.z * e.z - t_parent * t_parent;
  int best_dim = -1;
  for (size_t d = 0; d < dims_; ++d) {
    if (q.mask >> d & 1) continue;
    double gain = 0, rest_volume = 0, all_volume = 0;
    Sums rest, shifted;
    for (size_t v = 0; v < children[d].size(); ++v) {
      if (children[d][v].n == 0) continue;
      double z = Z(children[d][v]);
      all_volume += volume[d][v];
      if (z > t_child) {
        gain += z * z - t_child * t_child;
        shifted.Add(children[d][v]);
      } else {
        rest.Add(children[d][v]);
        rest_volume += volume[d][v];
      }
    }
    // The rest must look unshifted: not significant, or small beside the shifted children. And
    // it must be a real part of the slice's traffic: a few small leaves that a forecast happened
    // to match (one leaf of 1 turn in a slice of 740) do not make one cause several.
    if (rest.n == 0 || shifted.n == 0) continue;
    if (rest_volume < kRealPart * all_volume) continue;
    if (!Unshifted(rest, shifted)) continue;
    // Against a reference the parent's significance grows with its unshifted traffic, so it is
    // no measure of the children's: the split goes along the dimension whose shifted children
    // keep most excess.
    if (o_.against_reference) gain = Excess(shifted) - Excess(rest);
    if (gain > best_gain) {
      best_gain = gain;
      best_dim = int(d);
    }
  }
  if (best_dim < 0) return {e};
  // Name the children in their own cuboid and refine them in turn.
  int child_cuboid = CuboidOf(q.mask | (1u << best_dim));
  std::vector<Element> out;
  for (size_t v = 0; v < children[best_dim].size(); ++v) {
    double z = Z(children[best_dim][v]);
    if (!(z > t_child)) continue;
    Element child{child_cuboid, 0, z, {}};
    size_t k = 0;
    for (int d : cuboids_[child_cuboid].dims)
      child.codes.push_back(d == best_dim ? uint32_t(v) : e.codes[k++]);
    for (Element& r : Refine(std::move(child))) out.push_back(std::move(r));
  }
  return out;
}

// Correlated dimensions name one set of cells twice: `model=m2` and `model=m2 & region=r3` when m2
// runs only in r3. A refined element drops a dimension when the wider slice adds less than
// kRealPart of its own traffic (the mirror of rule (iii) of Refine), so the most succinct name
// of the cells is reported.
Element Search::Generalize(Element e) const {
  for (bool widened = true; widened && cuboids_[e.cuboid].depth > 1;) {
    widened = false;
    const Cuboid& q = cuboids_[e.cuboid];
    for (size_t j = 0; j < q.dims.size() && !widened; ++j) {
      Element wider{CuboidOf(q.mask & ~(1u << q.dims[j])), 0, e.z, {}};
      for (size_t k = 0; k < q.dims.size(); ++k)
        if (k != j) wider.codes.push_back(e.codes[k]);
      double inside = 0, outside = 0;
      for (size_t i = 0; i < t_.size(); ++i) {
        if (!live_[i] || !Contains(wider, i)) continue;
        double volume = std::abs(o_.ratio ? t_.expected_den[i] : t_.expected[i]);
        (Contains(e, i) ? inside : outside) += volume;
      }
      if (inside > 0 && outside < kRealPart * (inside + outside)) {
        e = std::move(wider);
        widened = true;
      }
    }
  }
  return e;
}

int Search::CuboidOf(uint32_t mask) const {
  for (size_t c = 0; c < cuboids_.size(); ++c)
    if (cuboids_[c].mask == mask) return int(c);
  return -1;
}

void Search::Remove(const Element& e, double* exclusive_dev, Sums* claimed) {
  std::vector<uint64_t> key(cuboids_.size());
  for (size_t i = 0; i < t_.size(); ++i) {
    if (!live_[i] || !Contains(e, i)) continue;
    live_[i] = 0;
    *exclusive_dev += dev_[i];
    claimed->Add(leaf_[i]);
    const uint32_t* codes = &t_.codes[i * dims_];
    for (size_t q = 0; q < cuboids_.size(); ++q) {
      Cuboid& c = cuboids_[q];
      uint64_t k = (c.parent < 0 ? 0 : key[c.parent]) + codes[c.top_dim] * c.stride;
      key[q] = k;
      c.sums[c.Find(k)].Add(leaf_[i], -1);
    }
  }
}

Result<std::vector<RootCause>> Search::Run() {
  ComputeDeviations();
  VIGIL_RETURN_IF_ERROR(BuildCuboids());
  Aggregate();
  ChooseDirection();
  // Greedy: the most significant slice (split when its children say so), its cells removed from
  // every aggregate, thresholds recomputed on what is left.
  std::vector<Element> chosen;
  std::vector<double> exclusive;
  Sums everything, claimed;
  for (size_t i = 0; i < t_.size(); ++i)
    if (live_[i]) everything.Add(leaf_[i]);
  while (chosen.size() < o_.max_elements) {
    Thresholds();
    Element best;
    if (!BestCandidate(&best)) break;
    for (Element& refined : Refine(std::move(best))) {
      // Cell by cell, a deeper element already had to beat its wider parent on the scores of the
      // same cells; widening by traffic would merge causes whose other leaves are merely small.
      Element e = o_.against_reference ? Generalize(std::move(refined)) : std::move(refined);
      double dev = 0;
      Remove(e, &dev, &claimed);
      exclusive.push_back(dev);
      chosen.push_back(std::move(e));
    }
  }
  if (o_.against_reference && !chosen.empty()) {
    // What the elements leave is the test of "leaves nothing unexplained": when it is shifted
    // too, as much as they are, or when they leave almost nothing, the shift is the whole
    // table's (the caller's own slice), and the elements were only its largest parts.
    Sums rest = everything;
    rest.Add(claimed, -1);
    auto traffic = [&](const Sums& x) { return o_.ratio ? x.now_den + x.ref_den : x.now + x.ref; };
    bool rest_shifted = !Unshifted(rest, claimed);
    if (rest_shifted || traffic(rest) < kRealPart * traffic(everything)) {
      chosen.clear();
      exclusive.clear();
      RootCause whole;
      whole.explained_fraction = 1;
      whole.score = Z(everything);
      const double expected = Expect(everything).value;
      whole.actual = o_.ratio ? (everything.now_den > 0 ? everything.now / everything.now_den : 0)
                              : everything.now;
      whole.expected =
          o_.ratio ? (everything.now_den > 0 ? expected / everything.now_den : 0) : expected;
      return std::vector<RootCause>{whole};
    }
  }

  // Totals over every cell of each chosen slice.
  const bool ratio = o_.ratio;
  std::vector<double> a(chosen.size()), e(chosen.size()), ad(chosen.size()), ed(chosen.size());
  for (size_t i = 0; i < t_.size(); ++i) {
    for (size_t c = 0; c < chosen.size(); ++c) {
      if (!Contains(chosen[c], i)) continue;
      a[c] += t_.actual[i];
      e[c] += t_.expected[i];
      if (ratio) {
        ad[c] += t_.actual_den[i];
        ed[c] += t_.expected_den[i];
      }
    }
  }
  // Shares of the deviation in the explained direction: of the aggregate's, or of the chosen
  // slices' own when noise elsewhere cancels part of it.
  double explained_total = direction_ * total_dev_;
  double chosen_total = 0;
  for (double d : exclusive) chosen_total += std::max(direction_ * d, 0.0);
  explained_total = std::max(explained_total, chosen_total);
  std::vector<RootCause> out;
  for (size_t c = 0; c < chosen.size(); ++c) {
    RootCause rc;
    const Cuboid& q = cuboids_[chosen[c].cuboid];
    for (size_t k = 0; k < q.dims.size(); ++k)
      rc.slice.emplace_back(t_.dimensions[q.dims[k]], t_.values[q.dims[k]][chosen[c].codes[k]]);
    double share = explained_total > 0 ? direction_ * exclusive[c] / explained_total : 0;
    rc.explained_fraction = std::isfinite(share) ? std::clamp(share, 0.0, 1.0) : 0.0;
    rc.actual = ratio ? (ad[c] > 0 ? a[c] / ad[c] : 0) : a[c];
    rc.expected = ratio ? (ed[c] > 0 ? e[c] / ed[c] : 0) : e[c];
    rc.score = chosen[c].z;
    if (rc.explained_fraction < o_.min_explained_fraction) continue;
    out.push_back(std::move(rc));
  }
  std::stable_sort(out.begin(), out.end(), [](const RootCause& l, const RootCause& r) {
    if (l.explained_fraction != r.explained_fraction)
      return l.explained_fraction > r.explained_fraction;
    return l.score > r.score;
  });
  if (out.size() > o_.max_elements) out.resize(o_.max_elements);
  return out;
}

}  // namespace

Result<std::vector<RootCause>> LocalizeRootCauses(const RootCauseTable& table,
                                                  const RootCauseOptions& options) {
  const size_t dims = table.dimensions.size();
  if (dims == 0) return InvalidArgument("root-cause search needs at least one dimension");
  if (dims > kMaxDimensions)
    return InvalidArgument("root-cause search supports at most " + std::to_string(kMaxDimensions) +
                           " dimensions");
  if (table.values.size() != dims)
    return InvalidArgument("root-cause table: one value list per dimension expected");
  const size_t n = table.actual.size();
  if (table.expected.size() != n || table.codes.size() != n * dims)
    return InvalidArgument("root-cause table: columns differ in length");
  if (options.ratio && (table.actual_den.size() != n || table.expected_den.size() != n))
    return InvalidArgument(
        "root-cause table: a ratio measure needs both denominators for every cell");
  if (options.against_reference &&
      (table.reference.size() != n || (options.ratio && table.reference_den.size() != n)))
    return InvalidArgument(
        "root-cause table: a search against a reference needs its value for every cell");
  for (size_t i = 0; i < n; ++i)
    for (size_t d = 0; d < dims; ++d)
      if (table.codes[i * dims + d] >= table.values[d].size())
        return InvalidArgument("root-cause table: cell " + std::to_string(i) +
                               " has an unknown value of '" + table.dimensions[d] + "'");
  if (n == 0) return std::vector<RootCause>{};
  Search search(table, options);
  return search.Run();
}

Result<std::vector<RootCause>> LocalizeRootCauses(const std::vector<std::string>& dimensions,
                                                  const std::vector<RootCauseCell>& cells,
                                                  const RootCauseOptions& options) {
  RootCauseTable t;
  t.dimensions = dimensions;
  const size_t dims = dimensions.size();
  t.values.resize(dims);
  std::vector<std::unordered_map<std::string, uint32_t>> index(dims);
  t.codes.reserve(cells.size() * dims);
  t.actual.reserve(cells.size());
  t.expected.reserve(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    const RootCauseCell& c = cells[i];
    if (c.values.size() != dims)
      return InvalidArgument("root-cause cell " + std::to_string(i) + " has " +
                             std::to_string(c.values.size()) + " values for " +
                             std::to_string(dims) + " dimensions");
    for (size_t d = 0; d < dims; ++d) {
      auto [it, added] = index[d].try_emplace(c.values[d], uint32_t(t.values[d].size()));
      if (added) t.values[d].push_back(c.values[d]);
      t.codes.push_back(it->second);
    }
    t.actual.push_back(c.actual);
    t.expected.push_back(c.expected);
    if (options.ratio) {
      t.actual_den.push_back(c.actual_den);
      t.expected_den.push_back(c.expected_den);
    }
    if (options.against_reference) {
      t.reference.push_back(c.reference);
      if (options.ratio) t.reference_den.push_back(c.reference_den);
    }
  }
  return LocalizeRootCauses(t, options);
}

std::string FormatRootCauseSet(const std::vector<RootCause>& causes) {
  std::string out;
  for (size_t i = 0; i < causes.size(); ++i) {
    std::vector<std::string> parts;
    for (const auto& [dim, value] : causes[i].slice) parts.push_back(dim + "=" + value);
    std::sort(parts.begin(), parts.end());
    if (i) out += ';';
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k) out += '&';
      out += parts[k];
    }
  }
  return out;
}

}  // namespace vigil
