// The incident side of a store: membership and counts read from tables, the upgrade of a store
// written before they existed, and writes that fail leaving the store as it was.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <type_traits>

#include "store/sql.h"
#include "support/test_data.h"
#include "vigil/store.h"

namespace vigil {
namespace {

using Json = nlohmann::json;
using testing::TempDir;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

static_assert(!std::is_copy_constructible_v<internal::Statement>);
static_assert(!std::is_copy_assignable_v<internal::Statement>);
static_assert(std::is_nothrow_move_constructible_v<internal::Statement>);

Json Member(const std::string& metric, const Json& slice, TimeMs start, TimeMs end) {
  return {{"metric", metric},
          {"slice", slice},
          {"start", FormatTimestamp(start)},
          {"end", end ? Json(FormatTimestamp(end)) : Json(nullptr)}};
}

std::string Document(const std::string& id, TimeMs start, TimeMs end, const std::string& severity,
                     const Json& members) {
  return Json{{"id", id},
              {"start", FormatTimestamp(start)},
              {"end", end ? Json(FormatTimestamp(end)) : Json(nullptr)},
              {"severity", severity},
              {"owner", "asr"},
              {"anomalies", members}}
      .dump();
}

Json WithoutStart(Json member) {
  member["start"] = "never";  // unreadable: readers leave the member out
  return member;
}

IncidentRecord Record(const std::string& id, const std::string& status, const std::string& severity,
                      TimeMs start, const Json& members) {
  return {id,    status, severity, "asr", "lat_p95",
          start, 0,      0,        true,  Document(id, start, 0, severity, members)};
}

TEST(IncidentStoreTest, MembersOnASeriesComeFromTheMembershipTable) {
  TempDir dir;
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  IncidentStore& incidents = (*store)->incidents();
  const Json ios = {{"platform", "iOS"}};
  const Json ios_model = {{"platform", "iOS"}, {"model", "m1"}};
  ASSERT_TRUE(
      incidents
          .PutAll({Record("inc-2", "open", "major", kStart + kDayMs,
                          {Member("lat_p95", ios, kStart + kDayMs, 0),
                           Member("lat_p95", ios_model, kStart + kDayMs, 0)}),
                   Record("inc-1", "resolved", "minor", kStart,
                          {Member("err_rate", ios, kStart, kStart + kHourMs),
                           Member("lat_p95", ios, kStart + kMinuteMs, kStart + kHourMs),
                           Json("not a member"), WithoutStart(Member("lat_p95", ios, kStart, 0))}),
                   {"inc-3", "open", "major", "asr", "lat_p95", kStart, 0, 0, true, "not json"}})
          .ok());

  auto members = incidents.MembersOn("lat_p95", {{"platform", "iOS"}});
  ASSERT_TRUE(members.ok()) << members.status().message();
  ASSERT_EQ(members->size(), 2u);  // by incident start: inc-1 first
  EXPECT_EQ((*members)[0].incident, "inc-1");
  EXPECT_EQ((*members)[0].status, "resolved");
  EXPECT_EQ((*members)[0].start, kStart + kMinuteMs);
  EXPECT_EQ((*members)[0].end, kStart + kHourMs);
  EXPECT_EQ(Json::parse((*members)[0].member),
            Member("lat_p95", ios, kStart + kMinuteMs, kStart + kHourMs));
  EXPECT_EQ((*members)[1].incident, "inc-2");
  EXPECT_EQ((*members)[1].end, 0);
  // Slices match exactly, whatever the order of their pairs.
  auto both = incidents.MembersOn("lat_p95", {{"model", "m1"}, {"platform", "iOS"}});
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->size(), 1u);
  EXPECT_EQ((*both)[0].incident, "inc-2");
  EXPECT_TRUE(incidents.MembersOn("lat_p95", {})->empty());

  // A new version of an incident replaces its members.
  ASSERT_TRUE(
      incidents.Put(Record("inc-2", "acknowledged", "major", kStart + kDayMs, Json::array())).ok());
  members = incidents.MembersOn("lat_p95", {{"platform", "iOS"}});
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].incident, "inc-1");

  // Counts list what readers list: inc-3's document is not an object.
  auto counts = incidents.Counts();
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].status, "acknowledged");
  EXPECT_EQ((*counts)[0].incidents, 1);
  EXPECT_EQ((*counts)[1].status, "resolved");
  EXPECT_EQ((*counts)[1].severity, "minor");
  EXPECT_EQ((*counts)[1].owner, "asr");
}

TEST(IncidentStoreTest, DetectDocumentsAreListedUntilTheLifecycleHasIncidents) {
  TempDir dir;
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  IncidentStore& incidents = (*store)->incidents();
  const Json slice = {{"platform", "iOS"}};
  ASSERT_TRUE(
      incidents
          .ReplaceDocuments(
              "incident",
              {{"d-1", Document("d-1", kStart, kStart + kHourMs, "minor",
                                Json::array({Member("lat_p95", slice, kStart, kStart + kHourMs)}))},
               {"d-2", Document("d-2", kStart + kDayMs, 0, "major",
                                Json::array({Member("lat_p95", slice, kStart + kDayMs, 0)}))}})
          .ok());
  auto counts = incidents.Counts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);  // an end makes a document resolved
  EXPECT_EQ((*counts)[0].status, "open");
  EXPECT_EQ((*counts)[0].severity, "major");
  EXPECT_EQ((*counts)[1].status, "resolved");
  auto members = incidents.MembersOn("lat_p95", {{"platform", "iOS"}});
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].incident, "d-1");
  EXPECT_EQ((*members)[0].status, "resolved");
  EXPECT_EQ((*members)[1].status, "open");

  // Replacing the documents replaces what is listed.
  ASSERT_TRUE(incidents.ReplaceDocuments("incident", {}).ok());
  EXPECT_TRUE(incidents.MembersOn("lat_p95", {{"platform", "iOS"}})->empty());
  ASSERT_TRUE(
      incidents
          .ReplaceDocuments("incident",
                            {{"d-1", Document("d-1", kStart, 0, "minor",
                                              Json::array({Member("lat_p95", slice, kStart, 0)}))}})
          .ok());
  // Once the lifecycle has an incident, only the lifecycle is listed.
  ASSERT_TRUE(incidents.Put(Record("inc-1", "open", "critical", kStart, Json::array())).ok());
  EXPECT_TRUE(incidents.MembersOn("lat_p95", {{"platform", "iOS"}})->empty());
  counts = incidents.Counts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].severity, "critical");
}

// The tables of schema version 1, as a store written before the membership table has them.
constexpr const char* kVersion1 =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE dimension_values(dimension INTEGER NOT NULL, code INTEGER NOT NULL, value TEXT "
    "NOT NULL, PRIMARY KEY(dimension, code));"
    "CREATE TABLE dimension_folds(dimension INTEGER PRIMARY KEY, folded_events INTEGER NOT NULL);"
    "CREATE TABLE cube_buckets(bucket INTEGER PRIMARY KEY, events INTEGER NOT NULL, cells BLOB NOT "
    "NULL);"
    "CREATE TABLE documents(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY "
    "KEY(kind, id));"
    "CREATE TABLE incidents(id TEXT PRIMARY KEY, status TEXT NOT NULL, severity TEXT NOT NULL, "
    "owner TEXT NOT NULL, metric TEXT NOT NULL, start INTEGER NOT NULL, end_time INTEGER NOT NULL, "
    "updated INTEGER NOT NULL, paging INTEGER NOT NULL, document TEXT NOT NULL);"
    "CREATE TABLE feedback(seq INTEGER PRIMARY KEY AUTOINCREMENT, incident TEXT NOT NULL, verdict "
    "TEXT NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE TABLE silences(id INTEGER PRIMARY KEY AUTOINCREMENT, matchers TEXT NOT NULL, starts "
    "INTEGER NOT NULL, ends INTEGER NOT NULL, comment TEXT NOT NULL);"
    "CREATE TABLE deliveries(incident TEXT NOT NULL, sink TEXT NOT NULL, state TEXT NOT NULL, at "
    "INTEGER NOT NULL, PRIMARY KEY(incident, sink));"
    "INSERT INTO meta VALUES('schema_version', '1');";

void WriteVersion1Store(const std::string& path, const std::string& document) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kVersion1, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_stmt* put = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db,
                         "INSERT INTO incidents VALUES('inc-1', 'acknowledged', 'major', 'asr', "
                         "'lat_p95', 0, 0, 0, 1, ?)",
                         -1, &put, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(put, 1, document.c_str(), static_cast<int>(document.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(put), SQLITE_DONE);
  sqlite3_finalize(put);
  sqlite3_close(db);
}

TEST(IncidentStoreTest, AStoreOfSchemaVersion1GetsItsMembershipOnce) {
  TempDir dir;
  const std::string path = dir.Path("old.db");
  const Json slice = {{"platform", "iOS"}};
  WriteVersion1Store(path, Document("inc-1", kStart, 0, "major",
                                    Json::array({Member("lat_p95", slice, kStart, 0)})));
  for (int round = 0; round < 2; ++round) {  // the second open finds the store up to date
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto members = (*store)->incidents().MembersOn("lat_p95", {{"platform", "iOS"}});
    ASSERT_TRUE(members.ok()) << members.status().message();
    ASSERT_EQ(members->size(), 1u) << round;
    EXPECT_EQ((*members)[0].incident, "inc-1");
    EXPECT_EQ((*members)[0].status, "acknowledged");
    auto counts = (*store)->incidents().Counts();
    ASSERT_TRUE(counts.ok());
    ASSERT_EQ(counts->size(), 1u);
    EXPECT_EQ((*counts)[0].incidents, 1);
    auto found = (*store)->incidents().Find("inc-1");
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->status, "acknowledged");
  }
}

TEST(IncidentStoreTest, AStoreOfANewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.Path("new.db");
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_EQ(sqlite3_exec((*store)->handle(),
                           "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
  }
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos);
}

int RefuseCommit(void*) { return 1; }  // non-zero: SQLite turns the COMMIT into a rollback

TEST(IncidentStoreTest, AFailedCommitLeavesTheStoreAsItWas) {
  TempDir dir;
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  IncidentStore& incidents = (*store)->incidents();
  const Json slice = {{"platform", "iOS"}};
  ASSERT_TRUE(incidents
                  .Put(Record("inc-1", "open", "major", kStart,
                              Json::array({Member("lat_p95", slice, kStart, 0)})))
                  .ok());

  sqlite3_commit_hook((*store)->handle(), RefuseCommit, nullptr);
  Status failed = incidents.PutAll({Record("inc-1", "resolved", "major", kStart, Json::array()),
                                    Record("inc-2", "open", "minor", kStart, Json::array())});
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  sqlite3_commit_hook((*store)->handle(), nullptr, nullptr);

  auto all = incidents.All();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].status, "open");
  EXPECT_EQ(incidents.MembersOn("lat_p95", {{"platform", "iOS"}})->size(), 1u);
  // No transaction is left open: the next write goes through.
  ASSERT_TRUE(incidents.Put(Record("inc-2", "open", "minor", kStart, Json::array())).ok());
  EXPECT_EQ(incidents.All()->size(), 2u);
}

TEST(IncidentStoreTest, AFailedStepIsAnErrorNamingTheStoreAndTheWrite) {
  TempDir dir;
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(sqlite3_exec((*store)->handle(),
                         "CREATE TRIGGER no_deliveries BEFORE INSERT ON deliveries "
                         "BEGIN SELECT RAISE(ABORT, 'deliveries are off'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  Status failed = (*store)->incidents().PutDelivery({"inc-1", "slack", "firing", 1});
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("v.db"), std::string::npos);
  EXPECT_NE(failed.message().find("writing a delivery"), std::string::npos);
  EXPECT_NE(failed.message().find("deliveries are off"), std::string::npos);
}

}  // namespace
}  // namespace vigil
