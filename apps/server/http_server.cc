// The socket side of `vigil serve`, on cpp-httplib: every request goes to Service::Handle, which
// does its own routing (so a wrong method is a 405, not a 404, and tests need no socket).
#include <httplib.h>

#include <fmt/format.h>

#include "server/server.h"

namespace vigil::server {

struct HttpServer::Impl {
  Service* service;
  httplib::Server http;
};

HttpServer::HttpServer(Service* service, int64_t max_body_bytes, int threads) : impl_(std::make_unique<Impl>()) {
  impl_->service = service;
  httplib::Server& http = impl_->http;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // The library stops reading a larger body and answers 413 itself (see the error handler).
  http.set_payload_max_length(static_cast<size_t>(max_body_bytes));
  // An idle keep-alive connection holds its worker until this timeout, and a stop waits for
  // the workers: a short one keeps Ctrl-C prompt while a browser tab is open.
  http.set_keep_alive_timeout(1);
  http.set_read_timeout(10, 0);
  http.set_write_timeout(10, 0);
  auto handler = [service](const httplib::Request& req, httplib::Response& res) {
    HttpRequest r;
    r.method = req.method;
    r.path = req.path;
    size_t q = req.target.find('?');
    if (q != std::string::npos) r.params = ParseQuery(std::string_view(req.target).substr(q + 1));
    r.authorization = req.get_header_value("Authorization");
    r.body = req.body;
    HttpResponse out = service->Handle(r);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(std::move(out.body), out.content_type);
  };
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
  http.Delete(".*", handler);
  // Failures the library answers before any handler (a body over the limit, a malformed request)
  // get the same JSON error body as the service's own.
  http.set_error_handler([service, max_body_bytes](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    HttpRequest refused;
    refused.method = req.method;
    refused.path = req.path;
    service->CountRefused(refused, res.status);
    std::string message = res.status == 413
                              ? fmt::format("the body is larger than {} bytes (server.max_body_bytes)", max_body_bytes)
                              : fmt::format("HTTP {}", res.status);
    HttpResponse out = ErrorResponse(res.status, message);
    res.set_content(out.body, out.content_type);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    HttpResponse out = ErrorResponse(500, "internal error: " + what);
    res.status = 500;
    res.set_content(out.body, out.content_type);
  });
}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Bind(const std::string& host, int port) {
  if (port == 0) {
    int bound = impl_->http.bind_to_any_port(host);
    if (bound < 0) return IoError(fmt::format("cannot listen on {}: no free port", host));
    return bound;
  }
  if (!impl_->http.bind_to_port(host, port)) {
    return IoError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", host, port));
  }
  return port;
}

Status HttpServer::Run() {
  if (!impl_->http.listen_after_bind()) return IoError("the server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_->http.is_running()) impl_->http.stop();
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::multimap<std::string, std::string> ParseQuery(std::string_view query) {
  std::multimap<std::string, std::string> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) out.emplace(Decode(part), "");
      else out.emplace(Decode(part.substr(0, eq)), Decode(part.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen '" + text + "': expected HOST:PORT");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) return InvalidArgument("--listen '" + text + "': the port must be 0 to 65535");
  return std::make_pair(host, port);
}

}  // namespace vigil::server
