// The socket side of `vigil serve`, on cpp-httplib: every request goes to Service::Handle, which
// does its own routing (so a wrong method is a 405, not a 404, and tests need no socket). The
// connection loop is vigil's own (GuardedServer), so that slow, greedy and malformed clients are
// bounded: see ConnectionLimits.
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>

#include "server/http_connection.h"
#include "server/server.h"

namespace vigil::server {

namespace {

using internal::ConnectionStream;
using internal::HeadError;

// Requests answered on one connection before it is closed (the client opens another).
constexpr int kRequestsPerConnection = 1000;
// Threads beyond max_connections, for answering 503 to connections past the limit.
constexpr size_t kRefusalThreads = 16;
// Answers larger than this are sent from the service's shared copy instead of a copy of their own.
constexpr size_t kSharedBodyBytes = 64 << 10;

// What the handlers of a request learn from the connection loop. Handlers run on the thread of
// the connection they answer, so the loop hands this over in a thread_local.
struct RequestState {
  ConnectionStream* stream = nullptr;
  std::optional<HttpResponse> refusal;  // the answer, decided from the head alone
  bool close_after = false;             // request bytes may be left unread: close after answering
};
thread_local RequestState* current_request = nullptr;

HttpRequest HeadOf(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  size_t q = req.target.find('?');
  if (q != std::string::npos) r.params = ParseQuery(std::string_view(req.target).substr(q + 1));
  r.authorization = req.get_header_value("Authorization");
  r.content_type = req.get_header_value("Content-Type");
  r.idempotency_key = req.get_header_value("Idempotency-Key");
  return r;
}

void Fill(httplib::Response& res, const HttpResponse& out) {
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  if (out.shared_body && out.shared_body->size() > kSharedBodyBytes) {
    std::shared_ptr<const std::string> body = out.shared_body;
    res.set_content_provider(body->size(), out.content_type,
                             [body](size_t offset, size_t length, httplib::DataSink& sink) {
                               return sink.write(body->data() + offset, length);
                             });
    return;
  }
  // httplib copies the body whichever way it is passed.
  res.set_content(out.shared_body ? *out.shared_body : out.body, out.content_type);
}

const char* Reason(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// A complete answer written straight to a socket (when no request is being answered).
std::string RawResponse(const HttpResponse& out) {
  std::string text = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
      out.status, Reason(out.status), out.content_type, out.text().size());
  for (const auto& [k, v] : out.headers) text += k + ": " + v + "\r\n";
  return text + "\r\n" + out.text();
}

std::string HeadLimitMessage(HeadError error, const ConnectionLimits& limits) {
  if (error == HeadError::kEvicted) {
    return fmt::format(
        "{} connections are open (server.max_connections) and this one had waited longest "
        "for its request; try again",
        limits.max_connections);
  }
  if (error == HeadError::kTimeout) {
    return fmt::format("the request head did not arrive within {} (server.header_timeout)",
                       FormatDuration(limits.header_timeout_ms));
  }
  return fmt::format(
      "the request head is larger than {} bytes or {} header lines (server.max_header_bytes, "
      "server.max_headers)",
      limits.max_header_bytes, limits.max_headers);
}

int HeadLimitStatus(HeadError error) {
  switch (error) {
    case HeadError::kTimeout:
      return 408;
    case HeadError::kEvicted:
      return 503;
    default:
      return 431;
  }
}

bool IsChunked(const httplib::Request& req) {
  std::string te = req.get_header_value("Transfer-Encoding");
  std::transform(te.begin(), te.end(), te.begin(), [](unsigned char c) { return std::tolower(c); });
  return te.find("chunked") != std::string::npos;
}

// The declared body length: -1 for a chunked body, -2 for a malformed Content-Length.
int64_t DeclaredLength(const httplib::Request& req) {
  if (IsChunked(req)) return -1;
  if (req.get_header_value_count("Content-Length") > 1) return -2;
  if (!req.has_header("Content-Length")) return 0;
  const std::string text = req.get_header_value("Content-Length");
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return -2;
  return std::stoll(text);
}

}  // namespace

ConnectionLimits ConnectionLimits::FromConfig(const ServerSpec& server) {
  ConnectionLimits limits;
  limits.max_connections = server.max_connections;
  limits.max_header_bytes = server.max_header_bytes;
  limits.max_headers = server.max_headers;
  limits.header_timeout_ms = server.header_timeout_ms;
  limits.request_timeout_ms = server.request_timeout_ms;
  limits.max_body_bytes = server.max_body_bytes;
  return limits;
}

// cpp-httplib's server with vigil's connection loop: httplib parses requests and writes answers;
// this class decides how long and how much a client may take, and how many clients there are.
class GuardedServer : public httplib::Server {
 public:
  GuardedServer(Service* service, const ConnectionLimits& limits);
  /// The library listens with a backlog of 5: a burst of connections (an attack, or many
  /// clients at once) overflows it, and a dropped SYN costs its client a 1 s retransmission.
  void DeepenBacklog() { ::listen(svr_sock_, SOMAXCONN); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool stopping() const { return svr_sock_ == INVALID_SOCKET; }
  // Runs once the head is read, before the library looks at the body.
  void Screen(httplib::Request& req, RequestState* state);
  void ReadBodyAndAnswer(const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& read_body);
  void AnswerLibraryError(const httplib::Request& req, httplib::Response& res);

  Service* service_;
  const ConnectionLimits limits_;
  internal::ConnectionRegistry connections_;
};

GuardedServer::GuardedServer(Service* service, const ConnectionLimits& limits)
    : service_(service), limits_(limits), connections_(limits.max_connections) {
  // Room for every connection, for newcomers waiting for an evicted one to close, and for
  // refusals.
  new_task_queue = [max = 2 * static_cast<size_t>(limits.max_connections) + kRefusalThreads,
                    spare = static_cast<size_t>(limits.spare_threads)] {
    return new internal::ConnectionThreads(max, spare);
  };
  // A backstop: bodies are limited by Screen and ReadBodyAndAnswer first.
  set_payload_max_length(static_cast<size_t>(limits.max_body_bytes));
  // Only shown in the Keep-Alive header; the connection loop applies it.
  set_keep_alive_timeout(std::max<time_t>(1, limits.idle_timeout_ms / 1000));
  set_keep_alive_max_count(kRequestsPerConnection);
  Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Fill(res, service_->Handle(HeadOf(req)));
  });
  // Bodies are read by the handler, whatever their content type: the library's own reading
  // would parse a form body and refuse one over 8 KB (curl --data-binary sends a form type).
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& read) {
    ReadBodyAndAnswer(req, res, read);
  };
  Post(".*", with_body);
  Put(".*", with_body);
  Patch(".*", with_body);
  Delete(".*", with_body);
  // An answer decided from the head goes out before any of the body is read, and without a
  // "100 Continue" to a client that waits for one.
  set_expect_100_continue_handler([](const httplib::Request&, httplib::Response& res) {
    if (!current_request || !current_request->refusal) return 100;
    Fill(res, *current_request->refusal);
    current_request->close_after = true;
    return res.status;
  });
  set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (!current_request || !current_request->refusal) return HandlerResponse::Unhandled;
    Fill(res, *current_request->refusal);
    return HandlerResponse::Handled;
  });
  set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    AnswerLibraryError(req, res);
  });
  set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Fill(res, ErrorResponse(500, "internal error: " + what));
      });
}

void GuardedServer::Screen(httplib::Request& req, RequestState* state) {
  int64_t declared = DeclaredLength(req);
  bool reads_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                    req.method == "DELETE";
  bool has_body = declared == -1 || declared > 0;
  HttpRequest head = HeadOf(req);
  if (declared == -2) {
    state->refusal =
        ErrorResponse(400, "the Content-Length header is not one non-negative integer");
    service_->CountRefused(head, 400);
    state->close_after = true;
  } else {
    // Without Content-Length or chunked encoding a request has no body (RFC 9112 §6.3); the
    // library would otherwise read one until the client closes.
    if (reads_body && !req.has_header("Content-Length") && declared != -1)
      req.set_header("Content-Length", "0");
    state->refusal = service_->ScreenHead(head, declared);
    // A body left unread (refused, or sent with a GET) would be taken for the next request.
    if (has_body && (state->refusal || !reads_body)) state->close_after = true;
  }
  if (state->close_after) {
    req.headers.erase("Connection");
    req.set_header("Connection", "close");
  }
}

void GuardedServer::ReadBodyAndAnswer(const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& read_body) {
  HttpRequest r = HeadOf(req);
  bool too_large = false;
  bool read = read_body([&](const char* data, size_t n) {
    if (static_cast<int64_t>(r.body.size() + n) > limits_.max_body_bytes) {
      too_large = true;
      return false;
    }
    r.body.append(data, n);
    return true;
  });
  if (read && !too_large) {
    Fill(res, service_->Handle(r));
    return;
  }
  if (current_request) current_request->close_after = true;
  int status = too_large ? 413 : (res.status >= 400 ? res.status : 400);
  std::string message =
      too_large ? fmt::format("the body is larger than {} bytes (server.max_body_bytes)",
                              limits_.max_body_bytes)
      : status == 415
          ? "the body's Content-Encoding is not supported; send it uncompressed or gzip"
          : fmt::format(
                "the body could not be read: the client stopped sending, or took longer than "
                "{} (server.request_timeout)",
                FormatDuration(limits_.request_timeout_ms));
  service_->CountRefused(r, status);
  HttpResponse out = ErrorResponse(status, message);
  out.headers.emplace_back("Connection", "close");
  Fill(res, out);
}

// Failures the library answers before any handler (a malformed, oversized or slow head, a body
// over the limit) get the same JSON error body as the service's own.
void GuardedServer::AnswerLibraryError(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty() || res.content_length_ > 0) return;
  HeadError head_error = current_request && current_request->stream
                             ? current_request->stream->head_error()
                             : HeadError::kNone;
  int status = res.status;
  std::string message;
  if (head_error != HeadError::kNone) {
    status = HeadLimitStatus(head_error);
    message = HeadLimitMessage(head_error, limits_);
  } else if (status == 413) {
    message = fmt::format("the body is larger than {} bytes (server.max_body_bytes)",
                          limits_.max_body_bytes);
  } else if (status == 414) {
    message = "the request line is longer than 8192 bytes";
  } else if (status == 400) {
    message = "malformed request";
  } else {
    message = fmt::format("HTTP {}", status);
  }
  service_->CountRefused(HeadOf(req), status);
  HttpResponse out = ErrorResponse(status, message);
  if (status != 404 && status != 405) out.headers.emplace_back("Connection", "close");
  Fill(res, out);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (!connections_.Admit()) {
    service_->CountConnection(ConnectionEvent::kRefusedOverLimit);
    HttpResponse busy = ErrorResponse(
        503, fmt::format("{} connections are open (server.max_connections); try again",
                         limits_.max_connections));
    busy.headers.emplace_back("Retry-After", "1");
    internal::SendRaw(sock, RawResponse(busy), std::chrono::seconds(1));
    internal::CloseLingering(sock, std::chrono::milliseconds(200));
    return true;
  }
  service_->CountConnection(ConnectionEvent::kOpened);
  // An answer goes out as two writes (head, body): without this, the second waits for the
  // client's delayed ACK, 40 ms per request.
  int on = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  ConnectionStream stream(sock, limits_, [this] { return stopping(); });
  connections_.Add(&stream);
  bool linger = false;
  for (int served = 0; served < kRequestsPerConnection && !stopping() && stream.WaitForRequest();
       ++served) {
    stream.BeginRequest();
    RequestState state;
    state.stream = &stream;
    current_request = &state;
    bool connection_closed = false;
    bool last = stopping() || served + 1 == kRequestsPerConnection;
    bool ok = process_request(stream, /*close_connection=*/last, connection_closed,
                              [&](httplib::Request& req) { Screen(req, &state); });
    current_request = nullptr;
    HeadError head_error = stream.head_error();
    if (head_error != HeadError::kNone) {
      if (head_error == HeadError::kTimeout)
        service_->CountConnection(ConnectionEvent::kHeadTimeout);
      if (head_error == HeadError::kTooLarge || head_error == HeadError::kTooManyLines) {
        service_->CountConnection(ConnectionEvent::kHeadTooLarge);
      }
      // Cut short in the request line, the library answered nothing: say why.
      if (stream.bytes_written() == 0) {
        HttpRequest unknown;
        service_->CountRefused(unknown, HeadLimitStatus(head_error));
        internal::SendRaw(sock,
                          RawResponse(ErrorResponse(HeadLimitStatus(head_error),
                                                    HeadLimitMessage(head_error, limits_))),
                          std::chrono::seconds(1));
      }
    }
    if (!ok || connection_closed || state.close_after || head_error != HeadError::kNone) {
      linger = state.close_after || head_error != HeadError::kNone;
      break;
    }
  }
  connections_.Remove(&stream);
  if (stream.evicted()) service_->CountConnection(ConnectionEvent::kEvicted);
  service_->CountConnection(ConnectionEvent::kClosed);
  if (linger && !stream.evicted()) {
    internal::CloseLingering(sock, std::chrono::seconds(1));
  } else {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
  return true;
}

struct HttpServer::Impl {
  Impl(Service* service, const ConnectionLimits& limits) : http(service, limits) {}
  GuardedServer http;
};

HttpServer::HttpServer(Service* service, const ConnectionLimits& limits)
    : impl_(std::make_unique<Impl>(service, limits)) {}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Bind(const std::string& host, int port) {
  if (port == 0) {
    int bound = impl_->http.bind_to_any_port(host);
    if (bound < 0) return IoError(fmt::format("cannot listen on {}: no free port", host));
    impl_->http.DeepenBacklog();
    return bound;
  }
  if (!impl_->http.bind_to_port(host, port)) {
    return IoError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)",
                               host, port));
  }
  impl_->http.DeepenBacklog();
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
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
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
      if (eq == std::string_view::npos)
        out.emplace(Decode(part), "");
      else
        out.emplace(Decode(part.substr(0, eq)), Decode(part.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos)
    return InvalidArgument("--listen '" + text + "': expected HOST:PORT");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535)
    return InvalidArgument("--listen '" + text + "': the port must be 0 to 65535");
  return std::make_pair(host, port);
}

}  // namespace vigil::server
