// The notification sinks: stdout, a JSON Lines file, a generic webhook and Prometheus
// Alertmanager's API v2. HTTP goes through cpp-httplib; retries and backoff are ours because
// the library has none.
#include <fmt/format.h>
#include <httplib.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <thread>

#include "incident/incident_codec.h"
#include "vigil/alert.h"

namespace vigil {
namespace {

class StdoutSink : public Sink {
 public:
  explicit StdoutSink(std::ostream* out) : out_(out) {}
  Status Send(const Notification& n) override {
    if (!out_) return Status::Ok();
    const Incident& i = n.incident;
    *out_ << fmt::format("[{}] {} {} owner={}: {}\n", NotificationKindName(n.kind), i.id,
                         ToString(i.severity), i.owner, i.summary);
    return Status::Ok();
  }

 private:
  std::ostream* out_;
};

nlohmann::json Envelope(const Notification& n) {
  return {{"kind", NotificationKindName(n.kind)},
          {"sent_at", FormatTimestamp(n.now)},
          {"incident", IncidentToJson(n.incident)}};
}

class JsonLinesSink : public Sink {
 public:
  explicit JsonLinesSink(std::string path) : path_(std::move(path)) {}
  Status Send(const Notification& n) override {
    std::ofstream out(path_, std::ios::app);
    out << Envelope(n).dump() << "\n";
    out.flush();
    if (!out) return IoError(path_ + ": cannot append");
    return Status::Ok();
  }

 private:
  std::string path_;
};

// "http://host:port/base/path" → client base "http://host:port" and path "/base/path".
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return {url, ""};
  return {url.substr(0, slash), url.substr(slash)};
}

// POSTs `body` with retries on connection errors, 5xx and 429, waiting `backoff` doubled after
// each failed attempt. Other 4xx answers are final: sending the same body again cannot help.
Status PostWithRetries(const SinkSpec& spec, const std::string& url, const std::string& body) {
  auto [base, path] = SplitUrl(url);
  httplib::Client client(base);
  auto seconds = [](int64_t ms) {
    return std::pair<time_t, time_t>(ms / 1000, (ms % 1000) * 1000);
  };
  auto [s, us] = seconds(spec.timeout_ms);
  client.set_connection_timeout(s, us);
  client.set_read_timeout(s, us);
  client.set_write_timeout(s, us);
  int64_t wait = spec.backoff_ms;
  std::string last;
  for (int attempt = 0; attempt <= spec.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      wait *= 2;
    }
    auto res = client.Post(path.empty() ? "/" : path.c_str(), body, "application/json");
    if (!res) {
      last = "POST " + url + ": " + httplib::to_string(res.error());
      continue;
    }
    if (res->status >= 200 && res->status < 300) return Status::Ok();
    last = "POST " + url + ": HTTP " + std::to_string(res->status) +
           (res->body.empty() ? "" : ": " + res->body.substr(0, 200));
    if (res->status < 500 && res->status != 429) break;
  }
  return IoError(last +
                 fmt::format(" (after {} attempt{})", spec.retries + 1, spec.retries ? "s" : ""));
}

class WebhookSink : public Sink {
 public:
  explicit WebhookSink(SinkSpec spec) : spec_(std::move(spec)) {}
  Status Send(const Notification& n) override {
    return PostWithRetries(spec_, spec_.url, Envelope(n).dump());
  }

 private:
  SinkSpec spec_;
};

// Alertmanager label names are [a-zA-Z_][a-zA-Z0-9_]*.
std::string LabelName(const std::string& key) {
  std::string out;
  for (char c : key) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  return out;
}

// Alertmanager expires an alert at endsAt: a firing one is sent with an end a day ahead and
// refreshed on every run while it lasts; a resolved one ends at its recovery.
constexpr int64_t kFiringHorizonMs = kDayMs;

class AlertmanagerSink : public Sink {
 public:
  explicit AlertmanagerSink(SinkSpec spec) : spec_(std::move(spec)) {
    while (!spec_.url.empty() && spec_.url.back() == '/') spec_.url.pop_back();
  }
  Status Send(const Notification& n) override { return Post({n}); }
  Status Refresh(const std::vector<Notification>& firing) override {
    return firing.empty() ? Status::Ok() : Post(firing);
  }

 private:
  Status Post(const std::vector<Notification>& notifications) {
    nlohmann::json alerts = nlohmann::json::array();
    for (const Notification& n : notifications) alerts.push_back(Alert(n));
    return PostWithRetries(spec_, spec_.url + "/api/v2/alerts", alerts.dump());
  }

  static nlohmann::json Alert(const Notification& n) {
    const nlohmann::json d = IncidentToJson(n.incident);
    nlohmann::json labels = {{"alertname", "VigilRegression"}};
    for (const auto& [key, value] : IncidentLabels(n.incident)) {
      if (key == "status" || value.empty()) continue;  // status changes must not make a new alert
      labels[LabelName(key)] = value;
    }
    labels["incident"] = d.value("id", "");
    labels.erase("id");
    nlohmann::json annotations = {
        {"summary", d.value("summary", "")},
        {"relative_change", std::to_string(d.value("relative_change", 0.0))},
        {"confidence", std::to_string(d.value("confidence", 0.0))}};
    if (d.contains("root_causes") && !d["root_causes"].empty())
      annotations["root_cause"] = d["root_causes"][0]["slice"].dump();
    nlohmann::json alert = {{"labels", labels},
                            {"annotations", annotations},
                            {"startsAt", d.value("start", FormatTimestamp(n.now))}};
    bool resolved = n.kind == Notification::Kind::kResolved;
    if (resolved) {
      const auto end = d.find("end");
      alert["endsAt"] =
          end != d.end() && end->is_string() ? end->get<std::string>() : FormatTimestamp(n.now);
    } else {
      alert["endsAt"] = FormatTimestamp(n.now + kFiringHorizonMs);
    }
    return alert;
  }

  SinkSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Sink>> Sink::Create(const SinkSpec& spec, const Config& config,
                                           std::ostream* out) {
  switch (spec.kind) {
    case SinkSpec::Kind::kStdout:
      return std::unique_ptr<Sink>(new StdoutSink(out));
    case SinkSpec::Kind::kJsonLines:
      return std::unique_ptr<Sink>(new JsonLinesSink(config.ResolvePath(spec.path)));
    case SinkSpec::Kind::kWebhook:
      return std::unique_ptr<Sink>(new WebhookSink(spec));
    case SinkSpec::Kind::kAlertmanager:
      return std::unique_ptr<Sink>(new AlertmanagerSink(spec));
  }
  return InvalidArgument("sink '" + spec.name + "': unknown kind");
}

}  // namespace vigil
