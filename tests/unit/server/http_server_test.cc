// HttpServer over real loopback sockets: what slow, greedy and malformed clients get, and that
// they never keep others from being answered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/server.h"
#include "support/test_data.h"
#include "vigil/ingest.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A client socket with a deadline on everything it does.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { Close(); }
  bool connected() const { return connected_; }
  /// False once the server closed or reset the connection.
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// What arrives until the server closes the connection, `expected` bytes are in, or `seconds`.
  std::string Receive(double seconds = 5, size_t expected = SIZE_MAX) {
    std::string out;
    auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (out.size() < expected) {
      int ms = static_cast<int>(
          std::chrono::duration<double, std::milli>(deadline - Clock::now()).count());
      if (ms <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) break;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int StatusOf(const std::string& response) {
  return response.starts_with("HTTP/1.1 ") && response.size() >= 12
             ? std::stoi(response.substr(9, 3))
             : 0;
}

nlohmann::json JsonBodyOf(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return nlohmann::json::parse(at == std::string::npos ? "" : response.substr(at + 4), nullptr,
                               false);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = vigil::testing::SmallConfig("server: {max_body_bytes: 20000}\n");
    auto store = Store::Open(dir_.Path("v.db"));
    ASSERT_TRUE(store.ok());
    Cube cube(config_);
    auto stats = IngestBuffer(
        vigil::testing::ToJsonLines(vigil::testing::RandomEvents(1000, 3, kStart, 600)), "events",
        &cube);
    ASSERT_TRUE(stats.ok());
    ASSERT_TRUE((*store)->cube().Save(&cube).ok());
    service_ = std::make_unique<Service>(config_, std::move(*store), std::move(cube), "s3cret");
    limits_.max_connections = 4;
    limits_.max_header_bytes = 4096;
    limits_.max_headers = 20;
    limits_.header_timeout_ms = 400;
    limits_.request_timeout_ms = 2000;
    limits_.read_timeout_ms = 2000;
    limits_.idle_timeout_ms = 2000;
    limits_.max_body_bytes = 20000;
    limits_.spare_threads = 1;
  }

  void Start() {
    http_ = std::make_unique<HttpServer>(service_.get(), limits_);
    auto port = http_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
    runner_ = std::thread([this] { ran_ = http_->Run(); });
  }

  void TearDown() override {
    if (http_) {
      auto start = Clock::now();
      http_->Stop();
      runner_.join();
      // Slow clients still connected must not hold the stop.
      EXPECT_LT(SecondsSince(start), 1.5);
    }
  }

  /// One request on a new connection; the whole answer.
  std::string Request(const std::string& bytes, double seconds = 5) {
    Client c(port_);
    EXPECT_TRUE(c.connected());
    c.Send(bytes);
    return c.Receive(seconds);
  }

  int Healthz() {
    return StatusOf(Request("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  }

  vigil::testing::TempDir dir_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<Service> service_;
  ConnectionLimits limits_;
  std::unique_ptr<HttpServer> http_;
  std::thread runner_;
  Status ran_;
  int port_ = 0;
};

TEST_F(HttpServerTest, HeadOverTheByteOrLineLimitIs431) {
  Start();
  std::string big = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 40; ++i)
    big += "X-Big-" + std::to_string(i) + ": " + std::string(8000, 'x') + "\r\n";
  std::string answer = Request(big + "\r\n");
  EXPECT_EQ(StatusOf(answer), 431) << answer.substr(0, 200);
  nlohmann::json body = JsonBodyOf(answer);
  ASSERT_TRUE(body.is_object()) << answer;
  EXPECT_NE(body["error"]["message"].get<std::string>().find("server.max_header_bytes"),
            std::string::npos);

  std::string many = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 30; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(StatusOf(Request(many + "\r\n")), 431);
  // Within the limits, the same request is answered.
  EXPECT_EQ(Healthz(), 200);
}

TEST_F(HttpServerTest, HeadSentTooSlowlyIs408AtItsDeadline) {
  Start();
  Client c(port_);
  auto start = Clock::now();
  c.Send("GET /healthz HTTP/1.1\r\n");
  // Every line comes well within the read timeout, but the head as a whole takes too long.
  std::string answer;
  for (int i = 0; i < 30 && answer.empty(); ++i) {
    c.Send("X-Slow-" + std::to_string(i) + ": 1\r\n");
    answer = c.Receive(0.1);
  }
  answer += c.Receive(1);
  EXPECT_EQ(StatusOf(answer), 408) << answer;
  EXPECT_LT(SecondsSince(start), 1.5);
  // A request line that never ends is cut at the same deadline.
  Client d(port_);
  start = Clock::now();
  d.Send("GET /heal");
  EXPECT_EQ(StatusOf(d.Receive(3)), 408);
  EXPECT_LT(SecondsSince(start), 1.5);
}

TEST_F(HttpServerTest, SlowClientsFillingTheServerMakeRoomForNewOnes) {
  limits_.header_timeout_ms = 5000;
  Start();
  // Three slow clients hold three of the four connections: the fourth still answers at once.
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<Client>(port_));
    slow.back()->Send("GET /healthz HTTP/1.1\r\nX-Slow: 1\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  auto start = Clock::now();
  EXPECT_EQ(Healthz(), 200);
  EXPECT_LT(SecondsSince(start), 0.5);
  // A fourth fills the server: a new connection takes the place of the one waiting longest for
  // its head (the first), which is told why.
  slow.push_back(std::make_unique<Client>(port_));
  slow.back()->Send("GET /healthz HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  start = Clock::now();
  EXPECT_EQ(Healthz(), 200);
  EXPECT_LT(SecondsSince(start), 0.5);
  std::string evicted = slow.front()->Receive(1);
  EXPECT_EQ(StatusOf(evicted), 503) << evicted;
  EXPECT_NE(evicted.find("server.max_connections"), std::string::npos);
  EXPECT_EQ(slow[1]->Receive(0.1), "");  // the others are still waiting
  HttpResponse metrics = service_->Handle({"GET", "/metrics", {}, "", "", "", ""});
  EXPECT_NE(metrics.text().find("vigil_http_evicted_connections_total 1\n"), std::string::npos)
      << metrics.text();
}

TEST_F(HttpServerTest, ConnectionsPastTheLimitAre503WhenAllAreBusy) {
  Start();
  // Four clients in the middle of sending a body: busy, not waiting, so none gives way.
  std::vector<std::unique_ptr<Client>> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(std::make_unique<Client>(port_));
    busy.back()->Send(
        "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nContent-Length: "
        "10000\r\n\r\n{\"ts\"");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = Clock::now();
  std::string refused = Request("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusOf(refused), 503) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos);
  EXPECT_LT(SecondsSince(start), 0.5);
  // A body that stops coming is given up at server.request_timeout, and its place freed.
  for (auto& b : busy) EXPECT_EQ(StatusOf(b->Receive(3)), 400);
  EXPECT_EQ(Healthz(), 200);
}

TEST_F(HttpServerTest, WritesAreRefusedBeforeTheirBodyIsRead) {
  Start();
  // A gigabyte announced, none of it sent: the answers come at once.
  auto start = Clock::now();
  std::string no_token = Request("POST /api/ingest HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n");
  EXPECT_EQ(StatusOf(no_token), 401) << no_token;
  std::string too_large = Request(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nContent-Length: "
      "1000000000\r\n\r\n");
  EXPECT_EQ(StatusOf(too_large), 413) << too_large;
  EXPECT_NE(too_large.find("server.max_body_bytes"), std::string::npos);
  std::string no_route =
      Request("POST /api/metrics HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n");
  EXPECT_EQ(StatusOf(no_route), 405) << no_route;
  EXPECT_LT(SecondsSince(start), 1.0);
  // A client waiting for "100 Continue" gets the refusal instead, and sends no body.
  std::string expect = Request(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer wrong\r\nContent-Length: 5000\r\nExpect: "
      "100-continue\r\n\r\n");
  EXPECT_EQ(StatusOf(expect), 401) << expect;
  EXPECT_EQ(expect.find("100 Continue"), std::string::npos);
  EXPECT_EQ(service_->event_count(), 1000u);
}

TEST_F(HttpServerTest, JsonLinesAreReadWhateverTheContentType) {
  Start();
  // `curl --data-binary @events.jsonl` sends a form content type; the body is still JSON Lines,
  // and longer than the library's 8 KB form limit.
  std::string body = vigil::testing::ToJsonLines(vigil::testing::RandomEvents(80, 9, kStart));
  ASSERT_GT(body.size(), 8192u);
  ASSERT_LT(body.size(), 20000u);
  std::string answer = Request(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  ASSERT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_EQ(JsonBodyOf(answer)["events"], 80);
  // Chunked, with "100 Continue" first.
  Client c(port_);
  c.Send(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nTransfer-Encoding: chunked\r\n"
      "Expect: 100-continue\r\nConnection: close\r\n\r\n");
  EXPECT_NE(c.Receive(1, 25).find("100 Continue"), std::string::npos);
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  c.Send(size + body + "\r\n0\r\n\r\n");
  answer = c.Receive(3);
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_EQ(service_->event_count(), 1160u);
  // A multipart form is refused with the reason, not taken for JSON Lines.
  answer = Request(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n"
      "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 10\r\n\r\n--x--\r\n\r\n");
  EXPECT_EQ(StatusOf(answer), 415) << answer;
  EXPECT_NE(answer.find("--data-binary"), std::string::npos);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  Start();
  Client c(port_);
  c.Send(
      "POST /api/ingest HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nTransfer-Encoding: "
      "chunked\r\n\r\n");
  std::string chunk = std::string(8000, '{') + "\n";
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 4; ++i) c.Send(size + chunk + "\r\n");
  std::string answer = c.Receive(3);
  EXPECT_EQ(StatusOf(answer), 413) << answer;
  EXPECT_EQ(service_->event_count(), 1000u);
}

TEST_F(HttpServerTest, KeepAliveAndPipelinedRequestsAreAnswered) {
  Start();
  Client c(port_);
  std::string get = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  c.Send(get + get);  // pipelined: the second head must not be taken for part of the first
  std::string both = c.Receive(0.3);
  size_t first = both.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << both;
  EXPECT_NE(both.find("HTTP/1.1 200", first + 1), std::string::npos) << both;
  c.Send(get);
  EXPECT_EQ(StatusOf(c.Receive(0.3)), 200);
}

}  // namespace
}  // namespace vigil::server
