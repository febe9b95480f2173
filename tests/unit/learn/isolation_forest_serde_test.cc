#include <gtest/gtest.h>

#include "learn/planted_outliers.h"
#include "learn/serde_checks.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

TEST(IsolationForestSerdeTest, RoundTripKeepsTheScores) {
  const auto data = testing::MakePlanted(1000, 20, 5, 1);
  for (int extension : {0, 1, 4}) {
    IsolationForestOptions o;
    o.extension_level = extension;
    o.seed = 5;
    auto forest = IsolationForest::Fit(data.view(), o);
    ASSERT_TRUE(forest.ok());
    testing::ExpectRoundTrip(*forest, data.view());
  }
  // And the attributions, which read the sizes back.
  auto forest = IsolationForest::Fit(data.view(), {});
  ASSERT_TRUE(forest.ok());
  std::string bytes;
  forest->Serialize(&bytes);
  std::string_view in = bytes;
  auto back = IsolationForest::Deserialize(&in);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->Attributions(data.view()), *forest->Attributions(data.view()));
  EXPECT_EQ(back->base_path_length(), forest->base_path_length());
}

TEST(IsolationForestSerdeTest, CorruptedBytesAreRejectedNotFatal) {
  const auto data = testing::MakePlanted(300, 6, 3, 2);
  IsolationForestOptions o;
  o.n_estimators = 4;
  o.max_samples = 32;
  auto forest = IsolationForest::Fit(data.view(), o);
  ASSERT_TRUE(forest.ok());
  testing::ExpectCorruptionRefused(*forest, data.view(), 'F');
  o.extension_level = 2;
  auto extended = IsolationForest::Fit(data.view(), o);
  ASSERT_TRUE(extended.ok());
  testing::ExpectCorruptionRefused(*extended, data.view(), 'F');
}

TEST(IsolationForestSerdeTest, SizesThatDoNotAddUpAreCorrupt) {
  const std::vector<double> x = {0.0, 1.0, 2.0, 3.0};
  IsolationForestOptions o;
  o.n_estimators = 1;
  auto forest = IsolationForest::Fit(RowsView(x, 2), o);
  ASSERT_TRUE(forest.ok());
  std::string bytes;
  forest->Serialize(&bytes);
  // tag, version, features 2, psi 2, extension 0, trees 1, then the root: size 2, kind 1,
  // feature, threshold (8 bytes), then the left leaf: size 1, kind 0.
  ASSERT_EQ(bytes[6], 2);
  ASSERT_EQ(bytes[17], 1);
  bytes[17] = 2;
  std::string_view in = bytes;
  auto bad = IsolationForest::Deserialize(&in);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("children sizes do not add up"), std::string::npos)
      << bad.status().message();
}

// Found by the model fuzz target: 0x82 0x00 also decodes to 2, and a model read from it
// serialized to other bytes. Only the shortest encoding is read, so each model has one form.
TEST(IsolationForestSerdeTest, LongerVarintsThanNeededAreCorrupt) {
  const std::vector<double> x = {0.0, 1.0, 2.0, 3.0};
  auto forest = IsolationForest::Fit(RowsView(x, 2), {});
  ASSERT_TRUE(forest.ok());
  std::string bytes;
  forest->Serialize(&bytes);
  ASSERT_EQ(bytes[2], 2);  // the feature count
  bytes.replace(2, 1, std::string("\x82\x00", 2));
  std::string_view in = bytes;
  auto bad = IsolationForest::Deserialize(&in);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("shortest form"), std::string::npos);
}

}  // namespace
}  // namespace vigil
