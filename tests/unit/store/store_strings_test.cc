// Strings go through the store byte for byte: a NUL byte inside a value (JSON's \u0000) is part of
// it, and a value must not come back as its prefix.
#include <gtest/gtest.h>

#include "support/test_data.h"
#include "vigil/ingest.h"
#include "vigil/store.h"

namespace vigil {
namespace {

using testing::TempDir;

const std::string kNul("\0", 1);

TEST(StoreStringsTest, DimensionValuesWithNulBytesRoundTripAndTheStoreStaysUsable) {
  TempDir dir;
  auto config = testing::SmallConfig();
  // "x", "x\0y" and "x\0z" are three values; read back as C strings they were all "x".
  std::string text =
      "{\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"x\"}\n"
      "{\"ts\":\"2026-03-02T00:00:01Z\",\"a\":\"x\\u0000y\"}\n"
      "{\"ts\":\"2026-03-02T00:00:02Z\",\"a\":\"x\\u0000z\",\"b\":\"\\u0000\"}\n";
  Cube cube(config);
  ASSERT_TRUE(IngestFiles({dir.Write("nul.jsonl", text)}, &cube).ok());
  {
    auto store = Store::Open(dir.Path("v.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->cube().Save(&cube).ok());
  }
  for (int round = 0; round < 2; ++round) {
    auto store = Store::Open(dir.Path("v.db"));
    ASSERT_TRUE(store.ok());
    auto loaded = (*store)->cube().Load(config);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_TRUE(loaded->Equivalent(cube));
    const auto& a = loaded->DimensionValues(0);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[1], "x" + kNul + "y");
    EXPECT_EQ(a[2], "x" + kNul + "z");
    EXPECT_EQ(loaded->DimensionValues(1).back(), kNul);
    EXPECT_EQ(loaded->Total({{"a", "x" + kNul + "z"}})->count, static_cast<uint64_t>(round + 1));
    // The loaded cube takes more of the same input and saves again (the second round reads it).
    ASSERT_TRUE(IngestFiles({dir.Path("nul.jsonl")}, &*loaded).ok());
    ASSERT_TRUE((*store)->cube().Save(&*loaded).ok());
    ASSERT_TRUE(IngestFiles({dir.Path("nul.jsonl")}, &cube).ok());
  }
}

TEST(StoreStringsTest, IncidentFeedbackAndDocumentTextKeepNulBytes) {
  TempDir dir;
  auto store = Store::Open(dir.Path("v.db"));
  ASSERT_TRUE(store.ok());
  IncidentRecord incident;
  incident.id = "inc-1";
  incident.status = "open";
  incident.severity = "major";
  incident.owner = "asr" + kNul + "team";
  incident.metric = "e2e" + kNul + "p95";
  incident.document = "{}";
  ASSERT_TRUE((*store)->incidents().Put(incident).ok());
  auto found = (*store)->incidents().Find("inc-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->owner, incident.owner);
  EXPECT_EQ(found->metric, incident.metric);

  ASSERT_TRUE((*store)
                  ->incidents()
                  .AddFeedback({"inc-1", "true_positive", "seen" + kNul + "twice", 1})
                  .ok());
  auto feedback = (*store)->incidents().Feedback("inc-1");
  ASSERT_TRUE(feedback.ok());
  ASSERT_EQ(feedback->size(), 1u);
  EXPECT_EQ((*feedback)[0].note, "seen" + kNul + "twice");

  std::string id = "a" + kNul + "1";
  ASSERT_TRUE((*store)
                  ->incidents()
                  .ReplaceDocuments("kind", {{id, "body" + kNul + "tail"}, {"a", "other"}})
                  .ok());
  auto docs = (*store)->incidents().Documents("kind");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].first, "a");
  EXPECT_EQ((*docs)[1].first, id);
  EXPECT_EQ((*docs)[1].second, "body" + kNul + "tail");
}

TEST(StoreStringsTest, ASerializedCubeKeepsNulBytesInValues) {
  TempDir dir;
  auto config = testing::SmallConfig();
  Cube cube(config);
  ASSERT_TRUE(IngestFiles({dir.Write("nul.jsonl",
                                     "{\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"x\"}\n"
                                     "{\"ts\":\"2026-03-02T00:00:01Z\",\"a\":\"x\\u0000\"}\n")},
                          &cube)
                  .ok());
  std::string bytes;
  cube.Serialize(&bytes);
  auto back = Cube::Deserialize(bytes, config);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->Equivalent(cube));
  EXPECT_EQ(back->DimensionValues(0)[1], "x" + kNul);
}

}  // namespace
}  // namespace vigil
