// The isolation forest's trees as flat arrays, shared by fitting (isolation_tree.cc), scoring
// (forest_model.cc), attributions (tree_shap.cc) and the serialized form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vigil/learn.h"
#include "vigil/status.h"

namespace vigil::internal {

/// c(n): the mean path length of an unsuccessful search in a binary search tree of n points,
/// 2 H(n - 1) - 2 (n - 1) / n with H(i) ~ ln(i) + Euler's gamma; c(n) = 0 for n <= 1, c(2) = 1.
double AveragePathLength(double n);

/// The height limit of trees grown on psi points: ceil(log2(psi)), at least 1.
int HeightLimit(uint64_t psi);

/// One node. A tree is stored breadth-first: the k-th split node of a tree (in storage order)
/// has its children at the tree's positions 2k + 1 and 2k + 2, so a tree's shape is given by
/// which nodes are leaves, and the serialized form need not store child links.
struct IsolationNode {
  /// Axis: go left when x[feature] <= threshold. Extended: when normal . x <= threshold.
  double threshold = 0;
  /// Leaves: depth + c(size), the path length a point ending here gets. Split nodes: 0.
  double value = 0;
  /// Axis: the feature split on. Extended: the row of `normals`. -1: a leaf.
  int32_t feature = -1;
  /// Index in the forest's `nodes` of the left child; the right child is left + 1.
  uint32_t left = 0;
  /// Training points that reached the node (TreeSHAP's cover).
  uint32_t size = 0;
};

/// The nodes of one tree as grown: child links relative to the tree, normals rows relative too.
struct GrownTree {
  std::vector<IsolationNode> nodes;
  std::vector<double> normals;  // extended: features values per split node
};

struct ForestModel {
  size_t features = 0;
  int samples = 0;  // psi
  int extension_level = 0;
  std::vector<uint32_t> roots;       // first node of each tree in `nodes`
  std::vector<IsolationNode> nodes;  // every tree, one after the other
  std::vector<double> normals;       // extended splits: `features` values per split node
  double base_path_length = 0;       // mean over trees of the size-weighted mean leaf value
  double normalizer = 1;             // c(psi)
  int max_depth = 0;                 // deepest leaf, sizes TreeSHAP's buffers

  /// Appends `tree` and turns its links into forest indices.
  void Append(const GrownTree& tree);
  /// Sets every leaf value, the depth, the base path length and the normalizer from the
  /// structure and sizes. Called after fitting and after reading bytes.
  void Finish();
  /// Mean over trees of the path length of `row`.
  double PathLength(const double* row) const;
  /// Mean path lengths of rows [begin, end) of x into out[begin, end).
  void PathLengths(RowsView x, size_t begin, size_t end, double* out) const;
  /// The score of a mean path length.
  double ScoreOf(double path_length) const;
};

/// Grows one tree on the rows `sample` of x (its points; reordered in place), as
/// IsolationForest describes, with random choices from the stream `(seed, tree)`.
GrownTree GrowTree(RowsView x, std::vector<uint32_t>* sample, int extension_level, uint64_t seed,
                   uint64_t tree);

/// psi distinct rows of [0, n) drawn uniformly (Floyd's algorithm), from the stream
/// `(seed, tree)`: all rows, in order, when psi >= n.
std::vector<uint32_t> DrawSample(size_t n, size_t psi, uint64_t seed, uint64_t tree);

/// One element of TreeSHAP's path of unique features: the feature, the fractions of the
/// "feature unknown" (zero) and "feature known" (one) paths that flow through, and the
/// permutation weight.
struct ShapPathElement {
  int32_t feature = -1;
  double zero = 0;
  double one = 0;
  double weight = 0;
};

/// Exact TreeSHAP (Lundberg et al. 2018, algorithm 2) of one axis-parallel tree's leaf values
/// at `row`: adds scale * phi_i to phi[i] for each feature. Sum of the added values:
/// scale * (leaf value reached - size-weighted mean leaf value of the tree).
/// `buffer` is scratch space reused between calls.
void AddTreeShap(const ForestModel& forest, size_t tree, const double* row, double scale,
                 double* phi, std::vector<ShapPathElement>* buffer);

/// TreeSHAP's value function of one tree: the expected leaf value given the features with
/// known[i] true (splits on unknown features average their children by size).
double ConditionalTreeValue(const ForestModel& forest, size_t tree, const double* row,
                            const std::vector<bool>& known);

}  // namespace vigil::internal
