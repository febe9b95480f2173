#include "learn/forest_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace vigil::internal {

double AveragePathLength(double n) {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  return 2.0 * (std::log(n - 1.0) + std::numbers::egamma) - 2.0 * (n - 1.0) / n;
}

int HeightLimit(uint64_t psi) {
  int h = 0;
  while (h < 63 && (uint64_t{1} << h) < psi) ++h;
  return std::max(h, 1);
}

void ForestModel::Append(const GrownTree& tree) {
  const auto base = static_cast<uint32_t>(nodes.size());
  const auto normal_base = static_cast<int32_t>(normals.size() / std::max<size_t>(features, 1));
  roots.push_back(base);
  for (IsolationNode n : tree.nodes) {
    if (n.feature >= 0) {
      n.left += base;
      if (extension_level > 0) n.feature += normal_base;
    }
    nodes.push_back(n);
  }
  normals.insert(normals.end(), tree.normals.begin(), tree.normals.end());
}

void ForestModel::Finish() {
  normalizer = AveragePathLength(samples);
  max_depth = 0;
  double base_sum = 0;
  std::vector<int> depth;
  for (size_t t = 0; t < roots.size(); ++t) {
    const uint32_t root = roots[t];
    const uint32_t end = t + 1 < roots.size() ? roots[t + 1] : static_cast<uint32_t>(nodes.size());
    depth.assign(end - root, 0);
    double weighted = 0;
    // Breadth-first storage: a parent precedes its children, so one pass sets every depth.
    for (uint32_t i = root; i < end; ++i) {
      IsolationNode& n = nodes[i];
      const int d = depth[i - root];
      if (n.feature >= 0) {
        depth[n.left - root] = d + 1;
        depth[n.left + 1 - root] = d + 1;
        n.value = 0;
      } else {
        n.value = d + AveragePathLength(n.size);
        max_depth = std::max(max_depth, d);
        weighted += n.value * n.size;
      }
    }
    base_sum += nodes[root].size > 0 ? weighted / nodes[root].size : 0;
  }
  base_path_length = roots.empty() ? 0 : base_sum / static_cast<double>(roots.size());
}

double ForestModel::PathLength(const double* row) const {
  double sum = 0;
  PathLengths(RowsView(row, 1, features), 0, 1, &sum);
  return sum;
}

void ForestModel::PathLengths(RowsView x, size_t begin, size_t end, double* out) const {
  // Trees outer, a block of rows inner: a tree's nodes stay in cache for the whole block. Each
  // row still adds its trees in tree order, so the sum does not depend on the blocking.
  constexpr size_t kBlock = 128;
  const IsolationNode* node = nodes.data();
  for (size_t b = begin; b < end; b += kBlock) {
    const size_t e = std::min(end, b + kBlock);
    std::fill(out + b, out + e, 0.0);
    for (const uint32_t root : roots) {
      for (size_t r = b; r < e; ++r) {
        const double* row = x.row(r);
        uint32_t i = root;
        if (extension_level == 0) {
          while (node[i].feature >= 0) {
            i = node[i].left + (row[node[i].feature] <= node[i].threshold ? 0 : 1);
          }
        } else {
          while (node[i].feature >= 0) {
            const double* w = normals.data() + static_cast<size_t>(node[i].feature) * features;
            double dot = 0;
            for (size_t j = 0; j < features; ++j) dot += w[j] * row[j];
            i = node[i].left + (dot <= node[i].threshold ? 0 : 1);
          }
        }
        out[r] += node[i].value;
      }
    }
    const double trees = static_cast<double>(roots.size());
    for (size_t r = b; r < e; ++r) out[r] /= trees;
  }
}

double ForestModel::ScoreOf(double path_length) const {
  return std::exp2(-path_length / normalizer);
}

}  // namespace vigil::internal
