// Damaged, mixed and unusual inputs: a bad line anywhere costs only that line; pipes lose
// nothing and never hang; endless or exploding streams end with a warning naming them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "ingest/compression.h"
#include "ingest/workers.h"
#include "support/test_data.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

using testing::Gzip;
using testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Joined(const std::vector<std::string>& warnings) {
  std::string all;
  for (const std::string& w : warnings) all += w + "\n";
  return all;
}

std::string CsvHeader() { return "ts,id,dev,a,b,c,lat.total,retry,outcome\n"; }

std::string ToCsvLine(const testing::RawEvent& e, int id) {
  char lat[32] = "";
  if (!std::isnan(e.lat)) std::snprintf(lat, sizeof lat, "%.1f", e.lat);
  return FormatTimestamp(e.time) + ",r" + std::to_string(id) + "," + e.device + "," + e.a + "," +
         e.b + "," + e.c + "," + lat + "," + (e.retry ? "true" : "false") + "," + e.outcome;
}

// The cube made of `events` directly, to compare an ingest against.
Cube Expected(std::shared_ptr<const Config> config, const std::vector<testing::RawEvent>& events) {
  Cube cube(config);
  for (const auto& e : events) EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  return cube;
}

// Writes `text` into the FIFO at `path` from another thread, after `delay`, in pieces of `piece`
// bytes. Gives up (leaving the FIFO alone) when no reader opened it within 10 s.
std::thread WriteFifo(const std::string& path, std::string text,
                      std::chrono::milliseconds delay = {}, size_t piece = 1 << 16,
                      std::chrono::milliseconds pause_after_open = {}) {
  return std::thread([=] {
    std::this_thread::sleep_for(delay);
    int fd = -1;
    for (int i = 0; i < 1000 && fd < 0; ++i) {
      fd = open(path.c_str(), O_WRONLY | O_NONBLOCK);  // fails (ENXIO) until a reader is there
      if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (fd < 0) return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::this_thread::sleep_for(pause_after_open);
    for (size_t at = 0; at < text.size();) {
      ssize_t n = write(fd, text.data() + at, std::min(piece, text.size() - at));
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    close(fd);
  });
}

std::string MakeFifo(const TempDir& dir, const std::string& name) {
  std::string path = dir.Path(name);
  EXPECT_EQ(mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Format: one bad line, wherever it is, costs that line only.

const std::vector<std::string>& DamagedLines() {
  static const std::vector<std::string> kLines = {
      "\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"a1\"}",  // lost its opening brace
      std::string("\x01\xff\xfe garbage\x00\x02", 14),  // binary
      "ts,a,b",                                         // looks like a CSV header
      "{\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"a1\"",  // cut short
      "[1,2,3]",
  };
  return kLines;
}

TEST(IngestRobustnessTest, JsonLinesKeepEveryGoodLineWhicheverLineIsDamaged) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(12, 5);
  for (size_t bad_at = 0; bad_at <= events.size(); ++bad_at) {
    for (const std::string& damaged : DamagedLines()) {
      std::string text;
      for (size_t i = 0; i <= events.size(); ++i) {
        if (i == bad_at) text += damaged + "\n";
        if (i < events.size()) text += testing::ToJsonLine(events[i], static_cast<int>(i)) + "\n";
      }
      Cube cube(config);
      auto s = IngestFiles({dir.Write("e.jsonl", text)}, &cube);
      ASSERT_TRUE(s.ok()) << "bad line " << bad_at + 1 << ": " << s.status().message();
      EXPECT_EQ(s->events, events.size()) << "bad line " << bad_at + 1;
      EXPECT_TRUE(cube.Equivalent(Expected(config, events))) << "bad line " << bad_at + 1;
      ASSERT_EQ(s->first_bad_lines.size(), 1u);
      EXPECT_EQ(s->first_bad_lines[0].line, bad_at + 1);
      if (damaged[0] != '{') {  // a vote against JSON Lines, which still win
        EXPECT_TRUE(Contains(Joined(s->warnings), "read as JSON Lines")) << Joined(s->warnings);
      }
    }
  }
}

TEST(IngestRobustnessTest, CsvKeepsEveryGoodRowWhicheverRowIsDamaged) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(12, 6);
  const std::vector<std::string> damaged = {
      std::string("2026-03-02T00:00:00Z,r,d,a\x01,b,c,1,true,ok"),  // one control byte
      std::string("\x00\x00\x00", 3), "{\"ts\":1}", "2026-03-02T00:00:00Z,\"a1,b1"};
  for (size_t bad_at = 0; bad_at <= events.size(); ++bad_at) {
    for (const std::string& bad : damaged) {
      std::string text = CsvHeader();
      for (size_t i = 0; i <= events.size(); ++i) {
        if (i == bad_at) text += bad + "\n";
        if (i < events.size()) text += ToCsvLine(events[i], static_cast<int>(i)) + "\n";
      }
      Cube cube(config);
      auto s = IngestFiles({dir.Write("e.csv", text)}, &cube);
      ASSERT_TRUE(s.ok()) << "bad line " << bad_at + 2 << ": " << s.status().message();
      EXPECT_EQ(s->events, events.size()) << "bad line " << bad_at + 2;
      EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
      ASSERT_EQ(s->first_bad_lines.size(), 1u);
      EXPECT_EQ(s->first_bad_lines[0].line, bad_at + 2);
    }
  }
}

TEST(IngestRobustnessTest, AByteOrderMarkIsSkippedInBothFormats) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(20, 7);
  std::string csv = CsvHeader();
  for (size_t i = 0; i < events.size(); ++i)
    csv += ToCsvLine(events[i], static_cast<int>(i)) + "\r\n";
  const std::string bom = "\xEF\xBB\xBF";
  for (const std::string& text : {bom + testing::ToJsonLines(events), bom + csv}) {
    Cube cube(config);
    auto s = IngestFiles({dir.Write("bom.txt", text)}, &cube);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->events, events.size());
    EXPECT_EQ(s->bad_lines, 0u);
    EXPECT_TRUE(s->warnings.empty()) << Joined(s->warnings);
    EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
  }
  // Files joined with cat: the second one's mark is in the middle.
  Cube cube(config);
  auto s = IngestFiles({dir.Write("cat.jsonl", bom + testing::ToJsonLines(events) + bom +
                                                   testing::ToJsonLines(events))},
                       &cube);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->events, 2 * events.size());
}

TEST(IngestRobustnessTest, LinesBeforeTheCsvHeaderAreBadLinesAndTheChoiceIsExplained) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(30, 8);
  std::string text = "exported by a tool, 2026-03-02\n\n" + CsvHeader();
  for (size_t i = 0; i < events.size(); ++i)
    text += ToCsvLine(events[i], static_cast<int>(i)) + "\n";
  Cube cube(config);
  std::string path = dir.Write("titled.csv", text);
  auto s = IngestFiles({path}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  ASSERT_EQ(s->first_bad_lines.size(), 1u);
  EXPECT_EQ(s->first_bad_lines[0].line, 1u);
  EXPECT_TRUE(Contains(s->first_bad_lines[0].reason, "before the CSV header on line 3"));
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_TRUE(Contains(s->warnings[0], path + ": read as CSV with the CSV header on line 3"));
  EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
}

TEST(IngestRobustnessTest, MostlyJsonWithAHeaderLikeLineIsReadAsJsonLines) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(10, 9);
  Cube cube(config);
  auto s =
      IngestFiles({dir.Write("mixed.jsonl", "ts,a,b\n" + testing::ToJsonLines(events))}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  EXPECT_EQ(s->bad_lines, 1u);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_TRUE(Contains(s->warnings[0], "read as JSON Lines: 10 of the first 11 non-blank lines"));
  EXPECT_TRUE(Contains(s->warnings[0], "header-like line 1"));
}

TEST(IngestRobustnessTest, TextThatIsNeitherFormatIsRefusedWithBothReasons) {
  TempDir dir;
  Cube cube(testing::SmallConfig());
  auto s = IngestFiles({dir.Write("n.csv", "time,a\n2026-03-02,a1\n")}, &cube);
  EXPECT_EQ(s.status().code(), StatusCode::kDataError);
  EXPECT_TRUE(Contains(s.status().message(), "n.csv:1: the CSV header has no column 'ts'"));
  EXPECT_TRUE(
      Contains(s.status().message(), "none of the first 2 non-blank lines is a JSON object"));
}

TEST(IngestRobustnessTest, AHugeFirstLineIsABadLineNotAHeaderOfMillionsOfColumns) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(10, 15);
  Cube cube(config);
  auto s = IngestFiles({dir.Write("wide.jsonl", "ts" + std::string(8 << 20, ',') + "\n" +
                                                    testing::ToJsonLines(events))},
                       &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  ASSERT_EQ(s->first_bad_lines.size(), 1u);
  EXPECT_TRUE(Contains(s->first_bad_lines[0].reason, "over limits.max_line_bytes"));
}

// ---------------------------------------------------------------------------------------------
// Values: what is kept is exact; what cannot be kept is a bad line with its reason.

TEST(IngestRobustnessTest, TimesOutsideTheSupportedRangeAreBadLinesNamingTheField) {
  TempDir dir;
  auto config = testing::SmallConfig("limits: {max_bad_lines_shown: 50}\n");
  const std::vector<std::string> bad_times = {"-9223372036854775808",
                                              "9223372036854775807",
                                              "8.9e15",
                                              "-8.9e15",
                                              "1e300",
                                              "-1",
                                              "\"0000-01-01T00:00:00Z\"",
                                              "\"9999-12-31T23:59:59Z\"",
                                              "\"1969-12-31T23:59:59Z\"",
                                              "\"2200-01-01T00:00:00Z\"",
                                              "\"-9223372036854775808\"",
                                              "18446744073709551615"};
  auto events = testing::RandomEvents(3, 10);
  std::string json = testing::ToJsonLine(events[0], 0) + "\n";
  std::string csv = CsvHeader() + ToCsvLine(events[0], 0) + "\n";
  for (const std::string& t : bad_times) {
    json += "{\"ts\":" + t + ",\"a\":\"a1\"}\n";
    std::string unquoted = t.front() == '"' ? t.substr(1, t.size() - 2) : t;
    if (unquoted.find('e') == std::string::npos) csv += unquoted + ",r,d,a1,b,c,1,true,ok\n";
  }
  json += testing::ToJsonLine(events[1], 1) + "\n" + "{\"ts\":7258118399999,\"a\":\"last\"}\n";
  csv += ToCsvLine(events[1], 1) + "\n";
  for (const auto& [name, text] : {std::pair{"t.jsonl", json}, std::pair{"t.csv", csv}}) {
    Cube cube(config);
    std::string path = dir.Write(name, text);
    auto s = IngestFiles({path}, &cube);
    ASSERT_TRUE(s.ok()) << s.status().message();
    bool is_json = std::string(name) == "t.jsonl";
    EXPECT_EQ(s->events, is_json ? 3u : 2u)
        << name;  // 2199-12-31T23:59:59.999Z is the last time kept
    ASSERT_EQ(s->bad_lines, s->first_bad_lines.size());
    EXPECT_EQ(s->bad_lines, is_json ? bad_times.size() : bad_times.size() - 3) << name;
    for (size_t i = 0; i < s->first_bad_lines.size(); ++i) {
      const BadLine& b = s->first_bad_lines[i];
      EXPECT_EQ(b.file, path);
      EXPECT_EQ(b.line, i + 2 + (is_json ? 0 : 1));
      EXPECT_TRUE(b.reason.starts_with("field 'ts': "))
          << name << ":" << b.line << ": " << b.reason;
    }
    EXPECT_GE(cube.first_bucket(), 0);
  }
}

TEST(IngestRobustnessTest, CsvTextMustBeValidUtf8AsJsonLinesAre) {
  TempDir dir;
  auto config = testing::SmallConfig();
  std::string text =
      "ts,a,b,ignored\n"
      "2026-03-02T00:00:00Z,caf\xC3\xA9,b1,x\n"
      "2026-03-02T00:00:01Z,caf\xE9,b1,x\n"     // Latin-1: bad line
      "2026-03-02T00:00:02Z,a1,b1,\xFF\xFE\n";  // in a column not mapped: kept
  Cube cube(config);
  auto s = IngestFiles({dir.Write("u.csv", text)}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, 2u);
  ASSERT_EQ(s->first_bad_lines.size(), 1u);
  EXPECT_EQ(s->first_bad_lines[0].line, 3u);
  EXPECT_EQ(s->first_bad_lines[0].reason, "field 'a': not valid UTF-8 text");
  EXPECT_EQ(cube.Total({{"a", "caf\xC3\xA9"}})->count, 1u);
}

TEST(IngestRobustnessTest, NulBytesInValuesAreKeptExactly) {
  TempDir dir;
  auto config = testing::SmallConfig();
  Cube cube(config);
  auto s = IngestFiles({dir.Write("nul.jsonl",
                                  "{\"ts\":\"2026-03-02T00:00:00Z\",\"a\":\"x\"}\n"
                                  "{\"ts\":\"2026-03-02T00:00:01Z\",\"a\":\"x\\u0000y\"}\n")},
                       &cube);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(cube.DimensionValues(0).size(), 2u);
  EXPECT_EQ(cube.DimensionValues(0)[1], std::string("x\0y", 3));
}

// ---------------------------------------------------------------------------------------------
// Streams: pipes, FIFOs, compressed files, endless devices.

TEST(IngestRobustnessTest, AFifoIsReadOnceFromItsFirstByteAcrossManyBlocks) {
  TempDir dir;
  auto config = testing::SmallConfig("limits: {max_bad_lines_shown: 5}\n");
  // More than two stream blocks (16 MiB a thread), with bad lines across the blocks.
  auto events = testing::RandomEvents(260000, 11, 1772409600000, 600);
  std::string text;
  std::vector<uint64_t> bad_lines;
  uint64_t line = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    text += testing::ToJsonLine(events[i], static_cast<int>(i)) + "\n";
    ++line;
    if (i % 70000 == 69999) {
      text += "{broken\n";
      bad_lines.push_back(++line);
    }
  }
  ASSERT_GT(text.size(), 33u << 20);
  std::string fifo = MakeFifo(dir, "events.fifo");
  IngestOptions options;
  options.threads = 1;  // blocks of 16 MiB
  std::thread writer = WriteFifo(fifo, text, std::chrono::milliseconds(50), 4093);
  Cube from_fifo(config);
  auto s = IngestFiles({fifo}, &from_fifo, options);
  writer.join();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  EXPECT_EQ(s->bytes, text.size());
  ASSERT_EQ(s->first_bad_lines.size(), bad_lines.size());
  for (size_t i = 0; i < bad_lines.size(); ++i) EXPECT_EQ(s->first_bad_lines[i].line, bad_lines[i]);
  Cube from_file(config);
  ASSERT_TRUE(IngestFiles({dir.Write("events.jsonl", text)}, &from_file, options).ok());
  EXPECT_TRUE(from_fifo.Equivalent(from_file));
  // A gzip file is read as a stream too, with the same result.
  Cube from_gzip(config);
  options.threads = 2;  // blocks of 32 MiB, each parsed on two threads
  auto g = IngestFiles({dir.Write("events.jsonl.gz", Gzip(text, 1))}, &from_gzip, options);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->first_bad_lines.size(), bad_lines.size());
  EXPECT_TRUE(from_gzip.Equivalent(from_file));
}

TEST(IngestRobustnessTest, AFifoWithoutAWriterIsAnErrorAfterTheWaitNotAHang) {
  TempDir dir;
  std::string fifo = MakeFifo(dir, "nobody.fifo");
  IngestOptions options;
  options.pipe_writer_wait = std::chrono::milliseconds(200);
  Cube cube(testing::SmallConfig());
  auto s = IngestFiles({fifo}, &cube, options);
  EXPECT_EQ(s.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(s.status().message(),
                       fifo + ": no process opened this pipe for writing within 0.2 s"))
      << s.status().message();
}

TEST(IngestRobustnessTest, AFifoWriterThatIsLateOrSilentIsWaitedFor) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(100, 12);
  std::string text = testing::ToJsonLines(events);
  IngestOptions options;
  options.pipe_writer_wait = std::chrono::milliseconds(300);
  {  // opens the FIFO after 100 ms, within the wait
    std::string fifo = MakeFifo(dir, "late.fifo");
    std::thread writer = WriteFifo(fifo, text, std::chrono::milliseconds(100));
    Cube cube(config);
    auto s = IngestFiles({fifo}, &cube, options);
    writer.join();
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
  }
  {  // opens it at once but writes only after the wait: a slow producer, not a missing one
    std::string fifo = MakeFifo(dir, "slow.fifo");
    std::thread writer = WriteFifo(fifo, text, {}, 1 << 16, std::chrono::milliseconds(800));
    Cube cube(config);
    auto s = IngestFiles({fifo}, &cube, options);
    writer.join();
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
  }
}

TEST(IngestRobustnessTest, AnEndlessDeviceEndsWithAWarningNamingIt) {
  IngestOptions options;
  options.max_bytes_without_event = 8 << 20;
  Cube cube(testing::SmallConfig());
  auto s = IngestFiles({"/dev/zero"}, &cube, options);
  EXPECT_EQ(s.status().code(), StatusCode::kDataError);
  EXPECT_TRUE(Contains(s.status().message(), "/dev/zero:1: line of more than"))
      << s.status().message();
  EXPECT_TRUE(Contains(s.status().message(), "/dev/zero: stopped reading at line 1"))
      << s.status().message();
  auto random = IngestFiles({"/dev/urandom"}, &cube, options);
  EXPECT_EQ(random.status().code(), StatusCode::kDataError);
  EXPECT_TRUE(Contains(random.status().message(), "/dev/urandom: stopped reading"))
      << random.status().message();
  EXPECT_EQ(cube.event_count(), 0u);
}

TEST(IngestRobustnessTest, BinaryDataWhoseFirstLineIsPrintableByChanceIsStillBinary) {
  TempDir dir;
  std::string text = "x7\n";  // a short run of random bytes can be printable
  for (int i = 0; i < 20; ++i) text += std::string("\x01\xff\xfe\x00\x9c\x02", 6) + "\n";
  Cube cube(testing::SmallConfig());
  auto s = IngestFiles({dir.Write("noise.bin", text)}, &cube);
  std::string said = s.ok() ? Joined(s->warnings) : s.status().message();
  EXPECT_FALSE(Contains(said, "neither CSV nor JSON Lines")) << said;
  if (s.ok()) {
    EXPECT_EQ(s->bad_lines, 21u);
  }
  EXPECT_EQ(cube.event_count(), 0u);
}

TEST(IngestRobustnessTest, ADecompressionBombIsReadNoFurtherThanItsGoodEvents) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(500, 13);
  // Good events, then 1 GiB of zeros (16 gzip members of 64 MiB each, under 5 MB on disk).
  std::string bomb = Gzip(testing::ToJsonLines(events));
  std::string zeros = Gzip(std::string(64 << 20, '\0'), 1);
  for (int i = 0; i < 16; ++i) bomb += zeros;
  ASSERT_LT(bomb.size(), 8u << 20);
  IngestOptions options;
  options.max_bytes_without_event = 64 << 20;
  Cube cube(config);
  std::string path = dir.Write("bomb.jsonl.gz", bomb);
  auto s = IngestFiles({path}, &cube, options);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  EXPECT_LT(s->bytes, 512u << 20);  // stopped well before the end
  EXPECT_EQ(s->bad_lines, 1u);      // the one line of zeros, over limits.max_line_bytes
  EXPECT_TRUE(Contains(Joined(s->warnings), path + ": stopped reading at line 501"))
      << Joined(s->warnings);
  EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
}

TEST(IngestRobustnessTest, ALongLineInAStreamIsDroppedAsItArrivesAndNumbered) {
  TempDir dir;
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(400, 14);
  std::string text;
  for (size_t i = 0; i < events.size(); ++i) {
    text += testing::ToJsonLine(events[i], static_cast<int>(i)) + "\n";
    if (i == 199) text += "{\"ts\":\"" + std::string(40 << 20, 'x') + "\"}\n";  // line 201, 40 MiB
  }
  Cube cube(config);
  std::string path = dir.Write("long.jsonl.gz", Gzip(text, 1));
  auto s = IngestFiles({path}, &cube);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->events, events.size());
  ASSERT_EQ(s->first_bad_lines.size(), 1u);
  EXPECT_EQ(s->first_bad_lines[0].line, 201u);
  EXPECT_TRUE(Contains(s->first_bad_lines[0].reason,
                       "line is " + std::to_string((40 << 20) + 9) + " bytes"))
      << s->first_bad_lines[0].reason;
  EXPECT_TRUE(cube.Equivalent(Expected(config, events)));
}

TEST(IngestRobustnessTest, ScanFilesSkipsWhatCannotBeReadTwice) {
  TempDir dir;
  auto config = testing::SmallConfig();
  std::string fifo = MakeFifo(dir, "once.fifo");
  int seen = 0;
  auto s = ScanFiles({fifo}, *config, [&](const Event&) { ++seen; });
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(seen, 0);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_TRUE(Contains(s->warnings[0], fifo + ": not a regular file"));
}

// ---------------------------------------------------------------------------------------------
// Workers: a failure in a parsing thread is never lost.

TEST(IngestRobustnessTest, AWorkersExceptionIsReturnedNotLost) {
  std::atomic<int> finished{0};
  Status s = internal::RunWorkers(4, "f.jsonl", [&](int i) -> Status {
    if (i == 2) throw std::runtime_error("boom");
    ++finished;
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "f.jsonl: boom");
  EXPECT_EQ(finished.load(), 3);  // the others ran to their end
  Status oom = internal::RunWorkers(2, "g.jsonl", [](int i) -> Status {
    if (i == 1) throw std::bad_alloc();
    return Status::Ok();
  });
  EXPECT_EQ(oom.code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(oom.message(), "g.jsonl: out of memory");
  Status failed = internal::RunWorkers(
      3, "h", [](int i) { return i == 1 ? DataError("second") : Status::Ok(); });
  EXPECT_EQ(failed.message(), "second");
}

}  // namespace
}  // namespace vigil
