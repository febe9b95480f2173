// CSV record parser: the first line is the header, every later line a record. Each record is
// parsed by the parser made from the header and by a copy of it made before (ingest copies one
// prototype per thread). Properties: no crash, the same verdict and the same event from both,
// a reason for every rejected line.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "ingest/record_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::fuzz;
  const Config& config = *SpeechConfig();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t nl = text.find('\n');
  std::string_view header = text.substr(0, nl);
  auto parser = internal::CsvLineParser::Create(header, config.input);
  if (!parser.ok()) {
    VIGIL_FUZZ_CHECK(!parser.status().message().empty(), "a refused header has no message");
    return 0;
  }
  internal::CsvLineParser copy = *parser;
  Event a = internal::EmptyEvent(config.input);
  Event b = internal::EmptyEvent(config.input);
  std::string reason_a, reason_b;
  size_t pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    // A copy of the line in its own allocation, so ASan sees any read past its end.
    std::string owned(line);
    reason_a.clear();
    bool ok_a = parser->Parse(owned, &a, &reason_a);
    VIGIL_FUZZ_CHECK(ok_a || !reason_a.empty(), "a rejected line has no reason");
    bool ok_b = copy.Parse(owned, &b, &reason_b);
    VIGIL_FUZZ_CHECK(ok_a == ok_b, "verdicts differ: %s / %s", reason_a.c_str(), reason_b.c_str());
    if (ok_a) {
      bool same = a.time == b.time && a.request_id == b.request_id && a.device_id == b.device_id &&
                  a.message == b.message && a.dimensions == b.dimensions && a.flags == b.flags &&
                  a.attributes == b.attributes;
      for (size_t i = 0; i < a.measures.size(); ++i) {
        same = same && (a.measures[i] == b.measures[i] ||
                        (std::isnan(a.measures[i]) && std::isnan(b.measures[i])));
        VIGIL_FUZZ_CHECK(std::isnan(a.measures[i]) || std::isfinite(a.measures[i]),
                         "an accepted measure is infinite");
      }
      VIGIL_FUZZ_CHECK(same, "two copies of one parser read different events");
    }
    pos = end + 1;
  }
  return 0;
}
