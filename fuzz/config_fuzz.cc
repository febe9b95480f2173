// Config::Parse on YAML text. Properties of an accepted config: parsing it again gives the same
// cube fingerprint; every predicate and expression re-compiles from its normalized text to the
// same text; a cube built with it takes events and answers a one-bucket series of every metric.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "vigil/cube.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto parsed = Config::Parse(yaml, "fuzz.yaml");
  if (!parsed.ok()) {
    VIGIL_FUZZ_CHECK(!parsed.status().message().empty(), "a refused config has no message");
    VIGIL_FUZZ_CHECK(parsed.status().message().starts_with("fuzz.yaml"),
                     "the message does not name the file: %s", parsed.status().message().c_str());
    return 0;
  }
  auto config = std::make_shared<const Config>(std::move(*parsed));
  auto again = Config::Parse(yaml, "fuzz.yaml");
  VIGIL_FUZZ_CHECK(again.ok(), "the same text failed the second time: %s",
                   again.status().message().c_str());
  VIGIL_FUZZ_CHECK(again->CubeFingerprint() == config->CubeFingerprint(),
                   "the fingerprint is not stable");
  VIGIL_FUZZ_CHECK(config->granularity_ms > 0, "granularity %lld accepted",
                   (long long)config->granularity_ms);
  for (const MetricSpec& m : config->metrics) {
    for (const auto* p : {&m.where, &m.of}) {
      if (!*p) continue;
      auto recompiled = Predicate::Compile((*p)->text(), config->input);
      VIGIL_FUZZ_CHECK(recompiled.ok(), "predicate '%s' does not re-compile: %s",
                       (*p)->text().c_str(), recompiled.status().message().c_str());
      VIGIL_FUZZ_CHECK(recompiled->text() == (*p)->text(), "predicate text not stable");
    }
    if (m.expression) {
      auto reparsed = MetricExpression::Parse(m.expression->text());
      VIGIL_FUZZ_CHECK(reparsed.ok(), "expression does not re-parse");
      VIGIL_FUZZ_CHECK(reparsed->inputs() == m.expression->inputs(),
                       "expression inputs not stable");
    }
    if (m.type == MetricType::kQuantile || m.type == MetricType::kMean) {
      VIGIL_FUZZ_CHECK(
          m.measure >= 0 && m.measure < static_cast<int>(config->input.measures.size()),
          "metric %s reads measure %d", m.name.c_str(), m.measure);
    }
  }
  for (const MonitorSpec& mon : config->monitors) {
    VIGIL_FUZZ_CHECK(config->FindMetric(mon.metric) >= 0, "a monitor watches an unknown metric");
    VIGIL_FUZZ_CHECK(mon.granularity_ms >= 0, "negative monitor granularity");
  }
  for (size_t d = 0; d < config->input.dimensions.size(); ++d) {
    (void)config->DimensionLimit(static_cast<int>(d));
  }
  // A few events through a cube built with this config (no measures and more than 64 rate
  // predicates included: both once broke the cube).
  Cube cube(config);
  Event event;
  event.dimensions.assign(config->input.dimensions.size(), "x");
  event.measures.assign(config->input.measures.size(), 250.0);
  event.flags.assign(config->input.flags.size(), FlagValue::kTrue);
  event.attributes.assign(config->input.attributes.size(), "ok");
  event.device_id = "device";
  const TimeMs start = 1772409600000;  // 2026-03-02
  for (int i = 0; i < 3; ++i) {
    event.time = start + i * 1000;
    if (!cube.Add(event).ok()) break;  // a tiny limits.max_cells
  }
  for (const MetricSpec& m : config->metrics) {
    auto series = cube.Series(m.name, {}, BucketStart(start, config->granularity_ms),
                              BucketStart(start, config->granularity_ms) + config->granularity_ms);
    VIGIL_FUZZ_CHECK(series.ok(), "series of %s: %s", m.name.c_str(),
                     series.status().message().c_str());
  }
  return 0;
}
