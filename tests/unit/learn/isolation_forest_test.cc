#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "learn/forest_model.h"
#include "learn/planted_outliers.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

using testing::MakePlanted;
using testing::RocAuc;

bool BitEqual(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(IsolationForestTest, AveragePathLengthIsTheBinarySearchTreeFormula) {
  EXPECT_EQ(internal::AveragePathLength(0), 0);
  EXPECT_EQ(internal::AveragePathLength(1), 0);
  EXPECT_EQ(internal::AveragePathLength(2), 1);
  // 2 (ln 255 + gamma) - 2 * 255 / 256.
  EXPECT_NEAR(internal::AveragePathLength(256), 10.244770920, 1e-8);
  EXPECT_EQ(internal::HeightLimit(256), 8);
  EXPECT_EQ(internal::HeightLimit(257), 9);
  EXPECT_EQ(internal::HeightLimit(2), 1);
}

TEST(IsolationForestTest, PlantedOutliersScoreHigh) {
  const auto data = MakePlanted(3000, 60, 6, 1);
  for (int extension : {0, 1, 5}) {
    IsolationForestOptions o;
    o.seed = 3;
    o.extension_level = extension;
    auto forest = IsolationForest::Fit(data.view(), o);
    ASSERT_TRUE(forest.ok()) << forest.status().ToString();
    auto scores = forest->Score(data.view());
    ASSERT_TRUE(scores.ok());
    const double auc = RocAuc(*scores, data.label);
    std::printf("[ info     ] extension %d: ROC AUC %.4f\n", extension, auc);
    EXPECT_GT(auc, 0.95) << "extension " << extension;
    for (double s : *scores) {
      EXPECT_TRUE(s > 0 && s <= 1) << s;
    }
  }
}

TEST(IsolationForestTest, ScoresMatchTheDefinitionOnOneTree) {
  // Two points: psi = 2, height limit 1, so the tree is one split with a point in each leaf
  // (depth 1, c(1) = 0): every point's path length is 1 and its score 2^(-1 / c(2)) = 0.5.
  const std::vector<double> x = {0.0, 1.0, 2.0, 3.0};
  IsolationForestOptions o;
  o.n_estimators = 5;
  auto forest = IsolationForest::Fit(RowsView(x, 2), o);
  ASSERT_TRUE(forest.ok());
  auto scores = forest->Score(RowsView(x, 2));
  ASSERT_TRUE(scores.ok());
  EXPECT_DOUBLE_EQ((*scores)[0], 0.5);
  EXPECT_DOUBLE_EQ((*scores)[1], 0.5);
  EXPECT_DOUBLE_EQ(forest->base_path_length(), 1.0);
  EXPECT_EQ(forest->samples_per_tree(), 2);
}

TEST(IsolationForestTest, DuplicatePointsStopAsOneLeafWithTheirAveragePathLength) {
  // Every point equal: no feature can split, the root is a leaf of psi points, path c(psi),
  // score 2^-1.
  std::vector<double> x(size_t{200} * 3, 7.0);
  auto forest = IsolationForest::Fit(RowsView(x, 3), {});
  ASSERT_TRUE(forest.ok());
  EXPECT_EQ(forest->samples_per_tree(), 200);
  EXPECT_NEAR(forest->base_path_length(), internal::AveragePathLength(200), 1e-12);
  auto scores = forest->Score(RowsView(x, 3));
  ASSERT_TRUE(scores.ok());
  EXPECT_NEAR((*scores)[17], 0.5, 1e-12);
}

TEST(IsolationForestTest, SameSeedSameForestOnAnyThreadCount) {
  const auto data = MakePlanted(2000, 40, 5, 2);
  for (int extension : {0, 2}) {
    IsolationForestOptions o;
    o.seed = 11;
    o.extension_level = extension;
    auto one = IsolationForest::Fit(data.view(), o);
    ASSERT_TRUE(one.ok());
    auto reference = one->Score(data.view());
    ASSERT_TRUE(reference.ok());
    for (int threads : {1, 2, 3, 8}) {
      o.threads = threads;
      auto again = IsolationForest::Fit(data.view(), o);
      ASSERT_TRUE(again.ok());
      EXPECT_TRUE(*again == *one) << threads << " threads";
      auto scores = again->Score(data.view());
      ASSERT_TRUE(scores.ok());
      EXPECT_TRUE(BitEqual(*scores, *reference)) << threads << " threads";
    }
    o.seed = 12;
    o.threads = 1;
    auto other = IsolationForest::Fit(data.view(), o);
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(*other == *one);
    EXPECT_FALSE(BitEqual(*other->Score(data.view()), *reference));
  }
}

TEST(IsolationForestTest, SubsamplesArePsiDistinctRows) {
  for (uint64_t tree = 0; tree < 20; ++tree) {
    auto sample = internal::DrawSample(1000, 256, 5, tree);
    ASSERT_EQ(sample.size(), 256u);
    std::vector<bool> seen(1000, false);
    for (uint32_t i : sample) {
      ASSERT_LT(i, 1000u);
      EXPECT_FALSE(seen[i]) << "row " << i << " drawn twice";
      seen[i] = true;
    }
  }
  // Every row is drawn about equally often: 2,000 draws of 256 of 1,000 rows, each row
  // expected 512 times (binomial sd ~19.5); 5 sd either way.
  std::vector<int> counts(1000, 0);
  for (uint64_t tree = 0; tree < 2000; ++tree) {
    for (uint32_t i : internal::DrawSample(1000, 256, 9, tree)) ++counts[i];
  }
  for (int c : counts) {
    EXPECT_NEAR(c, 512, 98);
  }
  EXPECT_EQ(internal::DrawSample(10, 256, 1, 0).size(), 10u);
}

TEST(IsolationForestTest, BadInputIsAnError) {
  std::vector<double> x = {1, 2, 3, 4, 5, 6};
  IsolationForestOptions o;
  EXPECT_EQ(IsolationForest::Fit(RowsView(x.data(), 1, 6), o).status().code(),
            StatusCode::kInvalidArgument);
  x[4] = std::nan("");
  auto nan = IsolationForest::Fit(RowsView(x, 2), o);
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("row 2, feature 0"), std::string::npos)
      << nan.status().message();
  x[4] = 5;
  o.extension_level = 2;
  EXPECT_EQ(IsolationForest::Fit(RowsView(x, 2), o).status().code(), StatusCode::kInvalidArgument);
  o.extension_level = 0;
  o.n_estimators = 0;
  EXPECT_FALSE(IsolationForest::Fit(RowsView(x, 2), o).ok());
  auto forest = IsolationForest::Fit(RowsView(x, 2), {});
  ASSERT_TRUE(forest.ok());
  EXPECT_EQ(forest->Score(RowsView(x, 3)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
