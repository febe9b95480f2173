// The sketch deserializers: QuantileSketch (even first byte) and DistinctSketch (odd). Properties
// of an accepted sketch: a refusal leaves the input view as it was; the sketch re-serializes to
// bytes that read back equal and serialize to the same bytes again (one canonical form);
// quantile sketch: Quantile is non-decreasing in q and within [min, max], merging a copy
// doubles the count; distinct sketch: the estimate is finite and non-negative, merging a copy
// changes nothing.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "vigil/sketch.h"

namespace {

template <typename Sketch>
void CheckRoundTrip(const Sketch& sketch) {
  std::string bytes;
  sketch.Serialize(&bytes);
  std::string_view view = bytes;
  auto back = Sketch::Deserialize(&view);
  VIGIL_FUZZ_CHECK(back.ok(), "a serialized sketch does not read back: %s",
                   back.status().message().c_str());
  VIGIL_FUZZ_CHECK(view.empty(), "reading back left %zu bytes", view.size());
  VIGIL_FUZZ_CHECK(*back == sketch, "the sketch read back differs");
  std::string again;
  back->Serialize(&again);
  VIGIL_FUZZ_CHECK(again == bytes, "the serialized form is not canonical");
}

void CheckQuantile(std::string_view bytes) {
  using vigil::QuantileSketch;
  std::string_view view = bytes;
  auto sketch = QuantileSketch::Deserialize(&view);
  if (!sketch.ok()) {
    VIGIL_FUZZ_CHECK(view.size() == bytes.size(), "a refusal advanced the input");
    return;
  }
  CheckRoundTrip(*sketch);
  if (sketch->empty()) {
    VIGIL_FUZZ_CHECK(std::isnan(sketch->Quantile(0.5)), "an empty sketch has a median");
    return;
  }
  double lo = sketch->min(), hi = sketch->max(), previous = -INFINITY;
  for (double q : {0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    double v = sketch->Quantile(q);
    VIGIL_FUZZ_CHECK(v >= lo && v <= hi, "Quantile(%g) = %g outside [%g, %g]", q, v, lo, hi);
    VIGIL_FUZZ_CHECK(v >= previous, "Quantile(%g) = %g below a lower quantile %g", q, v, previous);
    previous = v;
  }
  VIGIL_FUZZ_CHECK(sketch->Quantile(0) == lo && sketch->Quantile(1) == hi,
                   "the ends %.17g, %.17g are not min %.17g and max %.17g (count %llu)",
                   sketch->Quantile(0), sketch->Quantile(1), lo, hi,
                   (unsigned long long)sketch->count());
  (void)sketch->CountAtOrBelow(sketch->Quantile(0.5));
  (void)sketch->mean();
  if (sketch->count() < (uint64_t{1} << 62)) {
    QuantileSketch doubled = *sketch;
    doubled.Merge(*sketch);
    VIGIL_FUZZ_CHECK(doubled.count() == 2 * sketch->count(),
                     "merging a copy did not double the count");
    VIGIL_FUZZ_CHECK(doubled.min() == lo && doubled.max() == hi, "merging a copy moved min or max");
    CheckRoundTrip(doubled);
  }
}

void CheckDistinct(std::string_view bytes) {
  using vigil::DistinctSketch;
  std::string_view view = bytes;
  auto sketch = DistinctSketch::Deserialize(&view);
  if (!sketch.ok()) {
    VIGIL_FUZZ_CHECK(view.size() == bytes.size(), "a refusal advanced the input");
    return;
  }
  CheckRoundTrip(*sketch);
  double estimate = sketch->Estimate();
  VIGIL_FUZZ_CHECK(std::isfinite(estimate) && estimate >= 0, "estimate %g", estimate);
  VIGIL_FUZZ_CHECK(!sketch->empty() || estimate == 0, "an empty sketch estimates %g", estimate);
  DistinctSketch merged = *sketch;
  merged.Merge(*sketch);
  VIGIL_FUZZ_CHECK(merged == *sketch, "merging a copy changed the sketch");
  merged.Add("one more value");
  CheckRoundTrip(merged);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  uint8_t selector = vigil::fuzz::TakeSelector(&bytes);
  if (selector & 1) {
    CheckDistinct(bytes);
  } else {
    CheckQuantile(bytes);
  }
  return 0;
}
