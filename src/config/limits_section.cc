// The sections that size and place things: `cube` (bucket width), `store`, `limits`, `server`
// and `ingest`.
#include "config/sections.h"

namespace vigil::internal {

Status ReadCube(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (node && node["granularity"]) {
    VIGIL_RETURN_IF_ERROR(r.Duration(node["granularity"], "cube.granularity", &c->granularity_ms));
  }
  if (node && node["retention"]) {
    VIGIL_RETURN_IF_ERROR(r.Duration(node["retention"], "cube.retention", &c->retention_ms));
    if (c->retention_ms < c->granularity_ms)
      return r.Error(node["retention"], "cube.retention", "must be at least cube.granularity");
  }
  if (node && node["tiers"]) {
    const YAML::Node& tiers = node["tiers"];
    if (!tiers.IsSequence())
      return r.Error(tiers, "cube.tiers", "expected a list of {granularity, retention}");
    if (c->retention_ms <= 0)
      return r.Error(tiers, "cube.tiers",
                     "needs cube.retention (how long the finest grain is kept)");
    int64_t granularity = c->granularity_ms, retention = c->retention_ms;
    for (const YAML::Node& item : tiers) {
      VIGIL_RETURN_IF_ERROR(r.CheckKeys(item, "cube.tiers[]", {"granularity", "retention"}));
      if (!item["granularity"] || !item["retention"])
        return r.Error(item, "cube.tiers[]", "needs both granularity and retention");
      Config::RetentionTier tier;
      VIGIL_RETURN_IF_ERROR(
          r.Duration(item["granularity"], "cube.tiers[].granularity", &tier.granularity_ms));
      VIGIL_RETURN_IF_ERROR(
          r.Duration(item["retention"], "cube.tiers[].retention", &tier.retention_ms));
      if (tier.granularity_ms <= granularity || tier.granularity_ms % granularity != 0) {
        return r.Error(item["granularity"], "cube.tiers[].granularity",
                       "must be a multiple of the finer tier's granularity (" +
                           FormatDuration(granularity) + "), and larger");
      }
      if (tier.retention_ms <= retention) {
        return r.Error(
            item["retention"], "cube.tiers[].retention",
            "must be longer than the finer tier's retention (" + FormatDuration(retention) + ")");
      }
      granularity = tier.granularity_ms;
      retention = tier.retention_ms;
      c->tiers.push_back(tier);
    }
  }
  return Status::Ok();
}

Status ReadStore(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (node && node["path"])
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["path"], "store.path", &c->store_path));
  return Status::Ok();
}

Status ReadLimits(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  Limits& l = c->limits;
  if (node["max_line_bytes"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Positive(node["max_line_bytes"], "limits.max_line_bytes", &l.max_line_bytes));
  }
  if (node["max_dimension_values"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_dimension_values"], "limits.max_dimension_values",
                                     &l.max_dimension_values));
  }
  if (node["max_bad_lines_shown"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["max_bad_lines_shown"], "limits.max_bad_lines_shown",
                                   &l.max_bad_lines_shown));
  }
  if (node["max_cells"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_cells"], "limits.max_cells", &l.max_cells));
  }
  if (node["max_series_points"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Positive(node["max_series_points"], "limits.max_series_points", &l.max_series_points));
  }
  if (const YAML::Node& per = node["dimension_values"]) {
    if (!per.IsMap()) return r.Error(per, "limits.dimension_values", "expected a map");
    for (auto it = per.begin(); it != per.end(); ++it) {
      std::string dim = it->first.as<std::string>();
      std::string key = "limits.dimension_values." + dim;
      if (c->FindDimension(dim) < 0) return r.Error(it->first, key, "unknown dimension");
      int64_t v;
      VIGIL_RETURN_IF_ERROR(r.Positive(it->second, key, &v));
      l.dimension_values[dim] = v;
    }
  }
  return Status::Ok();
}

Status ReadServer(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  ServerSpec& s = c->server;
  if (node["token"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["token"], "server.token", &s.token));
  if (node["max_body_bytes"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Positive(node["max_body_bytes"], "server.max_body_bytes", &s.max_body_bytes));
  }
  const std::pair<const char*, int64_t*> counts[] = {{"max_connections", &s.max_connections},
                                                     {"max_header_bytes", &s.max_header_bytes},
                                                     {"max_headers", &s.max_headers}};
  for (const auto& [name, out] : counts) {
    if (node[name])
      VIGIL_RETURN_IF_ERROR(r.Positive(node[name], std::string("server.") + name, out));
  }
  const std::pair<const char*, int64_t*> timeouts[] = {{"header_timeout", &s.header_timeout_ms},
                                                       {"request_timeout", &s.request_timeout_ms}};
  for (const auto& [name, out] : timeouts) {
    if (!node[name]) continue;
    VIGIL_RETURN_IF_ERROR(r.Duration(node[name], std::string("server.") + name, out));
    if (*out <= 0) return r.Error(node[name], std::string("server.") + name, "must be positive");
  }
  if (node["detect"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["detect"], "server.detect", &s.detect));
  if (node["lateness"])
    VIGIL_RETURN_IF_ERROR(r.Duration(node["lateness"], "server.lateness", &s.lateness_ms));
  if (node["follow"])
    VIGIL_RETURN_IF_ERROR(r.StringList(node["follow"], "server.follow", &s.follow));
  return Status::Ok();
}

Status ReadIngest(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  if (node["threads"])
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["threads"], "ingest.threads", &c->threads));
  if (c->threads < 0) return r.Error(node["threads"], "ingest.threads", "must be 0 or more");
  return Status::Ok();
}

}  // namespace vigil::internal
