// Which code answers which path, and what the request counters and the response cache know of
// a request.
#pragma once

#include <string>

#include "server/server.h"

namespace vigil::server::internal {

/// The route label of a path for the request counters: a pattern (`/api/incidents/{id}`), not
/// the raw path, so ids do not multiply series; "other" for unknown paths.
std::string RouteLabel(const std::string& path);

/// True for the routes that take a body (all with POST).
bool IsWriteRoute(const std::string& path);

/// True for GET routes whose answers depend only on the request, the cube and the store: they
/// are cached until either changes.
bool IsCachedRoute(const std::string& route);

/// The response cache's key of a request: the path and every parameter, each length-prefixed so
/// no two requests share a key.
std::string CacheKey(const HttpRequest& r);

}  // namespace vigil::server::internal
