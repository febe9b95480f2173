// The isolation forest's attributions: exact Shapley values of the stated value function
// (checked against the definition over all 2^d subsets), the sum rule, and their meaning.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "learn/forest_model.h"
#include "learn/planted_outliers.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

using testing::MakePlanted;

// Shapley values by their definition: phi_i = sum over S not holding i of
// |S|! (d - |S| - 1)! / d! * (v(S + i) - v(S)), with v the forest's ConditionalPathLength.
std::vector<double> BruteForceShapley(const IsolationForest& forest, const double* row) {
  const size_t d = forest.features();
  std::vector<double> v(size_t{1} << d);
  std::vector<bool> known(d);
  for (size_t mask = 0; mask < v.size(); ++mask) {
    for (size_t j = 0; j < d; ++j) known[j] = (mask >> j) & 1;
    auto value = forest.ConditionalPathLength(row, known);
    EXPECT_TRUE(value.ok());
    v[mask] = *value;
  }
  std::vector<double> factorial(d + 1, 1.0);
  for (size_t k = 1; k <= d; ++k) factorial[k] = factorial[k - 1] * static_cast<double>(k);
  std::vector<double> phi(d, 0.0);
  for (size_t i = 0; i < d; ++i) {
    for (size_t mask = 0; mask < v.size(); ++mask) {
      if ((mask >> i) & 1) continue;
      const auto s = static_cast<size_t>(__builtin_popcountll(mask));
      const double weight = factorial[s] * factorial[d - s - 1] / factorial[d];
      phi[i] += weight * (v[mask | (size_t{1} << i)] - v[mask]);
    }
  }
  return phi;
}

TEST(TreeShapTest, EqualsBruteForceShapleyValuesOverAllSubsets) {
  for (size_t d : {1, 3, 5, 8}) {
    const auto data = MakePlanted(400, 12, d, 20 + d);
    IsolationForestOptions o;
    o.n_estimators = 25;
    o.max_samples = 128;
    o.seed = d;
    auto forest = IsolationForest::Fit(data.view(), o);
    ASSERT_TRUE(forest.ok());
    auto phi = forest->PathLengthAttributions(data.view());
    ASSERT_TRUE(phi.ok());
    auto scaled = forest->Attributions(data.view());
    ASSERT_TRUE(scaled.ok());
    auto scores = forest->Score(data.view());
    ASSERT_TRUE(scores.ok());
    const double c = internal::AveragePathLength(forest->samples_per_tree());
    // Rows of both kinds, the outliers among them.
    for (size_t r = 0; r < data.rows(); r += data.rows() / 9) {
      const std::vector<double> expected = BruteForceShapley(*forest, data.x.data() + r * d);
      const double h = -c * std::log2((*scores)[r]);
      const double factor =
          ((*scores)[r] - forest->base_score()) / (h - forest->base_path_length());
      for (size_t j = 0; j < d; ++j) {
        EXPECT_NEAR((*phi)[r * d + j], expected[j], 1e-9) << "d=" << d << " row " << r;
        EXPECT_NEAR((*scaled)[r * d + j], factor * expected[j], 1e-9) << "d=" << d;
      }
    }
  }
}

TEST(TreeShapTest, ValueFunctionEndsAreTheBaseAndThePathLength) {
  const auto data = MakePlanted(500, 10, 4, 5);
  auto forest = IsolationForest::Fit(data.view(), {});
  ASSERT_TRUE(forest.ok());
  auto scores = forest->Score(data.view());
  ASSERT_TRUE(scores.ok());
  const double c = internal::AveragePathLength(forest->samples_per_tree());
  for (size_t r = 0; r < 20; ++r) {
    const double* row = data.x.data() + r * 4;
    auto none = forest->ConditionalPathLength(row, std::vector<bool>(4, false));
    auto all = forest->ConditionalPathLength(row, std::vector<bool>(4, true));
    ASSERT_TRUE(none.ok() && all.ok());
    EXPECT_NEAR(*none, forest->base_path_length(), 1e-12);
    EXPECT_NEAR(std::exp2(-*all / c), (*scores)[r], 1e-12);
  }
  EXPECT_NEAR(forest->base_score(), std::exp2(-forest->base_path_length() / c), 1e-15);
}

TEST(TreeShapTest, SumRuleHoldsForEveryRow) {
  const auto data = MakePlanted(3000, 60, 12, 8);
  IsolationForestOptions o;
  o.threads = 2;
  auto forest = IsolationForest::Fit(data.view(), o);
  ASSERT_TRUE(forest.ok());
  auto scores = forest->Score(data.view());
  auto phi = forest->Attributions(data.view());
  auto path_phi = forest->PathLengthAttributions(data.view());
  ASSERT_TRUE(scores.ok() && phi.ok() && path_phi.ok());
  const double c = internal::AveragePathLength(forest->samples_per_tree());
  double worst = 0;
  for (size_t r = 0; r < data.rows(); ++r) {
    const double sum = std::accumulate(phi->begin() + r * 12, phi->begin() + (r + 1) * 12, 0.0);
    const double path_sum =
        std::accumulate(path_phi->begin() + r * 12, path_phi->begin() + (r + 1) * 12, 0.0);
    EXPECT_NEAR(sum, (*scores)[r] - forest->base_score(), 1e-9);
    EXPECT_NEAR(path_sum, -c * std::log2((*scores)[r]) - forest->base_path_length(), 1e-9);
    worst = std::max(worst, std::abs(sum - ((*scores)[r] - forest->base_score())));
  }
  std::printf("[ info     ] largest sum-rule error over %zu rows: %.3g\n", data.rows(), worst);
}

TEST(TreeShapTest, TheFeatureThatIsOffCarriesTheScore) {
  const auto data = MakePlanted(2000, 0, 6, 3);
  auto forest = IsolationForest::Fit(data.view(), {});
  ASSERT_TRUE(forest.ok());
  for (size_t feature = 0; feature < 6; ++feature) {
    std::vector<double> row(data.x.begin(), data.x.begin() + 6);  // an inlier
    row[feature] += 8;
    auto phi = forest->Attributions(RowsView(row, 6));
    ASSERT_TRUE(phi.ok());
    size_t top = 0;
    for (size_t j = 1; j < 6; ++j) {
      if ((*phi)[j] > (*phi)[top]) top = j;
    }
    EXPECT_EQ(top, feature);
    EXPECT_GT((*phi)[feature], 0);
  }
}

TEST(TreeShapTest, AttributionsDoNotDependOnThreads) {
  const auto data = MakePlanted(1000, 20, 5, 4);
  auto forest = IsolationForest::Fit(data.view(), {});
  ASSERT_TRUE(forest.ok());
  auto one = forest->Attributions(data.view());
  forest->set_threads(3);
  auto three = forest->Attributions(data.view());
  ASSERT_TRUE(one.ok() && three.ok());
  EXPECT_EQ(*one, *three);
}

TEST(TreeShapTest, ExtendedForestsHaveNoAttributions) {
  const auto data = MakePlanted(300, 5, 3, 4);
  IsolationForestOptions o;
  o.extension_level = 1;
  auto forest = IsolationForest::Fit(data.view(), o);
  ASSERT_TRUE(forest.ok());
  EXPECT_EQ(forest->Attributions(data.view()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      forest->ConditionalPathLength(data.x.data(), std::vector<bool>(3, true)).status().code(),
      StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
