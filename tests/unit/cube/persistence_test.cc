// What a store persists a cube through: changed buckets, their bytes and the dictionary delta.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "support/test_data.h"
#include "vigil/cube.h"

namespace vigil {
namespace {

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

Cube CubeOf(std::shared_ptr<const Config> config, const std::vector<testing::RawEvent>& events) {
  Cube cube(std::move(config));
  for (const auto& e : events) EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  return cube;
}

// What a store would hold after saving `cube`'s changed buckets over `stored`'s.
void SaveInto(Cube* cube, std::vector<size_t>* known, DictionaryDelta* dictionary,
              std::map<TimeMs, std::string>* buckets) {
  DictionaryDelta delta = cube->DictionarySince(*known);
  dictionary->dimensions.resize(delta.dimensions.size());
  known->resize(delta.dimensions.size());
  for (size_t d = 0; d < delta.dimensions.size(); ++d) {
    DictionaryDelta::Dimension& dim = delta.dimensions[d];
    EXPECT_EQ(dim.first_code, (*known)[d]);
    for (std::string& v : dim.values) dictionary->dimensions[d].values.push_back(std::move(v));
    dictionary->dimensions[d].folded_events = dim.folded_events;
    (*known)[d] = dictionary->dimensions[d].values.size();
  }
  ASSERT_TRUE(cube->ForEachChangedBucket([&](const BucketBytes& b) {
                    (*buckets)[b.bucket] = b.cells;
                    return Status::Ok();
                  })
                  .ok());
  cube->MarkSaved();
}

Cube Loaded(std::shared_ptr<const Config> config, const DictionaryDelta& dictionary,
            const std::map<TimeMs, std::string>& buckets) {
  Cube cube(std::move(config));
  EXPECT_TRUE(cube.LoadDictionary(dictionary).ok());
  for (const auto& [bucket, cells] : buckets) EXPECT_TRUE(cube.LoadBucket(cells).ok()) << bucket;
  cube.MarkSaved();
  return cube;
}

TEST(CubePersistenceTest, ChangedBucketsAreThoseTouchedSinceTheLastSave) {
  auto config = testing::SmallConfig();
  Cube cube = CubeOf(config, testing::RandomEvents(500, 1, kStart, 5));
  std::vector<TimeMs> changed = cube.ChangedBuckets();
  ASSERT_FALSE(changed.empty());
  EXPECT_TRUE(std::is_sorted(changed.begin(), changed.end()));
  EXPECT_EQ(changed.front(), cube.first_bucket());
  EXPECT_EQ(changed.back(), cube.last_bucket());
  uint64_t events = 0;
  std::vector<TimeMs> written;
  ASSERT_TRUE(cube.ForEachChangedBucket([&](const BucketBytes& b) {
                    events += b.events;
                    written.push_back(b.bucket);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(events, 500u);
  EXPECT_EQ(written, changed);

  cube.MarkSaved();
  EXPECT_TRUE(cube.ChangedBuckets().empty());
  testing::RawEvent late = testing::RandomEvents(1, 2, kStart + kDayMs, 1)[0];
  ASSERT_TRUE(cube.Add(testing::ToEvent(late)).ok());
  ASSERT_EQ(cube.ChangedBuckets().size(), 1u);
  EXPECT_EQ(cube.ChangedBuckets()[0], cube.last_bucket());

  // The first error of the writer stops the walk and is returned.
  int calls = 0;
  Status failed = cube.ForEachChangedBucket([&](const BucketBytes&) {
    ++calls;
    return IoError("disk full");
  });
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_EQ(calls, 1);
}

TEST(CubePersistenceTest, SavingInStepsAndLoadingGivesTheSameCube) {
  auto config = testing::SmallConfig();
  auto first = testing::RandomEvents(800, 1, kStart, 30);
  auto second = testing::RandomEvents(400, 2, kStart + 20 * kMinuteMs, 30);
  for (auto& e : second) e.c = "c-later-" + std::to_string(e.time % 5);  // new values

  Cube cube = CubeOf(config, first);
  std::vector<size_t> known;
  DictionaryDelta dictionary;
  std::map<TimeMs, std::string> buckets;
  SaveInto(&cube, &known, &dictionary, &buckets);
  for (const auto& e : second) ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  SaveInto(&cube, &known, &dictionary, &buckets);

  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  Cube loaded = Loaded(config, dictionary, buckets);
  EXPECT_TRUE(loaded.Equivalent(CubeOf(config, all)));
  EXPECT_TRUE(loaded.ChangedBuckets().empty());
  EXPECT_TRUE(loaded.DictionarySince(known).dimensions[0].values.empty());
}

TEST(CubePersistenceTest, MergedBucketsHoldTheTouchedBucketsAfterTheMerge) {
  auto config = testing::SmallConfig();
  auto base = testing::RandomEvents(600, 1, kStart, 60);
  auto addition_events = testing::RandomEvents(100, 2, kStart + 50 * kMinuteMs, 30);
  Cube cube = CubeOf(config, base);
  cube.MarkSaved();
  Cube addition = CubeOf(testing::SmallConfig(), addition_events);

  auto merged = cube.MergedBuckets(addition);
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_EQ(merged->ChangedBuckets(), addition.ChangedBuckets());
  EXPECT_EQ(cube.event_count(), 600u);  // the cube itself is untouched
  EXPECT_TRUE(cube.ChangedBuckets().empty());

  // Its buckets are those of the cube after the merge.
  ASSERT_TRUE(cube.Merge(addition).ok());
  std::map<TimeMs, std::string> after, expected;
  ASSERT_TRUE(merged
                  ->ForEachChangedBucket([&](const BucketBytes& b) {
                    after[b.bucket] = b.cells;
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(cube.ForEachChangedBucket([&](const BucketBytes& b) {
                    expected[b.bucket] = b.cells;
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(after.size(), expected.size());
  for (const auto& [bucket, cells] : expected) {
    ASSERT_TRUE(after.count(bucket)) << bucket;
    Cube a = Cube(config), b = Cube(config);
    DictionaryDelta dictionary = cube.DictionarySince({});
    ASSERT_TRUE(a.LoadDictionary(dictionary).ok());
    ASSERT_TRUE(b.LoadDictionary(dictionary).ok());
    ASSERT_TRUE(a.LoadBucket(after[bucket]).ok());
    ASSERT_TRUE(b.LoadBucket(cells).ok());
    EXPECT_TRUE(a.Equivalent(b)) << bucket;
  }
}

TEST(CubePersistenceTest, MalformedBytesAndDictionaryGapsAreErrors) {
  auto config = testing::SmallConfig();
  Cube cube(config);
  EXPECT_EQ(cube.LoadBucket("\x01garbage").code(), StatusCode::kCorruption);
  DictionaryDelta gap;
  gap.dimensions.resize(1);
  gap.dimensions[0].first_code = 3;
  gap.dimensions[0].values = {"x"};
  EXPECT_EQ(Cube(config).LoadDictionary(gap).code(), StatusCode::kInvalidArgument);
  DictionaryDelta duplicate;
  duplicate.dimensions.resize(1);
  duplicate.dimensions[0].values = {"x", "x"};
  EXPECT_EQ(Cube(config).LoadDictionary(duplicate).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
