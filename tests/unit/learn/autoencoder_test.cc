#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "learn/dense_network.h"
#include "learn/planted_outliers.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

using testing::MakePlanted;
using testing::RocAuc;

TEST(AutoencoderTest, PlantedOutliersScoreHigh) {
  const auto data = MakePlanted(3000, 60, 6, 1);
  AutoencoderOptions o;
  o.seed = 2;
  auto model = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto scores = model->Score(data.view());
  ASSERT_TRUE(scores.ok());
  const double auc = RocAuc(*scores, data.label);
  std::printf("[ info     ] ROC AUC %.4f after %d epochs\n", auc, model->epochs_run());
  EXPECT_GT(auc, 0.95);
}

TEST(AutoencoderTest, GradientMatchesFiniteDifferences) {
  internal::DenseNetwork net({3, 4, 2, 3});
  net.Initialize(7);
  const std::vector<double> x = {0.3, -1.2, 0.8};
  auto loss = [&](const internal::DenseNetwork& n) {
    auto scratch = n.MakeScratch();
    const double* y = n.Forward(x.data(), &scratch);
    double sum = 0;
    for (size_t j = 0; j < 3; ++j) sum += (y[j] - x[j]) * (y[j] - x[j]);
    return sum;
  };
  auto scratch = net.MakeScratch();
  std::vector<double> gradient(net.parameters().size(), 0.0);
  net.Forward(x.data(), &scratch);
  net.AddGradient(x.data(), 1.0, &scratch, &gradient);
  for (size_t p = 0; p < gradient.size(); ++p) {
    internal::DenseNetwork plus = net, minus = net;
    plus.parameters()[p] += 1e-6;
    minus.parameters()[p] -= 1e-6;
    EXPECT_NEAR(gradient[p], (loss(plus) - loss(minus)) / 2e-6, 1e-6) << "parameter " << p;
  }
}

TEST(AutoencoderTest, SameSeedSameModelAndScoresOnAnyThreadCount) {
  const auto data = MakePlanted(800, 16, 4, 5);
  AutoencoderOptions o;
  o.seed = 9;
  o.epochs = 15;
  auto a = Autoencoder::Fit(data.view(), o);
  auto b = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
  auto reference = a->Score(data.view());
  ASSERT_TRUE(reference.ok());
  for (int threads : {2, 5}) {
    b->set_threads(threads);
    auto scores = b->Score(data.view());
    ASSERT_TRUE(scores.ok());
    EXPECT_EQ(std::memcmp(scores->data(), reference->data(), reference->size() * sizeof(double)),
              0);
  }
  o.seed = 10;
  auto c = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(*c == *a);
}

TEST(AutoencoderTest, AttributionsAreSquaredErrorsSummingToTheScore) {
  const auto data = MakePlanted(1000, 20, 5, 6);
  AutoencoderOptions o;
  o.epochs = 20;
  auto model = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(model.ok());
  auto scores = model->Score(data.view());
  auto phi = model->Attributions(data.view());
  ASSERT_TRUE(scores.ok() && phi.ok());
  for (size_t r = 0; r < data.rows(); ++r) {
    double sum = 0;
    for (size_t j = 0; j < 5; ++j) {
      EXPECT_GE((*phi)[r * 5 + j], 0);
      sum += (*phi)[r * 5 + j];
    }
    EXPECT_EQ(sum, (*scores)[r]);
  }
  // A row off on one feature only: that feature carries most of the error.
  for (size_t feature = 0; feature < 5; ++feature) {
    std::vector<double> row(data.x.begin(), data.x.begin() + 5);
    if (data.label[0]) row.assign(data.x.begin() + 5, data.x.begin() + 10);
    row[feature] += 10;
    auto one = model->Attributions(RowsView(row, 5));
    ASSERT_TRUE(one.ok());
    size_t top = 0;
    for (size_t j = 1; j < 5; ++j) {
      if ((*one)[j] > (*one)[top]) top = j;
    }
    EXPECT_EQ(top, feature);
  }
}

TEST(AutoencoderTest, EarlyStoppingEndsOnAStalledHoldOut) {
  const auto data = MakePlanted(600, 0, 3, 7);
  AutoencoderOptions o;
  o.epochs = 400;
  o.patience = 3;
  auto stopped = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(stopped.ok());
  EXPECT_LT(stopped->epochs_run(), 400);
  o.validation_fraction = 0;
  o.epochs = 7;
  auto all = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->epochs_run(), 7);
}

TEST(AutoencoderTest, BadInputIsAnError) {
  std::vector<double> x = {1, 2, 3, 4, 5, INFINITY};
  EXPECT_EQ(Autoencoder::Fit(RowsView(x, 2), {}).status().code(), StatusCode::kInvalidArgument);
  x[5] = 6;
  AutoencoderOptions o;
  o.hidden = {0};
  EXPECT_EQ(Autoencoder::Fit(RowsView(x, 2), o).status().code(), StatusCode::kInvalidArgument);
  o.hidden = {};
  o.learning_rate = -1;
  EXPECT_FALSE(Autoencoder::Fit(RowsView(x, 2), o).ok());
  auto model = Autoencoder::Fit(RowsView(x, 2), {});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->Score(RowsView(x, 3)).status().code(), StatusCode::kInvalidArgument);
  x[0] = NAN;
  EXPECT_EQ(model->Score(RowsView(x, 2)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
