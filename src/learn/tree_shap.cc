// Exact Shapley values of a tree's output with the TreeSHAP value function, in polynomial time:
// one pass over the tree keeps, along the current root-to-node path, the unique features split
// on and, for each subset size, the share of feature orderings that reach the node (Lundberg,
// Erion & Lee 2018, "Consistent individualized feature attribution for tree ensembles",
// algorithm 2; Lundberg et al. 2020). O(leaves * depth^2) per tree and row.
#include <algorithm>

#include "learn/forest_model.h"

namespace vigil::internal {
namespace {

using Path = ShapPathElement;

// Adds the feature (with its zero and one fractions) to a path of `length` elements, updating the
// weights of every subset size: the new feature is in the subset (one) or not (zero).
void Extend(Path* path, int length, double zero, double one, int32_t feature) {
  path[length] = {feature, zero, one, length == 0 ? 1.0 : 0.0};
  const double l1 = length + 1;
  for (int i = length - 1; i >= 0; --i) {
    path[i + 1].weight += one * path[i].weight * (i + 1) / l1;
    path[i].weight = zero * path[i].weight * (length - i) / l1;
  }
}

// Undoes Extend of element `u` of a path of `length` elements (a feature split on again further
// down: its fractions multiply instead of adding a second element).
void Unwind(Path* path, int length, int u) {
  const double one = path[u].one, zero = path[u].zero;
  double next = path[length - 1].weight;
  for (int k = length - 2; k >= 0; --k) {
    if (one != 0) {
      const double w = path[k].weight;
      path[k].weight = next * length / ((k + 1) * one);
      next = w - path[k].weight * zero * (length - 1 - k) / length;
    } else {
      path[k].weight = path[k].weight * length / (zero * (length - 1 - k));
    }
  }
  for (int k = u; k < length - 1; ++k) {
    path[k].feature = path[k + 1].feature;
    path[k].zero = path[k + 1].zero;
    path[k].one = path[k + 1].one;
  }
}

// The total weight that Unwind(path, length, u) would leave, without changing the path.
double UnwoundSum(const Path* path, int length, int u) {
  const double one = path[u].one, zero = path[u].zero;
  double next = path[length - 1].weight, total = 0;
  for (int k = length - 2; k >= 0; --k) {
    if (one != 0) {
      const double w = next * length / ((k + 1) * one);
      total += w;
      next = path[k].weight - w * zero * (length - 1 - k) / length;
    } else {
      total += path[k].weight * length / (zero * (length - 1 - k));
    }
  }
  return total;
}

class TreeShap {
 public:
  TreeShap(const ForestModel& forest, const double* row, double scale, double* phi, Path* buffer)
      : forest_(forest),
        row_(row),
        scale_(scale),
        phi_(phi),
        buffer_(buffer),
        stride_(forest.max_depth + 2) {}

  // `length` elements of this level's path were copied from the parent's; the node is reached
  // with the fractions (zero, one) of the parent's split feature (-1 at the root).
  void Recurse(uint32_t node, int level, int length, double zero, double one, int32_t feature) {
    Path* path = buffer_ + static_cast<size_t>(level) * stride_;
    Extend(path, length, zero, one, feature);
    ++length;
    const IsolationNode& n = forest_.nodes[node];
    if (n.feature < 0) {
      for (int i = 1; i < length; ++i) {
        const double w = UnwoundSum(path, length, i);
        phi_[path[i].feature] += scale_ * w * (path[i].one - path[i].zero) * n.value;
      }
      return;
    }
    const uint32_t hot = n.left + (row_[n.feature] <= n.threshold ? 0 : 1);
    const uint32_t cold = hot == n.left ? n.left + 1 : n.left;
    double incoming_zero = 1, incoming_one = 1;
    for (int k = 1; k < length; ++k) {
      if (path[k].feature == n.feature) {
        incoming_zero = path[k].zero;
        incoming_one = path[k].one;
        Unwind(path, length, k);
        --length;
        break;
      }
    }
    const double size = n.size;
    Path* next = path + stride_;
    std::copy(path, path + length, next);
    Recurse(hot, level + 1, length, incoming_zero * forest_.nodes[hot].size / size, incoming_one,
            n.feature);
    std::copy(path, path + length, next);
    Recurse(cold, level + 1, length, incoming_zero * forest_.nodes[cold].size / size, 0, n.feature);
  }

 private:
  const ForestModel& forest_;
  const double* row_;
  double scale_;
  double* phi_;
  Path* buffer_;
  size_t stride_;
};

double Conditional(const ForestModel& forest, uint32_t node, const double* row,
                   const std::vector<bool>& known) {
  const IsolationNode& n = forest.nodes[node];
  if (n.feature < 0) return n.value;
  if (known[n.feature]) {
    return Conditional(forest, n.left + (row[n.feature] <= n.threshold ? 0 : 1), row, known);
  }
  const IsolationNode& l = forest.nodes[n.left];
  const IsolationNode& r = forest.nodes[n.left + 1];
  return (l.size * Conditional(forest, n.left, row, known) +
          r.size * Conditional(forest, n.left + 1, row, known)) /
         static_cast<double>(n.size);
}

}  // namespace

void AddTreeShap(const ForestModel& forest, size_t tree, const double* row, double scale,
                 double* phi, std::vector<ShapPathElement>* buffer) {
  // One path per level, each up to max_depth + 2 elements (the root's placeholder, then at
  // most one element per split above the leaf).
  const size_t stride = static_cast<size_t>(forest.max_depth) + 2;
  if (buffer->size() < stride * stride) buffer->resize(stride * stride);
  TreeShap(forest, row, scale, phi, buffer->data()).Recurse(forest.roots[tree], 0, 0, 1, 1, -1);
}

double ConditionalTreeValue(const ForestModel& forest, size_t tree, const double* row,
                            const std::vector<bool>& known) {
  return Conditional(forest, forest.roots[tree], row, known);
}

}  // namespace vigil::internal
