#include "server/response_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace vigil::server::internal {
namespace {

HttpResponse Answer(const std::string& body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = body;
  return r;
}

TEST(ResponseCacheTest, RequestsAtTheSameTimeShareOneComputation) {
  ResponseCache cache(1 << 20);
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      bodies[t] = cache
                      .Get({1, {}}, "k",
                           [&] {
                             ++computed;
                             std::this_thread::sleep_for(std::chrono::milliseconds(100));
                             return Answer("expensive");
                           })
                      .text();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed, 1);
  for (const std::string& b : bodies) EXPECT_EQ(b, "expensive");
}

TEST(ResponseCacheTest, AnswersLastUntilTheDataChanges) {
  ResponseCache cache(1 << 20);
  int computed = 0;
  auto compute = [&] { return Answer("v" + std::to_string(++computed)); };
  EXPECT_EQ(cache.Get({1, {5, 7}}, "k", compute).text(), "v1");
  EXPECT_EQ(cache.Get({1, {5, 7}}, "k", compute).text(), "v1");
  EXPECT_EQ(cache.Get({2, {5, 7}}, "k", compute).text(), "v2");  // an ingest
  EXPECT_EQ(cache.Get({2, {6, 7}}, "k", compute).text(), "v3");  // another process wrote
  EXPECT_EQ(cache.Get({2, {6, 8}}, "k", compute).text(), "v4");  // this process wrote
  EXPECT_EQ(cache.Get({2, {6, 8}}, "other", compute).text(), "v5");
}

TEST(ResponseCacheTest, FailuresAreNotKept) {
  ResponseCache cache(1 << 20);
  int computed = 0;
  auto failing = [&] {
    ++computed;
    return Answer("{}", 500);
  };
  EXPECT_EQ(cache.Get({1, {}}, "k", failing).status, 500);
  EXPECT_EQ(cache.Get({1, {}}, "k", failing).status, 500);
  EXPECT_EQ(computed, 2);
}

TEST(ResponseCacheTest, HoldsAtMostItsBytesOldestOut) {
  ResponseCache cache(10000);
  int computed = 0;
  auto big = [&] {
    ++computed;
    return Answer(std::string(3000, 'x'));
  };
  for (int i = 0; i < 10; ++i) cache.Get({1, {}}, "k" + std::to_string(i), big);
  EXPECT_LE(cache.bytes(), 10000u);
  EXPECT_EQ(computed, 10);
  cache.Get({1, {}}, "k9", big);  // the newest is still there
  EXPECT_EQ(computed, 10);
  cache.Get({1, {}}, "k0", big);  // the oldest is not
  EXPECT_EQ(computed, 11);
}

TEST(SharedCacheTest, AFailedComputationReachesItsWaitersAndIsNotKept) {
  SharedCache<int> cache(1 << 20, [](const int&) { return std::optional<size_t>(4); });
  EXPECT_THROW(cache.Get({1, {}}, "k", []() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(*cache.Get({1, {}}, "k", [] { return 7; }), 7);
  EXPECT_EQ(*cache.Get({1, {}}, "k", [] { return 8; }), 7);
}

}  // namespace
}  // namespace vigil::server::internal
