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

// The slices that fix one subset of the dimensions. A slice is named by its mixed-radix key over
// the cuboid's dimensions; its running count and sum of deviations live in `n`/`sum`, indexed
// directly by key when the key space is small (dense) or through an open-addressing table.
struct Cuboid {
  uint32_t mask = 0;
  int depth = 0;
  std::vector<int> dims;  // ascending
  uint64_t size = 1;      // product of the cardinalities of `dims`
  int parent = -1;        // cuboid of `dims` without its last; -1 for a single dimension
  int top_dim = 0;        // the last of `dims`
  uint64_t stride = 1;    // size of the parent: the key weight of `top_dim`
  bool dense = false;
  std::vector<int32_t> n;
  std::vector<double> sum;
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
        n.push_back(0);
        sum.push_back(0);
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
  void ChooseDirection();
  Status BuildCuboids();
  void Aggregate();
  void Thresholds();
  bool BestCandidate(Element* best);
  std::vector<Element> Refine(Element e);
  void Remove(const Element& e, double* exclusive_dev);
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
  double Z(int32_t n, double sum) const {
    return n > 0 ? sum / (sigma_ * std::sqrt(double(n))) : 0;
  }

  const RootCauseTable& t_;
  const RootCauseOptions& o_;
  const size_t dims_;
  size_t max_depth_ = 0;
  double direction_ = 1;  // +1: explaining a rise, -1: a fall
  double sigma_ = kMinSigma;
  double total_dev_ = 0;
  std::vector<double> x_;      // signed relative deviation per cell (positive: the aggregate's way)
  std::vector<double> dev_;    // contribution of each cell to the total deviation
  std::vector<uint8_t> live_;  // not yet explained and not a zero cell
  std::vector<Cuboid> cuboids_;
  std::vector<double> threshold_;  // per depth
};

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
        if (c.n[k] <= 0) continue;
        ++count[c.depth];
        double z = Z(c.n[k], c.sum[k]);
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
  if (direction_ > 0) return;
  for (double& v : x_) v = -v;
  for (Cuboid& c : cuboids_)
    for (double& v : c.sum) v = -v;
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
      c.n.assign(c.size, 0);
      c.sum.assign(c.size, 0);
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
    const double x = x_[i];
    for (size_t q = 0; q < cuboids_.size(); ++q) {
      Cuboid& c = cuboids_[q];
      uint64_t k = (c.parent < 0 ? 0 : key[c.parent]) + codes[c.top_dim] * c.stride;
      key[q] = k;
      int64_t slot = c.FindOrInsert(k);
      c.n[slot] += 1;
      c.sum[slot] += x;
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
      if (c.n[s] <= 0) continue;
      ++count[c.depth];
      opposite[c.depth] = std::max(opposite[c.depth], -Z(c.n[s], c.sum[s]));
    }
  }
  threshold_.assign(max_depth_ + 2, std::numeric_limits<double>::infinity());
  for (size_t k = 1; k <= max_depth_; ++k) {
    double expected_max = std::sqrt(2 * std::log(std::max<double>(count[k], 2)));
    double guard = std::min(opposite[k], 2 * expected_max);
    threshold_[k] = o_.significance * std::max(expected_max, guard);
  }
}

bool Search::BestCandidate(Element* best) {
  double best_z = 0;
  int best_cuboid = -1;
  uint64_t best_key = 0;
  for (size_t q = 0; q < cuboids_.size(); ++q) {
    const Cuboid& c = cuboids_[q];
    const double t = threshold_[c.depth];
    for (size_t s = 0; s < c.slots(); ++s) {
      if (c.n[s] <= 0) continue;
      double z = Z(c.n[s], c.sum[s]);
      if (z > t && z > best_z) {
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
  std::vector<std::vector<int32_t>> n(dims_);
  std::vector<std::vector<double>> sum(dims_);
  std::vector<std::vector<double>> volume(dims_);  // expected traffic of each child
  for (size_t d = 0; d < dims_; ++d) {
    if (q.mask >> d & 1) continue;
    n[d].assign(t_.values[d].size(), 0);
    sum[d].assign(t_.values[d].size(), 0);
    volume[d].assign(t_.values[d].size(), 0);
  }
  for (size_t i = 0; i < t_.size(); ++i) {
    if (!live_[i] || !Contains(e, i)) continue;
    const uint32_t* codes = &t_.codes[i * dims_];
    double expected = std::abs(o_.ratio ? t_.expected_den[i] : t_.expected[i]);
    for (size_t d = 0; d < dims_; ++d) {
      if (q.mask >> d & 1) continue;
      n[d][codes[d]] += 1;
      sum[d][codes[d]] += x_[i];
      volume[d][codes[d]] += expected;
    }
  }
  const double t_parent = threshold_[q.depth], t_child = threshold_[q.depth + 1];
  double best_gain = e.z * e.z - t_parent * t_parent;
  int best_dim = -1;
  for (size_t d = 0; d < dims_; ++d) {
    if (q.mask >> d & 1) continue;
    double gain = 0, rest_sum = 0, shifted_sum = 0, rest_volume = 0, all_volume = 0;
    int32_t rest_n = 0, shifted_n = 0;
    for (size_t v = 0; v < n[d].size(); ++v) {
      if (n[d][v] == 0) continue;
      double z = Z(n[d][v], sum[d][v]);
      all_volume += volume[d][v];
      if (z > t_child) {
        gain += z * z - t_child * t_child;
        shifted_n += n[d][v];
        shifted_sum += sum[d][v];
      } else {
        rest_n += n[d][v];
        rest_sum += sum[d][v];
        rest_volume += volume[d][v];
      }
    }
    // The rest must look unshifted: not significant, or small beside the shifted children. And
    // it must be a real part of the slice's traffic: a few small leaves that a forecast happened
    // to match (one leaf of 1 turn in a slice of 740) do not make one cause several.
    if (rest_n == 0 || shifted_n == 0) continue;
    if (rest_volume < kRealPart * all_volume) continue;
    if (Z(rest_n, rest_sum) > kUnshifted &&
        rest_sum / rest_n > kSmallShift * shifted_sum / shifted_n)
      continue;
    if (gain > best_gain) {
      best_gain = gain;
      best_dim = int(d);
    }
  }
  if (best_dim < 0) return {e};
  // Name the children in their own cuboid and refine them in turn.
  uint32_t child_mask = q.mask | (1u << best_dim);
  int child_cuboid = -1;
  for (size_t c = 0; c < cuboids_.size(); ++c)
    if (cuboids_[c].mask == child_mask) child_cuboid = int(c);
  std::vector<Element> out;
  for (size_t v = 0; v < n[best_dim].size(); ++v) {
    double z = Z(n[best_dim][v], sum[best_dim][v]);
    if (!(z > t_child)) continue;
    Element child{child_cuboid, 0, z, {}};
    size_t k = 0;
    for (int d : cuboids_[child_cuboid].dims)
      child.codes.push_back(d == best_dim ? uint32_t(v) : e.codes[k++]);
    for (Element& r : Refine(std::move(child))) out.push_back(std::move(r));
  }
  return out;
}

void Search::Remove(const Element& e, double* exclusive_dev) {
  std::vector<uint64_t> key(cuboids_.size());
  for (size_t i = 0; i < t_.size(); ++i) {
    if (!live_[i] || !Contains(e, i)) continue;
    live_[i] = 0;
    *exclusive_dev += dev_[i];
    const uint32_t* codes = &t_.codes[i * dims_];
    for (size_t q = 0; q < cuboids_.size(); ++q) {
      Cuboid& c = cuboids_[q];
      uint64_t k = (c.parent < 0 ? 0 : key[c.parent]) + codes[c.top_dim] * c.stride;
      key[q] = k;
      int64_t slot = c.Find(k);
      c.n[slot] -= 1;
      c.sum[slot] -= x_[i];
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
  while (chosen.size() < o_.max_elements) {
    Thresholds();
    Element best;
    if (!BestCandidate(&best)) break;
    for (Element& e : Refine(std::move(best))) {
      double dev = 0;
      Remove(e, &dev);
      exclusive.push_back(dev);
      chosen.push_back(std::move(e));
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
