// The format detector and the whole in-memory ingest (IngestBuffer, as POST /api/ingest uses
// it): JSON Lines or CSV by content, every line parsed, good events added to a cube. The first
// byte picks the origin's file name extension and whether the input is ingested twice.
// Properties: no crash; the counts add up (lines = events + bad lines, the cube holds the
// events); every bad line shown names the origin and a line within the input; ingesting the
// same bytes again gives the same counts and doubles the cube's events.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "vigil/cube.h"
#include "vigil/ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::fuzz;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  uint8_t selector = TakeSelector(&text);
  static const char* kOrigins[] = {"events.jsonl", "events.csv", "events", "-"};
  std::string origin = kOrigins[selector % 4];
  Cube cube(SpeechConfig());
  IngestOptions options;
  options.threads = 1;
  auto stats = IngestBuffer(text, origin, &cube, options);
  if (!stats.ok()) {
    VIGIL_FUZZ_CHECK(!stats.status().message().empty(), "a failed ingest has no message");
    VIGIL_FUZZ_CHECK(cube.event_count() == 0, "a failed ingest changed the cube");
    return 0;
  }
  uint64_t newlines = 0;
  for (char c : text) newlines += c == '\n';
  VIGIL_FUZZ_CHECK(stats->lines == stats->events + stats->bad_lines,
                   "lines %llu != events %llu + bad %llu", (unsigned long long)stats->lines,
                   (unsigned long long)stats->events, (unsigned long long)stats->bad_lines);
  VIGIL_FUZZ_CHECK(stats->lines <= newlines + 1, "more lines than the input has");
  VIGIL_FUZZ_CHECK(cube.event_count() == stats->events,
                   "the cube holds %llu events, ingest said %llu",
                   (unsigned long long)cube.event_count(), (unsigned long long)stats->events);
  VIGIL_FUZZ_CHECK(stats->first_bad_lines.size() <= stats->bad_lines,
                   "more bad lines shown than counted");
  for (const BadLine& bad : stats->first_bad_lines) {
    VIGIL_FUZZ_CHECK(bad.file == origin, "a bad line names another file");
    VIGIL_FUZZ_CHECK(bad.line >= 1 && bad.line <= newlines + 1,
                     "bad line number %llu out of the input", (unsigned long long)bad.line);
    VIGIL_FUZZ_CHECK(!bad.reason.empty(), "a bad line has no reason");
  }
  if (selector & 4) {
    auto again = IngestBuffer(text, origin, &cube, options);
    if (!again.ok()) {
      // Only a limit may refuse the same bytes the second time (the cube is fuller).
      VIGIL_FUZZ_CHECK(again.status().code() == StatusCode::kLimitExceeded,
                       "a second ingest failed: %s", again.status().message().c_str());
      return 0;
    }
    VIGIL_FUZZ_CHECK(again->events == stats->events && again->bad_lines == stats->bad_lines,
                     "the same bytes ingested twice gave different counts");
    VIGIL_FUZZ_CHECK(cube.event_count() == 2 * stats->events,
                     "a second ingest did not double the events");
  }
  return 0;
}
