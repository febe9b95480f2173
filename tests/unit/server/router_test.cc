#include "server/router.h"

#include <gtest/gtest.h>

namespace vigil::server::internal {
namespace {

TEST(RouterTest, RouteLabelsArePatternsSoIdsDoNotMultiplySeries) {
  EXPECT_EQ(RouteLabel("/api/incidents"), "/api/incidents");
  EXPECT_EQ(RouteLabel("/api/incidents/inc-1"), "/api/incidents/{id}");
  EXPECT_EQ(RouteLabel("/api/incidents/inc-2/feedback"), "/api/incidents/{id}/feedback");
  EXPECT_EQ(RouteLabel("/ui/incidents/inc-1"), "/ui/incidents/{id}");
  EXPECT_EQ(RouteLabel("/assets/app.js"), "/assets/{name}");
  EXPECT_EQ(RouteLabel("/metrics"), "/metrics");
  EXPECT_EQ(RouteLabel("/wp-admin"), "other");
}

TEST(RouterTest, OnlyIngestAndFeedbackTakeABody) {
  EXPECT_TRUE(IsWriteRoute("/api/ingest"));
  EXPECT_TRUE(IsWriteRoute("/api/incidents/inc-1/feedback"));
  EXPECT_FALSE(IsWriteRoute("/api/incidents//feedback"));  // no id
  EXPECT_FALSE(IsWriteRoute("/api/incidents/inc-1"));
  EXPECT_FALSE(IsWriteRoute("/metrics"));
}

TEST(RouterTest, ReadsOfDataAreCachedButCountersAndHealthAreNot) {
  EXPECT_TRUE(IsCachedRoute("/api/metrics"));
  EXPECT_TRUE(IsCachedRoute("/api/incidents"));
  EXPECT_TRUE(IsCachedRoute("/api/incidents/{id}"));
  EXPECT_TRUE(IsCachedRoute("/ui/plot"));
  EXPECT_FALSE(IsCachedRoute("/metrics"));
  EXPECT_FALSE(IsCachedRoute("/healthz"));
  EXPECT_FALSE(IsCachedRoute("/api/ingest"));
}

TEST(RouterTest, CacheKeysOfDifferentRequestsDiffer) {
  HttpRequest a, b;
  a.path = b.path = "/api/series";
  a.params = {{"metric", "e2e_p95"}, {"slice", "a=1"}};
  b.params = {{"metric", "e2e_p95|slice:1a=1"}};
  EXPECT_NE(CacheKey(a), CacheKey(b));
  HttpRequest c = a;
  EXPECT_EQ(CacheKey(a), CacheKey(c));
}

}  // namespace
}  // namespace vigil::server::internal
