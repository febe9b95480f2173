// The router: each path and method to the Service method that answers it.
#include "server/router.h"

#include <fmt/format.h>

#include <functional>

#include "server/api_common.h"

namespace vigil::server {
namespace internal {

std::string RouteLabel(const std::string& path) {
  static const char* kFixed[] = {"/healthz",       "/metrics",    "/api/metrics", "/api/series",
                                 "/api/incidents", "/api/ingest", "/ui/plot",     "/"};
  for (const char* f : kFixed) {
    if (path == f) return f;
  }
  if (path.starts_with("/api/incidents/")) {
    return path.ends_with("/feedback") ? "/api/incidents/{id}/feedback" : "/api/incidents/{id}";
  }
  if (path.starts_with("/ui/incidents/")) return "/ui/incidents/{id}";
  if (path.starts_with("/assets/")) return "/assets/{name}";
  return "other";
}

bool IsWriteRoute(const std::string& path) {
  const std::string incidents = "/api/incidents/", feedback = "/feedback";
  return path == "/api/ingest" || (path.starts_with(incidents) && path.ends_with(feedback) &&
                                   path.size() > incidents.size() + feedback.size());
}

bool IsCachedRoute(const std::string& route) {
  return route == "/api/metrics" || route == "/api/series" || route == "/api/incidents" ||
         route == "/api/incidents/{id}" || route == "/ui/incidents/{id}" || route == "/ui/plot";
}

std::string CacheKey(const HttpRequest& r) {
  std::string key = r.path;
  for (const auto& [k, v] : r.params) key += fmt::format("|{}:{}{}:{}", k.size(), k, v.size(), v);
  return key;
}

}  // namespace internal

HttpResponse Service::Route(const HttpRequest& r, std::string* route) {
  const std::string& p = r.path;
  // The method a path takes and what answers it.
  std::string method = "GET";
  std::function<HttpResponse()> answer;
  const std::string incidents = "/api/incidents/", feedback = "/feedback",
                    fragments = "/ui/incidents/";
  if (p == "/healthz") {
    answer = [&] { return Health(); };
  } else if (p == "/metrics") {
    answer = [&] { return Prometheus(); };
  } else if (p == "/api/metrics") {
    answer = [&] { return Metrics(); };
  } else if (p == "/api/series") {
    answer = [&] { return Series(r); };
  } else if (p == "/api/incidents") {
    answer = [&] { return ListIncidents(r); };
  } else if (p == "/api/ingest") {
    method = "POST";
    answer = [&] { return Ingest(r); };
  } else if (p.starts_with(incidents) && p.ends_with(feedback) &&
             p.size() > incidents.size() + feedback.size()) {
    method = "POST";
    answer = [&] {
      return PostFeedback(
          r, p.substr(incidents.size(), p.size() - incidents.size() - feedback.size()));
    };
  } else if (p.starts_with(incidents) && p.size() > incidents.size() &&
             p.find('/', incidents.size()) == std::string::npos) {
    answer = [&] { return GetIncident(p.substr(incidents.size())); };
  } else if (p.starts_with(fragments) && p.size() > fragments.size()) {
    answer = [&] { return IncidentHtml(p.substr(fragments.size())); };
  } else if (p == "/ui/plot") {
    answer = [&] { return PlotHtml(r); };
  } else if (p == "/" || p == "/index.html") {
    answer = [&] { return Asset("index.html"); };
  } else if (p.starts_with("/assets/")) {
    answer = [&] { return Asset(p.substr(8)); };
  } else {
    *route = "other";
    return ErrorResponse(404, "no route " + p + "; the API is described in docs/openapi.yaml");
  }
  if (r.method != method && !(r.method == "HEAD" && method == "GET")) {
    HttpResponse out =
        ErrorResponse(405, "method " + r.method + " not allowed on " + p + "; use " + method);
    out.headers.emplace_back("Allow", method);
    return out;
  }
  return answer();
}

}  // namespace vigil::server
