// What every resource of the API shares: JSON answers (errors included) and query parameters.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "server/server.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil::server::internal {

using Json = nlohmann::json;

/// Compact JSON; text of the data that is not UTF-8 (slice values, notes) is replaced, so a
/// reply never fails on it.
std::string Dump(const Json& j);

/// `j` as the body of a JSON answer with `status`.
HttpResponse JsonResponse(const Json& j, int status = 200);

/// Wall-clock time in epoch milliseconds.

/// The first value of query parameter `name` ("" when absent).
std::string Param(const HttpRequest& r, const std::string& name);

/// Every value of a filter parameter, repeated (`?status=open&status=resolved`) or comma-separated.
std::set<std::string> ParamSet(const HttpRequest& r, const std::string& name);

/// A time parameter (0 when absent); errors name the parameter.
Result<TimeMs> TimeParam(const HttpRequest& r, const char* name);

/// null for NaN and infinities.
Json NumberOrNull(double v);
/// null for 0 (no time).
Json TimeOrNull(TimeMs t);
/// null for "" (unrouted).
Json OwnerOrNull(const std::string& owner);

}  // namespace vigil::server::internal
