// Cube::Deserialize (a cube snapshot, as the store and partial cubes carry them). With an odd
// first byte the input follows a valid header (magic, version, the config's fingerprint), so
// the fuzzer works on the dictionaries and cells; with an even one the input is taken whole.
// Properties of an accepted cube: it re-serializes to bytes that read back to an equivalent
// cube and serialize to the same bytes again; its total holds every event; a series over its
// range answers when the range is small.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "fuzz_support.h"
#include "vigil/cube.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  uint8_t selector = fuzz::TakeSelector(&input);
  auto config = fuzz::SpeechConfig();
  std::string bytes;
  if (selector & 1) {
    internal::ByteWriter w(&bytes);
    w.U32(0x42434756);  // "VGCB"
    w.U8(1);
    w.String(config->CubeFingerprint());
  }
  bytes.append(input);
  auto cube = Cube::Deserialize(bytes, config);
  if (!cube.ok()) {
    VIGIL_FUZZ_CHECK(!cube.status().message().empty(), "a refused cube has no message");
    return 0;
  }
  std::string out;
  cube->Serialize(&out);
  auto back = Cube::Deserialize(out, config);
  VIGIL_FUZZ_CHECK(back.ok(), "a serialized cube does not read back: %s",
                   back.status().message().c_str());
  VIGIL_FUZZ_CHECK(back->Equivalent(*cube) && cube->Equivalent(*back),
                   "the cube read back differs");
  std::string again;
  back->Serialize(&again);
  VIGIL_FUZZ_CHECK(again == out, "the serialized form is not canonical");
  auto total = cube->Total({});
  VIGIL_FUZZ_CHECK(total.ok(), "total: %s", total.status().message().c_str());
  VIGIL_FUZZ_CHECK(total->count == cube->event_count(), "the total holds %llu of %llu events",
                   (unsigned long long)total->count, (unsigned long long)cube->event_count());
  if (cube->cell_count() > 0) {
    TimeMs first = cube->first_bucket(), last = cube->last_bucket();
    VIGIL_FUZZ_CHECK(first <= last, "first bucket after the last");
    uint64_t span = static_cast<uint64_t>(last) - static_cast<uint64_t>(first);
    if (span / static_cast<uint64_t>(config->granularity_ms) < 2000) {
      for (const char* metric :
           {"volume", "failure_rate", "e2e_p95", "affected_devices", "bad_turn_rate"}) {
        auto series = cube->Series(metric, {});
        VIGIL_FUZZ_CHECK(series.ok(), "series %s: %s", metric, series.status().message().c_str());
      }
    }
  }
  return 0;
}
