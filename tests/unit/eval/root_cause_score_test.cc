// Root-cause sets are scored per element as the published evaluations score them: order of
// elements and of attribute values within an element does not matter.
#include <gtest/gtest.h>

#include "vigil/eval.h"

namespace vigil {
namespace {

TEST(RootCauseScoreTest, CountsElementsWhateverTheirOrder) {
  RootCauseScore s = ScoreRootCauseSet("c=c3;b=b4&a=a2", "a=a2&b=b4;c=c3");
  EXPECT_EQ(s.true_positives, 2u);
  EXPECT_EQ(s.false_positives + s.false_negatives, 0u);
  EXPECT_DOUBLE_EQ(s.f1(), 1.0);
  RootCauseScore t = ScoreRootCauseSet("a=a2;d=d1", "a=a2&b=b4;c=c3");
  EXPECT_EQ(t.true_positives, 0u);
  EXPECT_EQ(t.false_positives, 2u);
  EXPECT_EQ(t.false_negatives, 2u);
  s.Add(t);
  EXPECT_EQ(s.cases, 2u);
  EXPECT_DOUBLE_EQ(s.f1(), 4.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.precision(), 0.5);
  EXPECT_DOUBLE_EQ(s.recall(), 0.5);
}

TEST(RootCauseScoreTest, NothingToFindAndNothingFoundIsPerfect) {
  RootCauseScore s = ScoreRootCauseSet("", "");
  EXPECT_DOUBLE_EQ(s.f1(), 1.0);
  EXPECT_DOUBLE_EQ(ScoreRootCauseSet("", "a=a1").f1(), 0.0);
}

}  // namespace
}  // namespace vigil
