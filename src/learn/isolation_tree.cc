// Growing one isolation tree: axis-parallel splits (Liu, Ting & Zhou 2008) or random
// hyperplanes (Hariri, Kind & Brunner, extended isolation forest), breadth-first into a flat
// array.
#include <algorithm>
#include <unordered_set>

#include "learn/forest_model.h"
#include "learn/random.h"

namespace vigil::internal {

std::vector<uint32_t> DrawSample(size_t n, size_t psi, uint64_t seed, uint64_t tree) {
  std::vector<uint32_t> sample;
  if (psi >= n) {
    sample.resize(n);
    for (size_t i = 0; i < n; ++i) sample[i] = static_cast<uint32_t>(i);
    return sample;
  }
  // Floyd: for j in [n - psi, n), take a uniform t in [0, j], or j itself when t is taken;
  // every psi-subset is equally likely, with psi draws and no n-sized buffer.
  Random rng(seed, 2 * tree);
  std::unordered_set<uint32_t> taken;
  taken.reserve(psi * 2);
  sample.reserve(psi);
  for (size_t j = n - psi; j < n; ++j) {
    auto t = static_cast<uint32_t>(rng.Below(j + 1));
    if (!taken.insert(t).second) {
      t = static_cast<uint32_t>(j);
      taken.insert(t);
    }
    sample.push_back(t);
  }
  return sample;
}

namespace {

struct Span {
  uint32_t begin, end;  // positions in the sample's order
  int depth;
};

class TreeGrower {
 public:
  TreeGrower(RowsView x, std::vector<uint32_t>* sample, int extension_level, Random* rng)
      : d_(x.cols), psi_(sample->size()), extension_(extension_level), rng_(rng) {
    // The points copied feature-major, so a node's min and max scan one array per feature.
    points_.resize(d_ * psi_);
    for (size_t i = 0; i < psi_; ++i) {
      const double* row = x.row((*sample)[i]);
      for (size_t j = 0; j < d_; ++j) points_[j * psi_ + i] = row[j];
    }
    order_.resize(psi_);
    for (size_t i = 0; i < psi_; ++i) order_[i] = static_cast<uint32_t>(i);
    limit_ = HeightLimit(psi_);
  }

  GrownTree Grow() {
    GrownTree tree;
    std::vector<Span> spans;
    tree.nodes.push_back({});
    spans.push_back({0, static_cast<uint32_t>(psi_), 0});
    // Breadth-first: nodes are processed in the order they were created, so each split node
    // appends its two children right after those of the split nodes before it.
    for (size_t i = 0; i < tree.nodes.size(); ++i) {
      const Span s = spans[i];
      tree.nodes[i].size = s.end - s.begin;
      uint32_t middle = 0;
      bool split = false;
      if (s.depth < limit_ && s.end - s.begin > 1) {
        split = extension_ == 0 ? SplitOnAxis(s, &tree.nodes[i], &middle)
                                : SplitOnHyperplane(s, &tree, &tree.nodes[i], &middle);
      }
      if (!split) continue;
      tree.nodes[i].left = static_cast<uint32_t>(tree.nodes.size());
      tree.nodes.push_back({});
      tree.nodes.push_back({});
      spans.push_back({s.begin, middle, s.depth + 1});
      spans.push_back({middle, s.end, s.depth + 1});
    }
    return tree;
  }

 private:
  void MinMax(const Span& s, size_t feature, double* lo, double* hi) const {
    const double* column = points_.data() + feature * psi_;
    double a = column[order_[s.begin]], b = a;
    for (uint32_t k = s.begin + 1; k < s.end; ++k) {
      const double v = column[order_[k]];
      a = std::min(a, v);
      b = std::max(b, v);
    }
    *lo = a;
    *hi = b;
  }

  // Moves the points going left to the front of the span; returns where the right ones start.
  template <typename GoesLeft>
  uint32_t Partition(const Span& s, GoesLeft goes_left) {
    auto middle = std::partition(order_.begin() + s.begin, order_.begin() + s.end, goes_left);
    return static_cast<uint32_t>(middle - order_.begin());
  }

  // As scikit-learn's random splitter with max_features = 1: features are drawn without
  // replacement until one is not constant in the node (so the feature is uniform among the
  // non-constant ones), then a threshold uniform in [min, max). The minimum goes left and the
  // maximum right, so neither child is empty. No non-constant feature: a leaf.
  bool SplitOnAxis(const Span& s, IsolationNode* node, uint32_t* middle) {
    candidates_.resize(d_);
    for (size_t j = 0; j < d_; ++j) candidates_[j] = static_cast<uint32_t>(j);
    size_t left = d_;
    while (left > 0) {
      const size_t pick = rng_->Below(left);
      const uint32_t feature = candidates_[pick];
      double lo, hi;
      MinMax(s, feature, &lo, &hi);
      if (hi > lo) {
        const double threshold = rng_->Uniform(lo, hi);
        const double* column = points_.data() + feature * psi_;
        *middle = Partition(s, [&](uint32_t p) { return column[p] <= threshold; });
        node->feature = static_cast<int32_t>(feature);
        node->threshold = threshold;
        return true;
      }
      candidates_[pick] = candidates_[--left];
    }
    return false;
  }

  // Extended: a normal with N(0, 1) components on extension + 1 coordinates drawn without
  // replacement (zero elsewhere), through a point drawn uniformly in the node's bounding box.
  // A child may be empty (the hyperplane can pass beside every point); it is then a leaf.
  bool SplitOnHyperplane(const Span& s, GrownTree* tree, IsolationNode* node, uint32_t* middle) {
    candidates_.resize(d_);
    for (size_t j = 0; j < d_; ++j) candidates_[j] = static_cast<uint32_t>(j);
    const size_t row = tree->normals.size() / d_;
    tree->normals.resize(tree->normals.size() + d_, 0.0);
    double* w = tree->normals.data() + row * d_;
    double threshold = 0;
    const size_t used = std::min<size_t>(d_, static_cast<size_t>(extension_) + 1);
    for (size_t k = 0; k < used; ++k) {
      const size_t pick = k + rng_->Below(d_ - k);
      std::swap(candidates_[k], candidates_[pick]);
      const uint32_t feature = candidates_[k];
      double lo, hi;
      MinMax(s, feature, &lo, &hi);
      w[feature] = rng_->Normal();
      threshold += w[feature] * rng_->Uniform(lo, hi);
    }
    *middle = Partition(s, [&](uint32_t p) {
      double dot = 0;
      for (size_t j = 0; j < d_; ++j) dot += w[j] * points_[j * psi_ + p];
      return dot <= threshold;
    });
    node->feature = static_cast<int32_t>(row);
    node->threshold = threshold;
    return true;
  }

  size_t d_, psi_;
  int extension_;
  int limit_ = 1;
  Random* rng_;
  std::vector<double> points_;  // feature-major: points_[j * psi + i]
  std::vector<uint32_t> order_;
  std::vector<uint32_t> candidates_;
};

}  // namespace

GrownTree GrowTree(RowsView x, std::vector<uint32_t>* sample, int extension_level, uint64_t seed,
                   uint64_t tree) {
  Random rng(seed, 2 * tree + 1);
  TreeGrower grower(x, sample, extension_level, &rng);
  return grower.Grow();
}

}  // namespace vigil::internal
