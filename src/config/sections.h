// The readers of the config's sections, one file each. Config::Parse checks every key against
// the parameter table first, then calls them in this order: a later section may refer to what
// an earlier one declared (metrics name measures, monitors name metrics and dimensions).
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.h"
#include "vigil/config.h"

namespace vigil::internal {

/// `input`: the field mapping (required).
Status ReadInput(const YamlReader& r, const YAML::Node& node, Config* c);
/// `cube`: the bucket width.
Status ReadCube(const YamlReader& r, const YAML::Node& node, Config* c);
/// `metrics`: types, predicates, measures and expressions (resolved, without cycles).
Status ReadMetrics(const YamlReader& r, const YAML::Node& node, Config* c);
/// `monitors`: metrics watched over slices, at multiples of the cube's granularity.
Status ReadMonitors(const YamlReader& r, const YAML::Node& node, Config* c);
/// `store`: where results are kept.
Status ReadStore(const YamlReader& r, const YAML::Node& node, Config* c);
/// `limits`: explicit bounds on input, cardinality and cells.
Status ReadLimits(const YamlReader& r, const YAML::Node& node, Config* c);
/// `detect`: zones, calendar, FDR, warm-up and the ensemble.
Status ReadDetect(const YamlReader& r, const YAML::Node& node, Config* c);
/// `alert`: lifecycle, sinks and the routing tree.
Status ReadAlert(const YamlReader& r, const YAML::Node& node, Config* c);
/// `server`: the token and the HTTP server's bounds.
Status ReadServer(const YamlReader& r, const YAML::Node& node, Config* c);
/// `ingest`: parser threads.
Status ReadIngest(const YamlReader& r, const YAML::Node& node, Config* c);

}  // namespace vigil::internal
