// Shared pieces of the fuzz targets: the config they parse with (the speech schema of
// examples/speech, trimmed) and a property check that reports through libFuzzer.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "vigil/config.h"

namespace vigil::fuzz {

/// A failed property is a finding: print why and abort, so libFuzzer keeps the input.
#define VIGIL_FUZZ_CHECK(condition, ...)                                                      \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "property failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::fprintf(stderr, "  " __VA_ARGS__);                                                 \
      std::fprintf(stderr, "\n");                                                             \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

/// The speech example's input mapping and one metric of each type, with small limits so that a
/// fuzz input cannot legitimately ask for gigabytes.
inline const char* SpeechConfigYaml() {
  return R"(
input:
  time: ts
  request_id: request_id
  device_id: device_id
  dimensions: [platform, os_version, locale, asr_model, conversation_mode]
  measures:
    asr_final: latency_ms.asr_final
    tts_first_audio: latency_ms.tts_first_audio
    e2e: latency_ms.e2e
  stages: [asr_final, tts_first_audio]
  flags: {rephrased: rephrased, false_barge_in: false_barge_in}
  attributes: {outcome: outcome, error_code: error_code, error_message: error_message}
  error_stages: {ASR_: asr_final, TTS_: tts_first_audio}
cube:
  granularity: 5m
metrics:
  volume: {type: count}
  failure_rate: {type: rate, where: "outcome in ['error', 'timeout']"}
  false_barge_in_rate: {type: rate, where: "false_barge_in", of: "conversation_mode == 'full_duplex'"}
  good_turn_rate: {type: rate, where: "outcome == 'ok' and e2e < 1500 and not rephrased"}
  e2e_p95: {type: quantile, measure: e2e, q: 0.95}
  asr_mean: {type: mean, measure: asr_final}
  affected_devices: {type: distinct}
  bad_turn_rate: {type: expression, expr: "1 - good_turn_rate"}
monitors:
  - {metric: e2e_p95, slices: [all, platform], granularity: 15m}
  - {metric: failure_rate, slices: [all, [platform, asr_model]]}
detect: {warmup: 1h}
limits:
  max_dimension_values: 50
  max_cells: 20000
  max_line_bytes: 65536
)";
}

/// SpeechConfigYaml() parsed once (aborts when it does not parse: a broken harness).
inline std::shared_ptr<const Config> SpeechConfig() {
  static const std::shared_ptr<const Config> config = [] {
    auto parsed = Config::Parse(SpeechConfigYaml(), "<fuzz>");
    if (!parsed.ok()) {
      std::fprintf(stderr, "fuzz config: %s\n", parsed.status().message().c_str());
      std::abort();
    }
    return std::make_shared<const Config>(std::move(*parsed));
  }();
  return config;
}

/// Consumes the first byte of the input as a selector (0 when empty).
inline uint8_t TakeSelector(std::string_view* data) {
  if (data->empty()) return 0;
  uint8_t b = static_cast<uint8_t>(data->front());
  data->remove_prefix(1);
  return b;
}

}  // namespace vigil::fuzz
