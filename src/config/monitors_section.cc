// The `monitors` section: which metric, over which slices, at which granularity and how large a
// change must be to count.
#include <algorithm>

#include "config/names.h"
#include "config/sections.h"
#include "vigil/time.h"

namespace vigil::internal {
namespace {

Status ReadSlices(const YamlReader& r, const YAML::Node& node, const std::string& key,
                  const Config& c, std::vector<SliceSelector>* out) {
  auto dimension = [&](const YAML::Node& n, std::string* name) -> Status {
    VIGIL_RETURN_IF_ERROR(r.Scalar(n, key, name));
    if (c.FindDimension(*name) < 0) {
      std::vector<std::string> dims;
      for (const auto& d : c.input.dimensions) dims.push_back(d.name);
      return r.Error(n, key, "unknown dimension '" + *name + "'" + DidYouMean(*name, dims));
    }
    return Status::Ok();
  };
  if (!node.IsSequence()) return r.Error(node, key, "expected a list");
  for (const YAML::Node& item : node) {
    SliceSelector s;
    if (item.IsScalar() && item.as<std::string>() == "all") {
      s.kind = SliceSelector::Kind::kAll;
    } else if (item.IsScalar()) {
      s.kind = SliceSelector::Kind::kEachValue;
      s.dimensions.emplace_back();
      VIGIL_RETURN_IF_ERROR(dimension(item, &s.dimensions.back()));
    } else if (item.IsSequence()) {
      s.kind = SliceSelector::Kind::kEachPair;
      if (item.size() != 2) return r.Error(item, key, "a list selects pairs: name two dimensions");
      for (const YAML::Node& d : item) {
        s.dimensions.emplace_back();
        VIGIL_RETURN_IF_ERROR(dimension(d, &s.dimensions.back()));
      }
    } else if (item.IsMap()) {
      s.kind = SliceSelector::Kind::kExplicit;
      for (auto it = item.begin(); it != item.end(); ++it) {
        std::string dim, value;
        VIGIL_RETURN_IF_ERROR(dimension(it->first, &dim));
        VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key, &value));
        s.slice.emplace_back(dim, value);
      }
    } else {
      return r.Error(item, key, "expected all, a dimension, a pair or a map");
    }
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// `each: [a, b, c]` with `depth: 2`: every value of each dimension and every pair of them,
// added to `slices` (all traffic by default), so a config watches thousands of slices without
// listing them; false discoveries are controlled across all of them at once.
Status ReadEach(const YamlReader& r, const YAML::Node& item, const Config& c, MonitorSpec* m) {
  if (!item["each"]) return r.Error(item["depth"], "monitors[].depth", "needs `each`");
  std::vector<std::string> dims;
  VIGIL_RETURN_IF_ERROR(r.StringList(item["each"], "monitors[].each", &dims));
  if (dims.empty()) return r.Error(item["each"], "monitors[].each", "name at least one dimension");
  for (size_t i = 0; i < dims.size(); ++i) {
    if (c.FindDimension(dims[i]) < 0) {
      std::vector<std::string> names;
      for (const auto& d : c.input.dimensions) names.push_back(d.name);
      return r.Error(item["each"][i], "monitors[].each",
                     "unknown dimension '" + dims[i] + "'" + DidYouMean(dims[i], names));
    }
    if (std::find(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(i), dims[i]) !=
        dims.begin() + static_cast<std::ptrdiff_t>(i))
      return r.Error(item["each"][i], "monitors[].each", "'" + dims[i] + "' is named twice");
  }
  int64_t depth = 1;
  if (item["depth"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["depth"], "monitors[].depth", &depth));
    // Pairs are the deepest slices a selector names (the cube groups by up to two dimensions).
    if (depth < 1 || depth > 2)
      return r.Error(item["depth"], "monitors[].depth", "must be 1 (values) or 2 (and pairs)");
  }
  auto add = [&](SliceSelector s) {
    bool known = std::any_of(m->slices.begin(), m->slices.end(), [&](const SliceSelector& o) {
      return o.kind == s.kind && o.dimensions == s.dimensions;
    });
    if (!known) m->slices.push_back(std::move(s));
  };
  for (const std::string& d : dims) add({SliceSelector::Kind::kEachValue, {d}, {}});
  if (depth >= 2) {
    for (size_t i = 0; i < dims.size(); ++i)
      for (size_t j = i + 1; j < dims.size(); ++j)
        add({SliceSelector::Kind::kEachPair, {dims[i], dims[j]}, {}});
  }
  return Status::Ok();
}

Status ReadMonitor(const YamlReader& r, const YAML::Node& item, const Config& c, MonitorSpec* m) {
  if (!item.IsMap()) return r.Error(item, "monitors[]", "expected a map with `metric`");
  m->line = item.Mark().line + 1;
  if (!item["metric"]) return r.Error(item, "monitors[].metric", "missing");
  VIGIL_RETURN_IF_ERROR(r.Scalar(item["metric"], "monitors[].metric", &m->metric));
  if (c.FindMetric(m->metric) < 0) {
    std::vector<std::string> names;
    for (const auto& x : c.metrics) names.push_back(x.name);
    return r.Error(item["metric"], "monitors[].metric",
                   "unknown metric '" + m->metric + "'" + DidYouMean(m->metric, names));
  }
  if (item["slices"]) {
    m->slices.clear();  // the file's selectors replace the default
    VIGIL_RETURN_IF_ERROR(ReadSlices(r, item["slices"], "monitors[].slices", c, &m->slices));
  }
  if (item["each"] || item["depth"]) VIGIL_RETURN_IF_ERROR(ReadEach(r, item, c, m));
  if (item["granularity"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Duration(item["granularity"], "monitors[].granularity", &m->granularity_ms));
  }
  if (item["direction"]) {
    std::string d;
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["direction"], "monitors[].direction", &d));
    std::optional<Direction> direction = ValueNamed(kDirectionNames, d);
    if (!direction)
      return r.Error(item["direction"], "monitors[].direction", "expected up, down or both");
    m->direction = *direction;
  }
  if (item["min_relative_effect"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_relative_effect"], "monitors[].min_relative_effect",
                                   &m->min_relative_effect));
  }
  if (item["min_absolute_effect"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_absolute_effect"], "monitors[].min_absolute_effect",
                                   &m->min_absolute_effect));
  }
  if (item["min_duration"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Duration(item["min_duration"], "monitors[].min_duration", &m->min_duration_ms));
  }
  if (item["min_volume"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_volume"], "monitors[].min_volume", &m->min_volume));
  }
  return Status::Ok();
}

}  // namespace

Status ReadMonitors(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (node) {
    if (!node.IsSequence()) return r.Error(node, "monitors", "expected a list");
    for (const YAML::Node& item : node) {
      MonitorSpec m;
      VIGIL_RETURN_IF_ERROR(ReadMonitor(r, item, *c, &m));
      c->monitors.push_back(std::move(m));
    }
  }
  for (const MonitorSpec& m : c->monitors) {
    if (m.granularity_ms != 0 && m.granularity_ms % c->granularity_ms != 0) {
      return r.ErrorAtLine(
          m.line, "monitors[].granularity",
          "must be a multiple of cube.granularity (" + FormatDuration(c->granularity_ms) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace vigil::internal
