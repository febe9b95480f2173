#include <gtest/gtest.h>

#include "learn/planted_outliers.h"
#include "learn/serde_checks.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

TEST(AutoencoderSerdeTest, RoundTripKeepsTheScores) {
  const auto data = testing::MakePlanted(600, 12, 4, 1);
  AutoencoderOptions o;
  o.epochs = 5;
  auto model = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(model.ok());
  testing::ExpectRoundTrip(*model, data.view());
  o.hidden = {6, 2};
  auto custom = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(custom.ok());
  testing::ExpectRoundTrip(*custom, data.view());
}

TEST(AutoencoderSerdeTest, CorruptedBytesAreRejectedNotFatal) {
  const auto data = testing::MakePlanted(200, 4, 3, 2);
  AutoencoderOptions o;
  o.epochs = 2;
  o.hidden = {3, 1, 3};
  auto model = Autoencoder::Fit(data.view(), o);
  ASSERT_TRUE(model.ok());
  testing::ExpectCorruptionRefused(*model, data.view(), 'A');
}

}  // namespace
}  // namespace vigil
