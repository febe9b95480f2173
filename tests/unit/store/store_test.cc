#include "vigil/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>

#include "support/test_data.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

using testing::TempDir;

Cube Ingested(std::shared_ptr<const Config> config, const TempDir& dir, const std::string& name,
              const std::vector<testing::RawEvent>& events) {
  Cube cube(config);
  auto s = IngestFiles({dir.Write(name, testing::ToJsonLines(events))}, &cube);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return cube;
}

TEST(StoreTest, CubeRoundTripsThroughSqlite) {
  TempDir dir;
  auto config = testing::SmallConfig();
  Cube cube = Ingested(config, dir, "e.jsonl", testing::RandomEvents(3000, 3));
  {
    auto store = Store::Open(dir.Path("sub/dir/v.db"));  // parent folders are created
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->cube().Save(&cube).ok());
  }
  auto store = Store::Open(dir.Path("sub/dir/v.db"));
  ASSERT_TRUE(store.ok());
  auto loaded = (*store)->cube().Load(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->Equivalent(cube));
  auto size = (*store)->cube().Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->events, 3000);
}

TEST(StoreTest, RetentionDropsOldBucketsFromTheStoreAndTheCubeAlike) {
  TempDir dir;
  // One minute buckets over an hour; a retention of 20 minutes keeps the 20 newest.
  std::string yaml = testing::SmallConfigYaml();
  yaml.insert(yaml.find("granularity: 1m") + 15, "\n  retention: 20m");
  auto parsed = Config::Parse(yaml, "<test>");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  auto config = std::make_shared<const Config>(std::move(*parsed));
  auto events = testing::RandomEvents(5000, 9, 1772409600000, 60);
  Cube cube = Ingested(config, dir, "e.jsonl", events);
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->cube().Save(&cube).ok());
  const TimeMs horizon = cube.last_bucket() - 19 * kMinuteMs;
  std::vector<testing::RawEvent> recent;
  for (const auto& e : events)
    if (BucketStart(e.time, kMinuteMs) >= horizon) recent.push_back(e);
  auto dropped = (*store)->cube().ApplyRetention(&cube);
  ASSERT_TRUE(dropped.ok()) << dropped.status().message();
  EXPECT_EQ(*dropped, events.size() - recent.size());
  EXPECT_EQ(cube.first_bucket(), horizon);
  EXPECT_TRUE(cube.Equivalent(Ingested(config, dir, "recent.jsonl", recent)))
      << "what is left is exactly the recent events";
  auto loaded = (*store)->cube().Load(config);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->Equivalent(cube)) << "the store dropped the same buckets";
  // New events still merge after a drop (the index was rebuilt).
  Cube more = Ingested(config, dir, "more.jsonl", testing::RandomEvents(500, 10, horizon, 25));
  ASSERT_TRUE((*store)->cube().SaveMerged(&cube, more).ok());
  auto reloaded = (*store)->cube().Load(config);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(reloaded->Equivalent(cube));
  EXPECT_EQ(cube.event_count(), recent.size() + 500);
  auto again = (*store)->cube().ApplyRetention(&cube);
  ASSERT_TRUE(again.ok());
  EXPECT_GT(*again, 0u) << "five newer minutes push five more out";
}

TEST(StoreTest, TiersRollOldBucketsUpAndCoarseSeriesStayExact) {
  TempDir dir;
  // One-minute buckets for 20 minutes, then 10-minute buckets for 2 hours, then hourly for a day.
  std::string yaml = testing::SmallConfigYaml();
  yaml.insert(yaml.find("granularity: 1m") + 15,
              "\n  retention: 20m\n  tiers:\n    - {granularity: 10m, retention: 2h}\n"
              "    - {granularity: 1h, retention: 1d}");
  auto parsed = Config::Parse(yaml, "<test>");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  auto config = std::make_shared<const Config>(std::move(*parsed));
  constexpr TimeMs kStart = 1772409600000;
  auto events = testing::RandomEvents(8000, 11, kStart, 6 * 60);
  Cube whole = Ingested(config, dir, "e.jsonl", events);
  Cube cube = Ingested(config, dir, "e.jsonl", events);
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->cube().Save(&cube).ok());
  auto dropped = (*store)->cube().ApplyRetention(&cube);
  ASSERT_TRUE(dropped.ok()) << dropped.status().message();
  EXPECT_EQ(*dropped, 0u) << "nothing is older than a day";
  EXPECT_EQ(cube.event_count(), events.size());
  EXPECT_LT(cube.cell_count(), whole.cell_count());
  const TimeMs newest = cube.last_bucket();
  EXPECT_EQ(cube.RolledUp().at(10 * kMinuteMs),
            BucketStart(newest - 20 * kMinuteMs, 10 * kMinuteMs));
  EXPECT_EQ(cube.RolledUp().at(kHourMs), BucketStart(newest - 2 * kHourMs, kHourMs));
  // Hourly series read every tier and equal the series of the cube that was never rolled up;
  // ten-minute series start where the hourly tier ends; one-minute ones where the finest begins.
  auto same_series = [&](const Cube& c, int64_t g) {
    for (const char* metric : {"volume", "fail_rate", "lat_p95", "devices"}) {
      auto rolled = c.GroupSeries(metric, {}, {"a"}, 0, 0, g);
      auto exact = whole.GroupSeries(metric, {}, {"a"}, c.SeriesStart(newest + kMinuteMs, g), 0, g);
      ASSERT_TRUE(rolled.ok() && exact.ok());
      ASSERT_EQ(rolled->size(), exact->size());
      for (size_t i = 0; i < exact->size(); ++i) {
        ASSERT_EQ((*rolled)[i].points.size(), (*exact)[i].points.size()) << metric;
        for (size_t k = 0; k < (*exact)[i].points.size(); ++k) {
          const SeriesPoint& x = (*rolled)[i].points[k];
          const SeriesPoint& y = (*exact)[i].points[k];
          EXPECT_EQ(x.time, y.time);
          EXPECT_EQ(x.events, y.events) << metric << " at " << FormatTimestamp(y.time);
          if (!std::isnan(y.value)) {
            EXPECT_NEAR(x.value, y.value, 1e-9 * std::abs(y.value));
          }
        }
      }
    }
  };
  same_series(cube, kHourMs);
  EXPECT_EQ(cube.SeriesStart(newest + kMinuteMs, kHourMs), kStart);
  EXPECT_EQ(cube.SeriesStart(newest + kMinuteMs, 10 * kMinuteMs), cube.RolledUp().at(kHourMs));
  EXPECT_EQ(cube.SeriesStart(newest + kMinuteMs, kMinuteMs), cube.RolledUp().at(10 * kMinuteMs));
  same_series(cube, 10 * kMinuteMs);
  same_series(cube, kMinuteMs);
  // The store holds the same, and says which tier each range is in.
  auto loaded = (*store)->cube().Load(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->Equivalent(cube));
  EXPECT_EQ(loaded->RolledUp(), cube.RolledUp());
  same_series(*loaded, kHourMs);
  // A day later everything before the last day is gone.
  Cube later = Ingested(config, dir, "later.jsonl",
                        testing::RandomEvents(500, 12, kStart + kDayMs + 5 * kHourMs, 60));
  ASSERT_TRUE((*store)->cube().SaveMerged(&cube, later).ok());
  auto expired = (*store)->cube().ApplyRetention(&cube);
  ASSERT_TRUE(expired.ok()) << expired.status().message();
  EXPECT_GT(*expired, 0u);
  EXPECT_GE(cube.first_bucket(), cube.last_bucket() - kDayMs);
  auto reloaded = (*store)->cube().Load(config);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(reloaded->Equivalent(cube));
}

TEST(StoreTest, IngestingAThenBEqualsIngestingBothTogether) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(5000, 5, 1772409600000, 120);
  // B overlaps A in time, so buckets written by A are rewritten with B's cells added.
  std::vector<testing::RawEvent> a(events.begin(), events.begin() + 2000);
  std::vector<testing::RawEvent> b(events.begin() + 2000, events.end());
  std::string path = dir.Path("v.db");
  for (const auto* part : {&a, &b}) {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    auto cube = (*store)->cube().Load(config);
    ASSERT_TRUE(cube.ok());
    auto s = IngestFiles({dir.Write("part.jsonl", testing::ToJsonLines(*part))}, &*cube);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*store)->cube().Save(&*cube).ok());
  }
  Cube together = Ingested(config, dir, "all.jsonl", events);
  auto store = Store::Open(path);
  auto stepwise = (*store)->cube().Load(config);
  ASSERT_TRUE(stepwise.ok());
  EXPECT_EQ(stepwise->event_count(), events.size());
  EXPECT_TRUE(stepwise->Equivalent(together));
  auto p1 = together.Series("lat_p95", {{"b", "b1"}});
  auto p2 = stepwise->Series("lat_p95", {{"b", "b1"}});
  ASSERT_TRUE(p1.ok() && p2.ok());
  for (size_t i = 0; i < p1->size(); ++i) {
    EXPECT_TRUE((*p1)[i].value == (*p2)[i].value ||
                (std::isnan((*p1)[i].value) && std::isnan((*p2)[i].value)));
  }
}

TEST(StoreTest, TheIngestLedgerKnowsAFileByItsContentWithTheCubeThatHoldsIt) {
  TempDir dir;
  auto config = testing::SmallConfig();
  std::string text = testing::ToJsonLines(testing::RandomEvents(500, 7));
  std::string file = dir.Write("e.jsonl", text);
  auto fingerprint = FingerprintFile(file);
  ASSERT_TRUE(fingerprint.ok()) << fingerprint.status().message();
  EXPECT_EQ(fingerprint->bytes, text.size());
  // The same bytes under another name are the same input; one more byte is another.
  EXPECT_EQ(FingerprintFile(dir.Write("copy.jsonl", text))->hash, fingerprint->hash);
  EXPECT_NE(FingerprintFile(dir.Write("more.jsonl", text + "\n"))->hash, fingerprint->hash);
  EXPECT_EQ(FingerprintFile(dir.Path("missing.jsonl")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(FingerprintFile("/dev/null").status().code(), StatusCode::kInvalidArgument);
  // A FIFO is not opened (that would wait for its writer): it is a stream at once.
  ASSERT_EQ(::mkfifo(dir.Path("f.fifo").c_str(), 0600), 0);
  EXPECT_EQ(FingerprintFile(dir.Path("f.fifo")).status().code(), StatusCode::kInvalidArgument);

  std::string path = dir.Path("v.db");
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    Cube cube = Ingested(config, dir, "e.jsonl", testing::RandomEvents(500, 7));
    IngestedInput in{fingerprint->hash, file, fingerprint->bytes, 500, 1772409600000};
    ASSERT_TRUE((*store)->cube().Save(&cube, {in}).ok());
  }
  auto store = Store::Open(path);  // reopened: the ledger is stored with the cube
  ASSERT_TRUE(store.ok());
  auto known = (*store)->cube().FindIngested(fingerprint->hash);
  ASSERT_TRUE(known.ok()) << known.status().message();
  ASSERT_TRUE(known->has_value());
  EXPECT_EQ((*known)->path, file);
  EXPECT_EQ((*known)->events, 500u);
  EXPECT_EQ((*known)->at, 1772409600000);
  auto unknown = (*store)->cube().FindIngested("xxh128:0");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  // Request keys are kept a week after their ingest; files for good.
  auto loaded = (*store)->cube().Load(config);
  ASSERT_TRUE(loaded.ok());
  IngestedInput old_key{"key:a", "POST /api/ingest", 10, 1, 1772409600000};
  ASSERT_TRUE((*store)->cube().Save(&*loaded, {old_key}).ok());
  IngestedInput new_key{"key:b", "POST /api/ingest", 10, 1, 1772409600000 + 8 * kDayMs};
  ASSERT_TRUE((*store)->cube().Save(&*loaded, {new_key}).ok());
  EXPECT_FALSE((*store)->cube().FindIngested("key:a")->has_value());
  EXPECT_TRUE((*store)->cube().FindIngested("key:b")->has_value());
  EXPECT_TRUE((*store)->cube().FindIngested(fingerprint->hash)->has_value());
}

TEST(StoreTest, ASecondWriterIsRefusedNamingTheFirst) {
  TempDir dir;
  std::string path = dir.Path("v.db");
  auto first = Store::OpenForWriting(path, "vigil serve, config a.yaml");
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = Store::OpenForWriting(path, "vigil ingest");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  EXPECT_NE(second.status().message().find("vigil serve, config a.yaml (pid "), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("POST /api/ingest"), std::string::npos);
  EXPECT_TRUE(Store::Open(path).ok());  // readers are welcome
  first->reset();                       // the writer goes: the next one may come
  EXPECT_TRUE(Store::OpenForWriting(path, "vigil ingest").ok());
}

TEST(StoreTest, AStoreOfAnotherConfigurationIsRefusedWithAdvice) {
  TempDir dir;
  Cube cube = Ingested(testing::SmallConfig(), dir, "e.jsonl", testing::RandomEvents(100, 1));
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE((*store)->cube().Save(&cube).ok());
  auto other = testing::SmallConfig("");
  auto changed = std::make_shared<const Config>(
      *Config::Parse(testing::SmallConfigYaml().replace(
                         testing::SmallConfigYaml().find("granularity: 1m"), 15, "granularity: 5m"),
                     "<t>"));
  auto loaded = (*store)->cube().Load(changed);
  EXPECT_EQ(loaded.status().code(), StatusCode::kConfig);
  EXPECT_NE(loaded.status().message().find("store.path"), std::string::npos);
  EXPECT_TRUE((*store)->cube().Load(other).ok());
}

TEST(StoreTest, UnopenableOrForeignFilesAreClearErrors) {
  TempDir dir;
  auto bad = Store::Open(dir.Write("not-a-db", std::string(4096, 'x')));
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not-a-db"), std::string::npos);
  auto nodir = Store::Open("/proc/vigil-cannot-create/v.db");
  EXPECT_EQ(nodir.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace vigil
