#include "vigil/ingest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ingest/compression.h"
#include "support/test_data.h"

namespace vigil {
namespace {

using testing::Gzip;
using testing::TempDir;
using testing::Zstd;

struct Fixture {
  std::shared_ptr<const Config> config = testing::SmallConfig();
  TempDir dir;
};

TEST(IngestTest, JsonLinesWithNestedFieldsAndMissingMeasures) {
  Fixture f;
  std::string text =
      "{\"ts\":\"2026-03-02T00:00:01.500Z\",\"a\":\"a1\",\"b\":\"b1\",\"c\":\"c1\",\"dev\":\"d1\","
      "\"lat\":{\"total\":120.5},\"retry\":false,\"outcome\":\"ok\",\"unmapped\":{\"x\":[1,2]}}\n"
      "{\"ts\":1772409602000,\"a\":\"a1\",\"b\":7,\"c\":null,\"outcome\":\"error\",\"retry\":1}\n"
      "\n"
      "  {\"ts\":\"2026-03-02T00:00:03Z\",\"a\":\"a2\",\"b\":\"b1\",\"c\":\"c1\",\"lat\":null}\n";
  Cube cube(f.config);
  auto s = IngestFiles({f.dir.Write("e.jsonl", text)}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, 3u);
  EXPECT_EQ(s->bad_lines, 0u);
  EXPECT_EQ(s->lines, 3u);
  EXPECT_EQ(cube.event_count(), 3u);
  auto total = cube.Total({});
  EXPECT_EQ(total->measures[0].count(), 1u);  // only one event has lat.total
  EXPECT_DOUBLE_EQ(total->measures[0].sum(), 120.5);
  auto b7 = cube.Total({{"b", "7"}});  // a number used as a label keeps its spelling
  EXPECT_EQ(b7->count, 1u);
  EXPECT_EQ(b7->counters[0], 1u);  // outcome != ok
  auto c_missing = cube.Total({{"c", ""}});
  EXPECT_EQ(c_missing->count, 1u);
}

TEST(IngestTest, BadLinesAreReportedWithFileLineAndReasonAndGoodLinesKept) {
  Fixture f;
  auto events = testing::RandomEvents(6, 1);
  std::vector<std::string> lines;
  for (size_t i = 0; i < events.size(); ++i) lines.push_back(testing::ToJsonLine(events[i], i));
  std::string text = lines[0] + "\n" +                                    // 1 ok
                     "{\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"a1\"\n" +  // 2 bad JSON
                     lines[1] + "\n" +                                    // 3 ok
                     "{\"ts\":\"2026-03-02T00:00:00Z\",\"lat\":{\"total\":\"slow\"}}\n" +  // 4
                     "{\"ts\":\"yesterday\",\"a\":\"a1\"}\n" +                  // 5 bad timestamp
                     lines[2] + "\n" +                                          // 6 ok
                     "{\"a\":\"a1\"}\n" +                                       // 7 no time
                     std::string(300, 'x') + "\n" +                             // 8 too long
                     std::string("\x01\xff\xfe garbage\x00\x02", 14) + "\n" +   // 9 binary
                     "[1,2,3]\n" +                                              // 10 not an object
                     "{\"ts\":\"2026-03-02T00:00:00Z\",\"retry\":\"yes\"}\n" +  // 11 bad flag
                     lines[3] + "\n" + lines[4] + "\n" + lines[5];  // 12-14 ok, no final \n
  auto config = testing::SmallConfig("limits: {max_line_bytes: 250, max_bad_lines_shown: 20}\n");
  Cube cube(config);
  std::string path = f.dir.Write("bad.jsonl", text);
  auto s = IngestFiles({path}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, 6u);
  EXPECT_EQ(s->bad_lines, 8u);
  EXPECT_EQ(cube.event_count(), 6u);
  ASSERT_EQ(s->first_bad_lines.size(), 8u);
  std::vector<std::pair<uint64_t, std::string>> expected = {
      {2, "invalid JSON"},
      {4, "field 'lat.total': expected a number"},
      {5, "field 'ts': bad timestamp"},
      {7, "missing field 'ts'"},
      {8, "over limits.max_line_bytes"},
      {9, "invalid JSON"},
      {10, "not a JSON object"},
      {11, "field 'retry': expected true or false"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const BadLine& b = s->first_bad_lines[i];
    EXPECT_EQ(b.file, path);
    EXPECT_EQ(b.line, expected[i].first) << b.reason;
    EXPECT_NE(b.reason.find(expected[i].second), std::string::npos)
        << "line " << b.line << ": " << b.reason;
  }
}

TEST(IngestTest, OnlyTheFirstBadLinesAreKeptButAllAreCounted) {
  Fixture f;
  std::string text;
  for (int i = 0; i < 50; ++i)
    text += "{oops\n" + testing::ToJsonLine(testing::RandomEvents(1, i)[0], i) + "\n";
  Cube cube(testing::SmallConfig("limits: {max_bad_lines_shown: 3}\n"));
  auto s = IngestFiles({f.dir.Write("e.jsonl", text)}, &cube);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->bad_lines, 50u);
  EXPECT_EQ(s->events, 50u);
  ASSERT_EQ(s->first_bad_lines.size(), 3u);
  EXPECT_EQ(s->first_bad_lines[2].line, 5u);
}

TEST(IngestTest, CompressedAndCsvInputsGiveTheSameCube) {
  Fixture f;
  auto events = testing::RandomEvents(3000, 7);
  std::string jsonl = testing::ToJsonLines(events);
  std::string csv = "ts,id,dev,a,b,c,lat.total,retry,outcome,ignored\n";
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    char lat[32] = "";
    if (!std::isnan(e.lat)) std::snprintf(lat, sizeof lat, "%.1f", e.lat);
    csv += FormatTimestamp(e.time) + ",r" + std::to_string(i) + "," + e.device + ",\"" + e.a +
           "\"," + e.b + "," + e.c + "," + lat + "," + (e.retry ? "true" : "false") + "," +
           e.outcome + ",\"x, \"\"quoted\"\"\"\r\n";
  }
  Cube plain(f.config), gz(f.config), zst(f.config), fromcsv(f.config);
  ASSERT_TRUE(IngestFiles({f.dir.Write("e.jsonl", jsonl)}, &plain).ok());
  auto g = IngestFiles({f.dir.Write("e.jsonl.gz", Gzip(jsonl))}, &gz);
  ASSERT_TRUE(g.ok()) << g.status().message();
  auto z = IngestFiles({f.dir.Write("e.jsonl.zst", Zstd(jsonl))}, &zst);
  ASSERT_TRUE(z.ok()) << z.status().message();
  auto c = IngestFiles({f.dir.Write("e.csv", csv)}, &fromcsv);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->bad_lines, 0u);
  EXPECT_EQ(c->events, events.size());
  EXPECT_TRUE(plain.Equivalent(gz));
  EXPECT_TRUE(plain.Equivalent(zst));
  EXPECT_TRUE(plain.Equivalent(fromcsv));
}

TEST(IngestTest, CsvBadRowsAreReported) {
  Fixture f;
  std::string csv =
      "ts,a,b,c,lat.total,retry,outcome\n"
      "2026-03-02T00:00:00Z,a1,b1,c1,12.5,false,ok\n"
      "2026-03-02T00:00:00Z,a1,b1,c1,fast,false,ok\n"
      "2026-03-02T00:00:00Z,a1,b1\n"
      "2026-03-02T00:00:00Z,\"a1,b1,c1,1,false,ok\n"
      ",a1,b1,c1,1,false,ok\n"
      "2026-03-02T00:00:00Z,a1,b1,c1,1,maybe,ok\n";
  Cube cube(f.config);
  auto s = IngestFiles({f.dir.Write("e.csv", csv)}, &cube);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->events, 1u);
  ASSERT_EQ(s->first_bad_lines.size(), 5u);
  EXPECT_EQ(s->first_bad_lines[0].line, 3u);
  EXPECT_NE(s->first_bad_lines[0].reason.find("field 'lat.total': expected a number"),
            std::string::npos);
  EXPECT_NE(s->first_bad_lines[1].reason.find("expected 7 fields, found 3"), std::string::npos);
  EXPECT_NE(s->first_bad_lines[2].reason.find("unterminated quoted field"), std::string::npos);
  EXPECT_NE(s->first_bad_lines[3].reason.find("empty timestamp"), std::string::npos);
  EXPECT_NE(s->first_bad_lines[4].reason.find("expected true or false"), std::string::npos);
  // A CSV without the time column is unusable.
  auto no_time = IngestFiles({f.dir.Write("n.csv", "a,b\na1,b1\n")}, &cube);
  EXPECT_EQ(no_time.status().code(), StatusCode::kDataError);
  EXPECT_NE(no_time.status().message().find("n.csv:1:"), std::string::npos);
}

TEST(IngestTest, ThreadedIngestEqualsSingleThreadedAndNumbersLinesGlobally) {
  Fixture f;
  auto events = testing::RandomEvents(80000, 13, 1772409600000, 600);
  std::string text = testing::ToJsonLines(events);
  // A bad line near the end: its number must count the lines of earlier chunks.
  text += "{broken\n";
  std::string path = f.dir.Write("big.jsonl", text);
  ASSERT_GT(text.size(), 8u << 20);  // big enough to be split
  Cube one(f.config), four(f.config);
  IngestOptions single, parallel;
  single.threads = 1;
  parallel.threads = 4;
  auto a = IngestFiles({path}, &one, single);
  auto b = IngestFiles({path}, &four, parallel);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->events, events.size());
  EXPECT_EQ(b->events, events.size());
  EXPECT_TRUE(one.Equivalent(four));
  ASSERT_EQ(b->first_bad_lines.size(), 1u);
  EXPECT_EQ(b->first_bad_lines[0].line, events.size() + 1);
}

TEST(IngestTest, MissingEmptyAndUnusableInputsAreClearErrors) {
  Fixture f;
  Cube cube(f.config);
  auto missing = IngestFiles({f.dir.Path("nope.jsonl")}, &cube);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.jsonl: no such file"), std::string::npos);
  // A missing file among good ones: nothing is ingested.
  std::string good = f.dir.Write("good.jsonl", testing::ToJsonLines(testing::RandomEvents(10, 1)));
  auto partly = IngestFiles({good, f.dir.Path("nope.jsonl")}, &cube);
  EXPECT_EQ(partly.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cube.event_count(), 0u);
  auto empty = IngestFiles({f.dir.Write("empty.jsonl", "")}, &cube);
  EXPECT_EQ(empty.status().code(), StatusCode::kDataError);
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  auto allbad = IngestFiles({f.dir.Write("bad.jsonl", "{x\n{y\n")}, &cube);
  EXPECT_EQ(allbad.status().code(), StatusCode::kDataError);
  EXPECT_NE(allbad.status().message().find("bad.jsonl:1:"), std::string::npos);
  auto dir = IngestFiles({f.dir.Path("")}, &cube);
  EXPECT_EQ(dir.status().code(), StatusCode::kIoError);
  // An empty file next to a good one is a warning, not an error.
  auto mixed = IngestFiles({good, f.dir.Path("empty.jsonl")}, &cube);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->events, 10u);
  ASSERT_EQ(mixed->warnings.size(), 1u);
  EXPECT_NE(mixed->warnings[0].find("empty.jsonl"), std::string::npos);
}

TEST(IngestTest, ACorruptCompressedTailKeepsWhatCameBefore) {
  Fixture f;
  auto events = testing::RandomEvents(2000, 17);
  std::string gz = Gzip(testing::ToJsonLines(events));
  std::string cut = gz.substr(0, gz.size() * 2 / 3);
  Cube cube(f.config);
  auto s = IngestFiles({f.dir.Write("cut.jsonl.gz", cut)}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_GT(s->events, 1000u);
  EXPECT_LT(s->events, events.size());
  EXPECT_LE(s->bad_lines, 1u);  // at most the line cut in half
  ASSERT_FALSE(s->warnings.empty());
  EXPECT_NE(s->warnings[0].find("cut.jsonl.gz"), std::string::npos);
}

TEST(IngestTest, IncrementalIngestAddsToTheCube) {
  Fixture f;
  auto events = testing::RandomEvents(4000, 19);
  std::vector<testing::RawEvent> first(events.begin(), events.begin() + 1500);
  std::vector<testing::RawEvent> second(events.begin() + 1500, events.end());
  Cube together(f.config), stepwise(f.config);
  ASSERT_TRUE(
      IngestFiles({f.dir.Write("all.jsonl", testing::ToJsonLines(events))}, &together).ok());
  ASSERT_TRUE(IngestFiles({f.dir.Write("a.jsonl", testing::ToJsonLines(first))}, &stepwise).ok());
  ASSERT_TRUE(IngestFiles({f.dir.Write("b.jsonl", testing::ToJsonLines(second))}, &stepwise).ok());
  EXPECT_TRUE(together.Equivalent(stepwise));
}

TEST(IngestTest, IngestBufferAcceptsTextFromMemory) {
  Fixture f;
  Cube cube(f.config);
  auto s =
      IngestBuffer(testing::ToJsonLines(testing::RandomEvents(5, 2)) + "{bad\n", "body", &cube);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->events, 5u);
  ASSERT_EQ(s->first_bad_lines.size(), 1u);
  EXPECT_EQ(s->first_bad_lines[0].file, "body");
  EXPECT_EQ(s->first_bad_lines[0].line, 6u);
}

// Found by fuzz/ingest_buffer_fuzz: an empty body copied zero bytes to the null storage of an
// empty buffer (undefined behaviour that the sanitizer build reports).
TEST(IngestTest, AnEmptyBufferIsNoEventsNotAFailure) {
  Fixture f;
  Cube cube(f.config);
  auto s = IngestBuffer("", "body", &cube);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->events, 0u);
  EXPECT_EQ(s->lines, 0u);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_EQ(s->warnings[0], "body: no events (the file is empty)");
  EXPECT_EQ(cube.event_count(), 0u);
}

}  // namespace
}  // namespace vigil
