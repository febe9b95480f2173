// Test data for the outlier models: correlated inliers in two clusters with outliers planted
// where no inlier lies, and the ROC AUC of scores against the planted labels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "vigil/learn.h"

namespace vigil::testing {

struct Planted {
  std::vector<double> x;   // rows x cols, row-major
  std::vector<int> label;  // 1: planted outlier
  size_t cols = 0;
  RowsView view() const { return RowsView(x, cols); }
  size_t rows() const { return label.size(); }
};

/// `inliers` points from two Gaussian clusters whose features follow a shared factor (so a point
/// can be unusual only jointly), and `outliers` points of three kinds: far out on one feature,
/// uniform in a wide box, and breaking the correlation while every feature stays in range.
/// Outliers are shuffled among the inliers.
inline Planted MakePlanted(size_t inliers, size_t outliers, size_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(-8, 8);
  Planted p;
  p.cols = cols;
  std::vector<std::pair<std::vector<double>, int>> rows;
  for (size_t i = 0; i < inliers; ++i) {
    const double center = i % 3 == 0 ? 4.0 : 0.0;
    const double factor = normal(rng);
    std::vector<double> r(cols);
    for (size_t j = 0; j < cols; ++j) r[j] = center + factor + 0.3 * normal(rng);
    rows.emplace_back(std::move(r), 0);
  }
  for (size_t i = 0; i < outliers; ++i) {
    std::vector<double> r(cols);
    const double factor = normal(rng);
    for (size_t j = 0; j < cols; ++j) r[j] = factor + 0.3 * normal(rng);
    switch (i % 3) {
      case 0:
        r[i % cols] += (i % 2 ? 1 : -1) * 6.0;
        break;
      case 1:
        for (double& v : r) v = uniform(rng);
        break;
      default:
        for (size_t j = 0; j < cols; ++j) r[j] = (j % 2 ? 1.5 : -1.5) + 0.2 * normal(rng);
    }
    rows.emplace_back(std::move(r), 1);
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  for (auto& [r, l] : rows) {
    p.x.insert(p.x.end(), r.begin(), r.end());
    p.label.push_back(l);
  }
  return p;
}

/// Area under the ROC curve of `scores` (higher: more abnormal) against `labels` (1 abnormal),
/// counting ties as one half (the Mann-Whitney statistic).
inline double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<size_t> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based mean
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        rank_sum += rank;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace vigil::testing
