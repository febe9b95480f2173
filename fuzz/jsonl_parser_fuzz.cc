// JSON Lines record parser: every line of the input, parsed by one long-lived parser (whose key
// prediction learns from earlier lines, as in an ingest) and by a fresh one. Properties: no
// crash, the same verdict and the same event from both, a reason for every rejected line.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "ingest/file_reader.h"
#include "ingest/record_parser.h"

namespace vigil::fuzz {
namespace {

using internal::JsonLineParser;
using internal::PaddedBuffer;

bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Compares the parts of two events the cube and the explanations read.
bool SameEvent(const Event& a, const Event& b) {
  if (a.time != b.time || a.request_id != b.request_id || a.device_id != b.device_id ||
      a.message != b.message || a.dimensions != b.dimensions || a.flags != b.flags ||
      a.attributes != b.attributes || a.measures.size() != b.measures.size()) {
    return false;
  }
  for (size_t i = 0; i < a.measures.size(); ++i) {
    if (!SameValue(a.measures[i], b.measures[i])) return false;
  }
  return true;
}

}  // namespace
}  // namespace vigil::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  using namespace vigil::fuzz;
  const Config& config = *SpeechConfig();
  static JsonLineParser* warm = new JsonLineParser(config.input);  // keeps its predictions
  // The whole input in one padded buffer, as ingest parses lines in place.
  PaddedBuffer buffer;
  if (size == 0) return 0;
  buffer.Append(reinterpret_cast<const char*>(data), size);
  Event event = internal::EmptyEvent(config.input);
  Event fresh_event = internal::EmptyEvent(config.input);
  std::string reason, fresh_reason;
  size_t pos = 0;
  while (pos <= size) {
    const char* begin = buffer.data() + pos;
    const void* nl = std::memchr(begin, '\n', size - pos);
    size_t length = nl ? static_cast<const char*>(nl) - begin : size - pos;
    size_t capacity = buffer.capacity() - pos;
    reason.clear();
    bool ok = warm->Parse(begin, length, capacity, &event, &reason);
    VIGIL_FUZZ_CHECK(ok || !reason.empty(), "a rejected line has no reason");
    JsonLineParser fresh(config.input);
    bool fresh_ok = fresh.Parse(begin, length, capacity, &fresh_event, &fresh_reason);
    VIGIL_FUZZ_CHECK(ok == fresh_ok, "verdicts differ: warm %d (%s), fresh %d (%s)", ok,
                     reason.c_str(), fresh_ok, fresh_reason.c_str());
    if (ok) {
      VIGIL_FUZZ_CHECK(SameEvent(event, fresh_event),
                       "warm and fresh parsers read different events");
    }
    pos += length + 1;
  }
  return 0;
}
