// JSON answers, the error body every failure is answered with, and query parameters.
#include "server/api_common.h"

#include <chrono>
#include <cmath>

namespace vigil::server {
namespace internal {

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpResponse JsonResponse(const Json& j, int status) {
  HttpResponse r;
  r.status = status;
  r.body = Dump(j) + "\n";
  return r;
}

std::string Param(const HttpRequest& r, const std::string& name) {
  auto it = r.params.find(name);
  return it == r.params.end() ? "" : it->second;
}

std::set<std::string> ParamSet(const HttpRequest& r, const std::string& name) {
  std::set<std::string> out;
  auto [a, b] = r.params.equal_range(name);
  for (auto it = a; it != b; ++it) {
    size_t start = 0;
    const std::string& v = it->second;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) out.insert(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

Result<TimeMs> TimeParam(const HttpRequest& r, const char* name) {
  std::string text = Param(r, name);
  if (text.empty()) return TimeMs{0};
  auto t = ParseTimestamp(text);
  if (!t.ok())
    return InvalidArgument(std::string("parameter '") + name + "': " + t.status().message());
  return *t;
}

Json NumberOrNull(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json TimeOrNull(TimeMs t) { return t ? Json(FormatTimestamp(t)) : Json(nullptr); }

Json OwnerOrNull(const std::string& owner) { return owner.empty() ? Json(nullptr) : Json(owner); }

}  // namespace internal

using internal::Json;
using internal::JsonResponse;

namespace {

const char* CodeName(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 408:
      return "request_timeout";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 431:
      return "header_fields_too_large";
    case 422:
      return "unprocessable";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "error";
  }
}

}  // namespace

HttpResponse ErrorResponse(int status, const std::string& message, int64_t line) {
  Json error = {{"status", status}, {"code", CodeName(status)}, {"message", message}};
  if (line > 0) error["line"] = line;
  return JsonResponse({{"error", error}}, status);
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kDataError:
    case StatusCode::kLimitExceeded:
      return 422;
    default:
      return 500;
  }
}

}  // namespace vigil::server
