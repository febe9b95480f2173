// One telemetry event after field mapping: what ingest hands to the cube.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "vigil/time.h"

namespace vigil {

/// A flag's value in one event: absent, false or true.
enum class FlagValue : int8_t { kMissing = -1, kFalse = 0, kTrue = 1 };

/// A mapped event. Strings are views into the reader's buffer and live only until the next event;
/// the cube copies what it keeps. Vectors are indexed like the config's lists of dimensions,
/// measures, flags and attributes. A missing dimension is the empty string, a missing measure
/// is NaN, a missing attribute is the empty string.
struct Event {
  TimeMs time = 0;
  std::string_view request_id;
  std::string_view device_id;
  std::string_view message;  ///< failure message (not aggregated; read when explaining)
  std::vector<std::string_view> dimensions;
  std::vector<double> measures;
  std::vector<FlagValue> flags;
  std::vector<std::string_view> attributes;

  /// Clears every field, keeping the sizes (dimension, measure... counts) and capacity.
  void Reset() {
    time = 0;
    request_id = {};
    device_id = {};
    message = {};
    for (auto& d : dimensions) d = {};
    for (auto& m : measures) m = std::nan("");
    for (auto& f : flags) f = FlagValue::kMissing;
    for (auto& a : attributes) a = {};
  }
};

}  // namespace vigil
