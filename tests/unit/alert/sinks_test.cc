#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/test_data.h"
#include "vigil/alert.h"

namespace vigil {
namespace {

// A local HTTP server that answers 503 to its first `failures` requests, then 200.
class FlakyServer {
 public:
  explicit FlakyServer(int failures) : failures_(failures) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      int n = ++requests_;
      bodies_.push_back(req.body);
      res.status = n <= failures_ ? 503 : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FlakyServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int requests() const { return requests_; }
  const std::vector<std::string>& bodies() const { return bodies_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int failures_;
  std::atomic<int> requests_{0};
  std::vector<std::string> bodies_;
};

SinkSpec Webhook(const std::string& url, int retries) {
  SinkSpec spec;
  spec.name = "hook";
  spec.kind = SinkSpec::Kind::kWebhook;
  spec.url = url;
  spec.retries = retries;
  spec.backoff_ms = 10;
  spec.timeout_ms = 2000;
  return spec;
}

Notification Firing() {
  Notification n;
  n.incident.id = "inc-0123456789ab";
  n.incident.primary.metric = "lat_p95";
  n.incident.severity = Severity::kMajor;
  n.incident.summary = "Since 14:05 lat_p95 rose";
  n.incident.primary.slice = {{"a", "a1"}};
  n.now = 1772409600000;
  return n;
}

TEST(WebhookSinkTest, RetriesWithBackoffUntilTheServerAnswers) {
  FlakyServer server(2);
  auto config = testing::SmallConfig();
  auto sink = Sink::Create(Webhook(server.url(), 3), *config, nullptr);
  ASSERT_TRUE(sink.ok());
  Status sent = (*sink)->Send(Firing());
  EXPECT_TRUE(sent.ok()) << sent.message();
  EXPECT_EQ(server.requests(), 3);
  nlohmann::json body = nlohmann::json::parse(server.bodies().back());
  EXPECT_EQ(body["kind"], "firing");
  EXPECT_EQ(body["incident"]["id"], "inc-0123456789ab");
}

TEST(WebhookSinkTest, GivesUpAfterItsRetriesWithAClearMessage) {
  FlakyServer server(100);
  auto config = testing::SmallConfig();
  auto sink = Sink::Create(Webhook(server.url(), 2), *config, nullptr);
  ASSERT_TRUE(sink.ok());
  Status sent = (*sink)->Send(Firing());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(server.requests(), 3);
  EXPECT_NE(sent.message().find("HTTP 503"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("after 3 attempts"), std::string::npos) << sent.message();
}

TEST(WebhookSinkTest, UnreachableEndpointFailsWithoutThrowing) {
  auto config = testing::SmallConfig();
  auto sink = Sink::Create(Webhook("http://127.0.0.1:1/hook", 1), *config, nullptr);
  ASSERT_TRUE(sink.ok());
  Status sent = (*sink)->Send(Firing());
  ASSERT_FALSE(sent.ok());
  EXPECT_NE(sent.message().find("POST http://127.0.0.1:1/hook"), std::string::npos)
      << sent.message();
}

TEST(JsonLinesSinkTest, AppendsOneEnvelopePerNotification) {
  auto dir = std::filesystem::temp_directory_path() / "vigil_jsonl_sink_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SinkSpec spec;
  spec.name = "log";
  spec.kind = SinkSpec::Kind::kJsonLines;
  spec.path = (dir / "alerts.jsonl").string();
  auto config = testing::SmallConfig();
  auto sink = Sink::Create(spec, *config, nullptr);
  ASSERT_TRUE(sink.ok());
  Notification n = Firing();
  ASSERT_TRUE((*sink)->Send(n).ok());
  n.kind = Notification::Kind::kResolved;
  ASSERT_TRUE((*sink)->Send(n).ok());
  std::ifstream in(spec.path);
  std::string line;
  std::vector<std::string> kinds;
  while (std::getline(in, line)) kinds.push_back(nlohmann::json::parse(line)["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"firing", "resolved"}));
  std::filesystem::remove_all(dir);
}

TEST(StdoutSinkTest, OneLineWithKindIdSeverityOwnerAndSummary) {
  std::ostringstream out;
  SinkSpec spec;
  spec.name = "stdout";
  auto config = testing::SmallConfig();
  auto sink = Sink::Create(spec, *config, &out);
  ASSERT_TRUE(sink.ok());
  Notification n = Firing();
  n.incident.owner = "asr";
  ASSERT_TRUE((*sink)->Send(n).ok());
  EXPECT_EQ(out.str(), "[firing] inc-0123456789ab major owner=asr: Since 14:05 lat_p95 rose\n");
}

}  // namespace
}  // namespace vigil
