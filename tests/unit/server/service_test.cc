#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "server/server.h"
#include "store/sql.h"
#include "support/test_data.h"
#include "vigil/ingest.h"

namespace vigil::server {
namespace {

using nlohmann::json;
using vigil::testing::TempDir;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

HttpRequest Get(const std::string& path, std::multimap<std::string, std::string> params = {}) {
  return {"GET", path, std::move(params), "", "", "", ""};
}

HttpRequest Post(const std::string& path, const std::string& body, const std::string& token) {
  return {"POST", path, {}, token.empty() ? "" : "Bearer " + token, body, "", ""};
}

HttpRequest PostWithKey(const std::string& body, const std::string& key) {
  HttpRequest r = Post("/api/ingest", body, "s3cret");
  r.idempotency_key = key;
  return r;
}

json Body(const HttpResponse& r) { return json::parse(r.text()); }

class ServiceTest : public ::testing::Test {
 protected:
  void Open(const std::string& token = "s3cret", const std::string& extra = "",
            const std::string& server_keys = "") {
    config_ = vigil::testing::SmallConfig(R"(
monitors:
  - {metric: lat_p95, slices: [all, a], granularity: 1h}
detect: {warmup: 1h}
server: {max_body_bytes: 20000)" + server_keys +
                                          "}\n" + extra);
    auto store = Store::Open(dir_.Path("v.db"));
    ASSERT_TRUE(store.ok());
    Cube cube(config_);
    auto stats = IngestBuffer(
        vigil::testing::ToJsonLines(vigil::testing::RandomEvents(30000, 3, kStart, 3 * 1440)),
        "events", &cube);
    ASSERT_TRUE(stats.ok());
    ASSERT_TRUE((*store)->cube().Save(&cube).ok());
    store_ = store->get();
    service_ = std::make_unique<Service>(config_, std::move(*store), std::move(cube), token);
  }

  json Document(const std::string& id, TimeMs start) {
    return {{"id", id},
            {"metric", "lat_p95"},
            {"slice", {{"a", "a1"}}},
            {"start", FormatTimestamp(start)},
            {"end", nullptr},
            {"severity", "major"},
            {"baseline", 250.0},
            {"observed", 400.0},
            {"relative_change", 0.6},
            {"confidence", 0.99},
            {"summary", "lat rose"},
            {"root_causes", json::array()},
            {"stages", json::array()},
            {"anomalies",
             {{{"metric", "lat_p95"},
               {"slice", {{"a", "a1"}}},
               {"start", FormatTimestamp(start)},
               {"end", nullptr}}}}};
  }

  void PutIncident(const std::string& id, const std::string& status, const std::string& severity,
                   const std::string& owner, TimeMs start) {
    IncidentRecord r{id,    status, severity, owner, "lat_p95",
                     start, 0,      0,        true,  Document(id, start).dump()};
    ASSERT_TRUE(store_->incidents().Put(r).ok());
  }

  TempDir dir_;
  std::shared_ptr<const Config> config_;
  Store* store_ = nullptr;
  std::unique_ptr<Service> service_;
};

TEST(ParseQueryTest, SplitsAtTheFirstEqualsAndDecodes) {
  auto q = ParseQuery(
      "metric=e2e_p95&slice=platform=watchOS,asr_model=asr%2D42&note=a+b%20c&flag&status=open&"
      "status=resolved");
  EXPECT_EQ(q.find("metric")->second, "e2e_p95");
  EXPECT_EQ(q.find("slice")->second, "platform=watchOS,asr_model=asr-42");
  EXPECT_EQ(q.find("note")->second, "a b c");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.count("status"), 2u);
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_EQ(ParseQuery("x=%zz").find("x")->second, "%zz");  // not an escape: kept as is
}

TEST(ParseListenTest, HostAndPort) {
  auto a = ParseListen("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  EXPECT_EQ(ParseListen("[::1]:0")->first, "::1");
  EXPECT_EQ(ParseListen(":9000")->first, "0.0.0.0");
  EXPECT_FALSE(ParseListen("localhost").ok());
  EXPECT_FALSE(ParseListen("localhost:http").ok());
  EXPECT_FALSE(ParseListen("localhost:70000").ok());
}

TEST_F(ServiceTest, UnknownRoutesAndWrongMethodsAnswerJsonErrors) {
  Open();
  HttpResponse r = service_->Handle(Get("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"]["code"], "not_found");
  r = service_->Handle(Get("/api/ingest"));
  EXPECT_EQ(r.status, 405);
  bool allow = false;
  for (const auto& [k, v] : r.headers) allow |= k == "Allow" && v == "POST";
  EXPECT_TRUE(allow);
  EXPECT_EQ(service_->Handle(Post("/api/metrics", "", "")).status, 405);
}

TEST_F(ServiceTest, HealthAndMetricsDescribeTheCube) {
  Open();
  json h = Body(service_->Handle(Get("/healthz")));
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["events"], 30000);
  json m = Body(service_->Handle(Get("/api/metrics")));
  EXPECT_EQ(m["metrics"].size(), config_->metrics.size());
  EXPECT_EQ(m["dimensions"][0]["name"], "a");
  EXPECT_EQ(m["dimensions"][0]["values"], json({"a0", "a1", "a2"}));
  EXPECT_EQ(m["from"], "2026-03-02T00:00:00Z");
  EXPECT_EQ(m["granularity"], "1m");
}

TEST_F(ServiceTest, SeriesCarryTheBandAndStoredAnomalies) {
  Open();
  PutIncident("inc-1", "open", "major", "team", kStart + 2 * kDayMs + 3 * kHourMs);
  HttpResponse r = service_->Handle(Get("/api/series", {{"metric", "lat_p95"},
                                                        {"slice", "a=a1"},
                                                        {"from", "2026-03-04T00:00:00Z"},
                                                        {"to", "2026-03-04T12:00:00Z"}}));
  ASSERT_EQ(r.status, 200) << r.text();
  json s = Body(r);
  EXPECT_EQ(s["granularity"], "1h");
  ASSERT_EQ(s["points"].size(), 12u);
  EXPECT_TRUE(s["points"][6]["expected"].is_number());
  EXPECT_TRUE(s["points"][6]["lower"].is_number());
  ASSERT_EQ(s["anomalies"].size(), 1u);
  EXPECT_EQ(s["anomalies"][0]["incident"], "inc-1");

  EXPECT_EQ(service_->Handle(Get("/api/series")).status, 400);
  EXPECT_EQ(service_->Handle(Get("/api/series", {{"metric", "nope"}})).status, 404);
  EXPECT_EQ(service_->Handle(Get("/api/series", {{"metric", "lat_p95"}, {"slice", "a=zz"}})).status,
            404);
  EXPECT_EQ(service_->Handle(Get("/api/series", {{"metric", "lat_p95"}, {"slice", "junk"}})).status,
            400);
  json bad =
      Body(service_->Handle(Get("/api/series", {{"metric", "lat_p95"}, {"from", "yesterday"}})));
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("'from'"), std::string::npos);
}

TEST_F(ServiceTest, IncidentsFilterByStatusOwnerAndSeverity) {
  Open();
  PutIncident("inc-1", "open", "major", "asr", kStart + kDayMs);
  PutIncident("inc-2", "resolved", "critical", "tts", kStart + kDayMs + kHourMs);
  PutIncident("inc-3", "acknowledged", "minor", "asr", kStart + kDayMs + 2 * kHourMs);
  json all = Body(service_->Handle(Get("/api/incidents")));
  ASSERT_EQ(all["count"], 3);
  EXPECT_EQ(all["incidents"][0]["id"], "inc-3");  // newest first
  EXPECT_EQ(all["owners"], json({"asr", "tts"}));
  json open = Body(service_->Handle(Get("/api/incidents", {{"status", "open,acknowledged"}})));
  EXPECT_EQ(open["count"], 2);
  json asr =
      Body(service_->Handle(Get("/api/incidents", {{"owner", "asr"}, {"severity", "minor"}})));
  ASSERT_EQ(asr["count"], 1);
  EXPECT_EQ(asr["incidents"][0]["id"], "inc-3");
  EXPECT_EQ(service_->Handle(Get("/api/incidents", {{"status", "closed"}})).status, 400);

  json one = Body(service_->Handle(Get("/api/incidents/inc-2")));
  EXPECT_EQ(one["status"], "resolved");
  EXPECT_EQ(one["owner"], "tts");
  EXPECT_EQ(one["metric"], "lat_p95");
  EXPECT_EQ(service_->Handle(Get("/api/incidents/inc-9")).status, 404);
  HttpResponse page = service_->Handle(Get("/ui/incidents/inc-2"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.text().find("<article class=\"incident"), std::string::npos);
}

TEST_F(ServiceTest, AnIncidentsAttributionsReachTheApiAndItsPage) {
  Open();
  PutIncident("inc-1", "open", "major", "asr", kStart + kDayMs);
  json doc = Document("inc-2", kStart + kDayMs);
  doc["attributions"] = {{"score", 0.71},
                         {"base", 0.45},
                         {"features",
                          {{{"metric", "lat_p95"}, {"value", 0.2}, {"residual", 3.1}},
                           {{"metric", "<img src=x>"}, {"value", 0.06}, {"residual", 1.2}}}}};
  IncidentRecord r{"inc-2",         "open", "major", "asr", "lat_p95",
                   kStart + kDayMs, 0,      0,       true,  doc.dump()};
  ASSERT_TRUE(store_->incidents().Put(r).ok());

  json one = Body(service_->Handle(Get("/api/incidents/inc-2")));
  EXPECT_EQ(one["attributions"], doc["attributions"]);
  HttpResponse page = service_->Handle(Get("/ui/incidents/inc-2"));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.text().find("<section class=\"attributions\">"), std::string::npos);
  EXPECT_NE(page.text().find("&lt;img src=x&gt;"), std::string::npos);
  EXPECT_EQ(page.text().find("<img"), std::string::npos);

  // An incident without them shows no such block, and its document has no such field.
  EXPECT_FALSE(Body(service_->Handle(Get("/api/incidents/inc-1"))).contains("attributions"));
  EXPECT_EQ(service_->Handle(Get("/ui/incidents/inc-1")).text().find("class=\"attributions\""),
            std::string::npos);
}

TEST_F(ServiceTest, WritesNeedTheToken) {
  Open();
  std::string line =
      vigil::testing::ToJsonLine(vigil::testing::RandomEvents(1, 9, kStart)[0], 1) + "\n";
  HttpResponse none = service_->Handle(Post("/api/ingest", line, ""));
  EXPECT_EQ(none.status, 401);
  bool challenge = false;
  for (const auto& [k, v] : none.headers) challenge |= k == "WWW-Authenticate";
  EXPECT_TRUE(challenge);
  EXPECT_EQ(service_->Handle(Post("/api/ingest", line, "wrong")).status, 401);
  EXPECT_EQ(service_->Handle(Post("/api/ingest", line, "s3cre")).status,
            401);  // a prefix is not enough
  EXPECT_EQ(service_->Handle(Post("/api/ingest", line, "s3cret")).status, 200);
  EXPECT_EQ(service_->Handle(Post("/api/incidents/x/feedback", "{}", "")).status, 401);
}

TEST_F(ServiceTest, WithoutATokenWritesAreRefused) {
  Open("");
  std::string line =
      vigil::testing::ToJsonLine(vigil::testing::RandomEvents(1, 9, kStart)[0], 1) + "\n";
  EXPECT_EQ(service_->Handle(Post("/api/ingest", line, "anything")).status, 403);
}

TEST_F(ServiceTest, IngestRefusesABodyWithABadLineWhole) {
  Open();
  auto events = vigil::testing::RandomEvents(3, 9, kStart + 2 * kDayMs);
  std::string body = vigil::testing::ToJsonLine(events[0], 1) + "\n{\"ts\": \"not a time\"}\n" +
                     vigil::testing::ToJsonLine(events[1], 2) + "\n";
  HttpResponse r = service_->Handle(Post("/api/ingest", body, "s3cret"));
  EXPECT_EQ(r.status, 400);
  json e = Body(r)["error"];
  EXPECT_EQ(e["line"], 2);
  EXPECT_NE(e["message"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(e["bad_lines"].size(), 1u);
  EXPECT_EQ(service_->event_count(), 30000u);  // nothing of the body was added

  EXPECT_EQ(service_->Handle(Post("/api/ingest", "\n  \n", "s3cret")).status, 400);
  std::string big(20001, ' ');
  EXPECT_EQ(service_->Handle(Post("/api/ingest", big, "s3cret")).status, 413);

  std::string good = vigil::testing::ToJsonLines(events);
  json ok = Body(service_->Handle(Post("/api/ingest", good, "s3cret")));
  EXPECT_EQ(ok["events"], 3);
  EXPECT_EQ(ok["cube_events"], 30003);
  // Saved: a fresh load of the store sees the new events.
  auto reopened = Store::Open(dir_.Path("v.db"));
  ASSERT_TRUE(reopened.ok());
  auto cube = (*reopened)->cube().Load(config_);
  ASSERT_TRUE(cube.ok());
  EXPECT_EQ(cube->event_count(), 30003u);
}

TEST_F(ServiceTest, FeedbackIsValidatedAndStored) {
  Open();
  PutIncident("inc-1", "open", "major", "asr", kStart + kDayMs);
  auto post = [&](const std::string& id, const std::string& body) {
    return service_->Handle(Post("/api/incidents/" + id + "/feedback", body, "s3cret"));
  };
  EXPECT_EQ(post("inc-1", "not json").status, 400);
  EXPECT_EQ(post("inc-1", "{\"note\": \"x\"}").status, 400);
  EXPECT_EQ(post("inc-1", "{\"verdict\": \"maybe\"}").status, 400);
  EXPECT_EQ(post("inc-9", "{\"verdict\": \"true_positive\"}").status, 404);
  HttpResponse ok =
      post("inc-1", "{\"verdict\": \"false_positive\", \"note\": \"a planned drill\"}");
  ASSERT_EQ(ok.status, 201) << ok.body;
  json doc = Body(service_->Handle(Get("/api/incidents/inc-1")));
  ASSERT_EQ(doc["feedback"].size(), 1u);
  EXPECT_EQ(doc["feedback"][0]["verdict"], "false_positive");
  EXPECT_EQ(doc["feedback"][0]["note"], "a planned drill");
}

TEST_F(ServiceTest, IncidentsFoundByDetectOnlyAreListedButTakeNoFeedback) {
  Open();
  ASSERT_TRUE(
      store_->incidents()
          .ReplaceDocuments("incident", {{"inc-d", Document("inc-d", kStart + kDayMs).dump()}})
          .ok());
  json list = Body(service_->Handle(Get("/api/incidents")));
  ASSERT_EQ(list["count"], 1);
  EXPECT_EQ(list["incidents"][0]["status"], "open");
  HttpResponse r = service_->Handle(
      Post("/api/incidents/inc-d/feedback", "{\"verdict\": \"true_positive\"}", "s3cret"));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("vigil run"), std::string::npos);
}

TEST_F(ServiceTest, ARetriedBodyWithItsIdempotencyKeyIsCountedOnce) {
  Open();
  std::string body =
      vigil::testing::ToJsonLines(vigil::testing::RandomEvents(5, 4, kStart + 2 * kDayMs));
  json first = Body(service_->Handle(PostWithKey(body, "batch-0001")));
  EXPECT_EQ(first["events"], 5);
  EXPECT_EQ(first["cube_events"], 30005);
  // The client did not see the answer and sends it again: answered, not counted.
  HttpResponse again = service_->Handle(PostWithKey(body, "batch-0001"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Body(again)["repeated"], true);
  EXPECT_EQ(Body(again)["events"], 5);
  EXPECT_EQ(service_->event_count(), 30005u);
  // Another key, or none, is another body.
  EXPECT_EQ(Body(service_->Handle(PostWithKey(body, "batch-0002")))["cube_events"], 30010);
  EXPECT_EQ(Body(service_->Handle(Post("/api/ingest", body, "s3cret")))["cube_events"], 30015);
  // The ledger is in the store: a restarted server still knows the key.
  service_.reset();
  auto store = Store::Open(dir_.Path("v.db"));
  ASSERT_TRUE(store.ok());
  auto cube = (*store)->cube().Load(config_);
  ASSERT_TRUE(cube.ok());
  service_ = std::make_unique<Service>(config_, std::move(*store), std::move(*cube), "s3cret");
  EXPECT_EQ(Body(service_->Handle(PostWithKey(body, "batch-0001")))["repeated"], true);
  EXPECT_EQ(service_->event_count(), 30015u);
  // A key that is not a token is refused before anything is read.
  EXPECT_EQ(service_->Handle(PostWithKey(body, "two words")).status, 400);
  EXPECT_EQ(service_->Handle(PostWithKey(body, std::string(300, 'k'))).status, 400);
  EXPECT_EQ(service_->event_count(), 30015u);
}

TEST_F(ServiceTest, PrometheusShowsADimensionAtItsLimitAndWhatItFolded) {
  Open("s3cret", "limits: {dimension_values: {a: 2}}\n");
  const std::string t = service_->Handle(Get("/metrics")).text();
  EXPECT_NE(t.find("vigil_dimension_value_limit{dimension=\"a\"} 2\n"), std::string::npos) << t;
  // Two values kept, the rest of the events folded into __other__ (a third value, by code).
  EXPECT_NE(t.find("vigil_dimension_values{dimension=\"a\"} 3\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("vigil_dimension_folded_events_total{dimension=\"a\"} 0\n"), std::string::npos)
      << t;
}

TEST_F(ServiceTest, PrometheusExpositionCountsRequestsAndIngests) {
  Open();
  PutIncident("inc-1", "open", "major", "asr", kStart + kDayMs);
  service_->Handle(Get("/healthz"));
  service_->Handle(Get("/api/incidents/inc-1"));
  service_->Handle(Get("/api/incidents/inc-2"));
  service_->Handle(Post("/api/ingest", "{\"ts\": 1}\nbad\n", "s3cret"));
  service_->Handle(Post("/api/ingest",
                        vigil::testing::ToJsonLines(vigil::testing::RandomEvents(4, 1, kStart)),
                        "s3cret"));
  HttpResponse r = service_->Handle(Get("/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& t = r.text();
  EXPECT_NE(t.find("vigil_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"200\"} 1\n"),
            std::string::npos);
  // Ids are folded into the route pattern.
  EXPECT_NE(t.find("route=\"/api/incidents/{id}\",method=\"GET\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("vigil_ingested_events_total 4\n"), std::string::npos);
  EXPECT_NE(t.find("vigil_ingest_bad_lines_total 1\n"), std::string::npos);
  EXPECT_NE(t.find("vigil_incidents{status=\"open\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("vigil_cube_events 30004\n"), std::string::npos);
  // Cardinality guards per dimension: values held, the limit, and what was folded.
  EXPECT_NE(t.find("vigil_dimension_values{dimension=\"a\"} "), std::string::npos) << t;
  EXPECT_NE(t.find("vigil_dimension_value_limit{dimension=\"a\"} "), std::string::npos);
  EXPECT_NE(t.find("vigil_dimension_folded_events_total{dimension=\"a\"} 0\n"), std::string::npos);
  // Every line is a comment or `name{labels} value`.
  std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$)");
  size_t start = 0;
  while (start < t.size()) {
    size_t end = t.find('\n', start);
    std::string line = t.substr(start, end - start);
    if (!line.starts_with("# HELP ") && !line.starts_with("# TYPE ")) {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
    }
    start = end + 1;
  }
}

TEST_F(ServiceTest, AssetsAndFragmentsAreServed) {
  Open();
  HttpResponse index = service_->Handle(Get("/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/assets/app.js"), std::string::npos);
  for (const char* name : {"app.js", "app.css", "report.css", "plot.js"}) {
    HttpResponse a = service_->Handle(Get(std::string("/assets/") + name));
    EXPECT_EQ(a.status, 200) << name;
    EXPECT_GT(a.body.size(), 100u) << name;
  }
  EXPECT_EQ(service_->Handle(Get("/assets/missing.js")).status, 404);
  HttpResponse plot = service_->Handle(Get("/ui/plot", {{"metric", "lat_p95"}, {"slice", "a=a2"}}));
  EXPECT_EQ(plot.status, 200);
  EXPECT_NE(plot.text().find("<svg"), std::string::npos);
}

TEST_F(ServiceTest, ReadsAndIngestsRunConcurrently) {
  Open();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (service_->Handle(Get("/api/series", {{"metric", "lat_p95"}, {"slice", "a=a0"}}))
                .status != 200)
          ++failures;
        if (service_->Handle(Get("/api/incidents")).status != 200) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 10; ++i) {
      auto events = vigil::testing::RandomEvents(20, 100 + i, kStart + kDayMs);
      if (service_->Handle(Post("/api/ingest", vigil::testing::ToJsonLines(events), "s3cret"))
              .status != 200)
        ++failures;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(service_->event_count(), 30200u);
}

TEST_F(ServiceTest, WritesAreScreenedFromTheirHeadAlone) {
  Open();
  HttpRequest head = Post("/api/ingest", "", "");
  // Reads take no body: nothing to screen.
  EXPECT_FALSE(service_->ScreenHead(Get("/api/incidents"), 0).has_value());
  auto refused = service_->ScreenHead(head, 1'000'000'000);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401);  // the token before the size: strangers learn no limits
  head.authorization = "Bearer s3cret";
  refused = service_->ScreenHead(head, 1'000'000'000);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
  EXPECT_NE(Body(*refused)["error"]["message"].get<std::string>().find("server.max_body_bytes"),
            std::string::npos);
  EXPECT_FALSE(service_->ScreenHead(head, 5000).has_value());
  EXPECT_FALSE(service_->ScreenHead(head, -1).has_value());  // chunked: limited while read
  head.content_type = "multipart/form-data; boundary=x";
  EXPECT_EQ(service_->ScreenHead(head, 5000)->status, 415);
  EXPECT_EQ(service_->ScreenHead(Post("/api/metrics", "", "s3cret"), 5)->status, 405);
  EXPECT_EQ(service_->ScreenHead(Post("/nowhere", "", "s3cret"), 5)->status, 404);
  HttpRequest put = Post("/api/ingest", "", "s3cret");
  put.method = "PUT";
  EXPECT_EQ(service_->ScreenHead(put, 5)->status, 405);
  // Refusals are counted like answers.
  EXPECT_NE(
      service_->Handle(Get("/metrics"))
          .text()
          .find(
              "vigil_http_requests_total{route=\"/api/ingest\",method=\"POST\",code=\"413\"} 1\n"),
      std::string::npos);
}

TEST_F(ServiceTest, AnIngestPastTheCellLimitKeepsNothing) {
  // Room for 60 more cells than the stored cube (the same events as Open's) holds.
  Cube probe(vigil::testing::SmallConfig());
  ASSERT_TRUE(IngestBuffer(vigil::testing::ToJsonLines(
                               vigil::testing::RandomEvents(30000, 3, kStart, 3 * 1440)),
                           "events", &probe)
                  .ok());
  const size_t cells = probe.cell_count();
  Open("s3cret", "limits: {max_cells: " + std::to_string(cells + 60) + "}\n");
  auto stored_events = [&] { return store_->cube().Size()->events; };
  const uint64_t events = service_->event_count();
  ASSERT_EQ(stored_events(), static_cast<int64_t>(events));
  json metrics_before = Body(service_->Handle(Get("/api/metrics")));
  // 100 events in new cells: past the limit part way through the merge.
  auto far = vigil::testing::RandomEvents(100, 77, kStart + 10 * kDayMs, 1440);
  for (auto& e : far) e.c = "c-new-" + std::to_string(e.time % 5);
  HttpResponse r =
      service_->Handle(Post("/api/ingest", vigil::testing::ToJsonLines(far), "s3cret"));
  EXPECT_EQ(r.status, 422) << r.text();
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("limits.max_cells"),
            std::string::npos);
  EXPECT_EQ(service_->event_count(), events);
  EXPECT_EQ(stored_events(), static_cast<int64_t>(events));
  // Not even the new dimension values were kept.
  EXPECT_EQ(Body(service_->Handle(Get("/api/metrics")))["dimensions"],
            metrics_before["dimensions"]);
  // A body that fits is taken whole.
  r = service_->Handle(
      Post("/api/ingest", vigil::testing::ToJsonLines(vigil::testing::RandomEvents(50, 5, kStart)),
           "s3cret"));
  EXPECT_EQ(r.status, 200) << r.text();
  EXPECT_EQ(service_->event_count(), events + 50);
  EXPECT_EQ(stored_events(), static_cast<int64_t>(events + 50));
}

TEST_F(ServiceTest, AFailedSaveLeavesMemoryInStepWithTheStore) {
  Open();
  const uint64_t events = service_->event_count();
  std::string body =
      vigil::testing::ToJsonLines(vigil::testing::RandomEvents(40, 8, kStart + kDayMs));
  json series_before = Body(service_->Handle(Get("/api/series", {{"metric", "volume"}})));
  // The store refuses writes (as a full disk would).
  ASSERT_EQ(sqlite3_exec(store_->handle(), "PRAGMA query_only=1", nullptr, nullptr, nullptr),
            SQLITE_OK);
  HttpResponse r = service_->Handle(Post("/api/ingest", body, "s3cret"));
  EXPECT_EQ(r.status, 500) << r.text();
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("nothing was ingested"),
            std::string::npos);
  EXPECT_EQ(service_->event_count(), events);
  EXPECT_EQ(Body(service_->Handle(Get("/api/series", {{"metric", "volume"}}))), series_before);
  // Once the store takes writes again, the client's retry counts the body once, in memory and
  // in the store alike.
  ASSERT_EQ(sqlite3_exec(store_->handle(), "PRAGMA query_only=0", nullptr, nullptr, nullptr),
            SQLITE_OK);
  r = service_->Handle(Post("/api/ingest", body, "s3cret"));
  EXPECT_EQ(r.status, 200) << r.text();
  EXPECT_EQ(service_->event_count(), events + 40);
  EXPECT_EQ(store_->cube().Size()->events, static_cast<int64_t>(events + 40));
  auto reloaded = store_->cube().Load(config_);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->event_count(), events + 40);
}

TEST_F(ServiceTest, CachedAnswersFollowWritesFromThisAndOtherProcesses) {
  Open();
  EXPECT_EQ(Body(service_->Handle(Get("/api/incidents")))["count"], 0);
  // Written through the service's own connection...
  PutIncident("inc-1", "open", "major", "asr", kStart + kDayMs);
  EXPECT_EQ(Body(service_->Handle(Get("/api/incidents")))["count"], 1);
  // ...and by another connection, as `vigil run` in another process does.
  {
    auto other = Store::Open(dir_.Path("v.db"));
    ASSERT_TRUE(other.ok());
    IncidentRecord r{"inc-2",   "open",
                     "minor",   "tts",
                     "lat_p95", kStart + 2 * kDayMs,
                     0,         0,
                     true,      Document("inc-2", kStart + 2 * kDayMs).dump()};
    ASSERT_TRUE((*other)->incidents().Put(r).ok());
  }
  json list = Body(service_->Handle(Get("/api/incidents")));
  EXPECT_EQ(list["count"], 2);
  EXPECT_EQ(list["incidents"][0]["id"], "inc-2");
  EXPECT_NE(service_->Handle(Get("/metrics")).text().find("vigil_incidents{status=\"open\"} 2\n"),
            std::string::npos);
  // The series answer follows ingests.
  json before =
      Body(service_->Handle(Get("/api/series", {{"metric", "volume"}, {"granularity", "1d"}})));
  ASSERT_EQ(
      service_
          ->Handle(Post("/api/ingest",
                        vigil::testing::ToJsonLines(vigil::testing::RandomEvents(10, 4, kStart)),
                        "s3cret"))
          .status,
      200);
  json after =
      Body(service_->Handle(Get("/api/series", {{"metric", "volume"}, {"granularity", "1d"}})));
  EXPECT_EQ(after["points"][0]["value"].get<double>(),
            before["points"][0]["value"].get<double>() + 10);
}

TEST_F(ServiceTest, ConcurrentCatalogRequestsShareOneCopyOfTheDictionary) {
  // Long dimension values: every request used to copy the whole dictionary (several times).
  Open();
  std::vector<vigil::testing::RawEvent> events =
      vigil::testing::RandomEvents(100, 6, kStart + kDayMs);
  for (size_t i = 0; i < events.size(); ++i) events[i].b = std::string(60, 'v') + std::to_string(i);
  ASSERT_EQ(
      service_->Handle(Post("/api/ingest", vigil::testing::ToJsonLines(events), "s3cret")).status,
      200);
  std::vector<HttpResponse> answers(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < answers.size(); ++t) {
    threads.emplace_back([&, t] { answers[t] = service_->Handle(Get("/api/metrics")); });
  }
  for (auto& t : threads) t.join();
  for (const HttpResponse& a : answers) {
    ASSERT_EQ(a.status, 200);
    EXPECT_EQ(a.shared_body.get(), answers[0].shared_body.get());  // one body, shared
  }
  EXPECT_EQ(Body(answers[0])["dimensions"][1]["values"].size(), 104u);
}

TEST_F(ServiceTest, SeriesCutFromTheWholeHistoryEqualTheirDirectComputation) {
  Open();
  auto cube = store_->cube().Load(config_);
  ASSERT_TRUE(cube.ok());
  struct Range {
    TimeMs from, to;
  };
  const Range ranges[] = {{0, 0},
                          {kStart + kDayMs, kStart + 2 * kDayMs},      // on bucket boundaries
                          {kStart + kDayMs + 30 * 60000, 0},           // to the end
                          {0, kStart + kDayMs + 7 * 60000 + 5},        // ends inside a bucket
                          {kStart + 2 * kDayMs, kStart + 5 * kDayMs},  // past the data
                          {kStart - kDayMs, kStart + kDayMs + 3 * kHourMs}};  // before the data
  for (const char* granularity : {"", "1m", "1h", "1d"}) {
    for (const char* slice : {"", "a=a1", "a=a2,b=b3"}) {
      for (const Range& r : ranges) {
        std::multimap<std::string, std::string> params = {{"metric", "lat_p95"}, {"slice", slice}};
        if (*granularity) params.emplace("granularity", granularity);
        if (r.from) params.emplace("from", FormatTimestamp(r.from));
        if (r.to) params.emplace("to", FormatTimestamp(r.to));
        std::string what = std::string(granularity) + " " + slice + " " + std::to_string(r.from) +
                           ".." + std::to_string(r.to);
        json got = Body(service_->Handle(Get("/api/series", params)));
        auto direct = SeriesWithBand(*cube, "lat_p95", *ParseSlice(slice), r.from, r.to,
                                     *granularity ? *ParseDuration(granularity) : 0);
        ASSERT_TRUE(direct.ok()) << what;
        ASSERT_EQ(got["points"].size(), direct->points.size()) << what;
        for (size_t i = 0; i < direct->points.size(); ++i) {
          const json& p = got["points"][i];
          ASSERT_EQ(p["time"], FormatTimestamp(direct->points[i].time)) << what;
          auto same = [](const json& j, double v) {
            return std::isnan(v) ? j.is_null() : j.get<double>() == v;
          };
          EXPECT_TRUE(same(p["value"], direct->points[i].value)) << what << " " << i;
          EXPECT_TRUE(same(p["expected"], direct->assessments[i].expected)) << what << " " << i;
          EXPECT_TRUE(same(p["lower"], direct->assessments[i].lower)) << what << " " << i;
          EXPECT_TRUE(same(p["upper"], direct->assessments[i].upper)) << what << " " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace vigil::server

namespace vigil::server {
namespace {

// Events of the small config at `time`, one per minute from it, `n` of them.
std::string EventsFrom(TimeMs time, int n) {
  std::string lines;
  for (int i = 0; i < n; ++i) {
    lines +=
        R"({"ts":")" + FormatTimestamp(time + i * kMinuteMs) +
        R"(","id":"x","dev":"d1","a":"a1","b":"b1","c":"c1","lat":{"total":200},"outcome":"ok"})" +
        "\n";
  }
  return lines;
}

uint64_t MetricValue(const std::string& exposition, const std::string& name) {
  std::smatch m;
  std::regex line("\n" + name + " ([0-9]+)");
  return std::regex_search(exposition, m, line) ? std::stoull(m[1]) : ~uint64_t{0};
}

TEST_F(ServiceTest, JudgesTheClosedBucketsOnceAndAgainWhenMoreClose) {
  Open("s3cret", "", ", lateness: 10m");
  // The stored events end on the third day; the watermark is the newest bucket less 10 minutes.
  const TimeMs last = kStart + 3 * kDayMs - kMinuteMs;
  EXPECT_EQ(service_->ClosedBefore(), last - 10 * kMinuteMs);
  auto round = service_->JudgeClosedBuckets();
  ASSERT_TRUE(round.ok()) << round.status().message();
  ASSERT_TRUE(round->has_value());
  EXPECT_EQ((*round)->closed, last - 10 * kMinuteMs);
  auto again = service_->JudgeClosedBuckets();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value()) << "nothing closed since the last round";

  // Five more minutes of events close five more buckets.
  ASSERT_TRUE(service_->IngestStream(EventsFrom(last + kMinuteMs, 5), "more").ok());
  EXPECT_EQ(service_->ClosedBefore(), last - 5 * kMinuteMs);
  auto next = service_->JudgeClosedBuckets();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->closed, last - 5 * kMinuteMs);
  std::string metrics = service_->Handle(Get("/metrics")).text();
  EXPECT_EQ(MetricValue(metrics, "vigil_judge_rounds_total"), 2u);
  EXPECT_EQ(MetricValue(metrics, "vigil_judged_before_seconds"),
            static_cast<uint64_t>((last - 5 * kMinuteMs) / 1000));
}

TEST_F(ServiceTest, AnEventFromTheFutureDoesNotCloseTheBucketsBeforeIt) {
  Open("s3cret", "", ", lateness: 10m");
  const TimeMs before = service_->ClosedBefore();
  const TimeMs future = WallClockNow() + 365 * kDayMs;
  ASSERT_TRUE(service_->IngestStream(EventsFrom(future, 1), "skewed clock").ok());
  EXPECT_LE(service_->ClosedBefore(), WallClockNow());
  EXPECT_GE(service_->ClosedBefore(), before);
}

TEST_F(ServiceTest, EventsForJudgedBucketsAreKeptAndCountedLate) {
  Open("s3cret", "", ", lateness: 10m");
  ASSERT_TRUE(service_->JudgeClosedBuckets().ok());
  const uint64_t before = service_->event_count();
  // Three events of the first day (judged) and two of the open buckets at the end.
  const TimeMs last = kStart + 3 * kDayMs - kMinuteMs;
  auto stats =
      service_->IngestStream(EventsFrom(kStart + kHourMs, 3) + EventsFrom(last, 2), "late");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(service_->event_count(), before + 5) << "late events are kept";
  std::string metrics = service_->Handle(Get("/metrics")).text();
  EXPECT_EQ(MetricValue(metrics, "vigil_late_events_total"), 3u);
}

TEST_F(ServiceTest, AStreamLedgerEntryIsStoredWithItsEventsEvenWithoutAny) {
  Open();
  IngestedInput offset{"follow:1:2", "events.jsonl", 120, 7, kStart};
  ASSERT_TRUE(service_->IngestStream(EventsFrom(kStart, 2), "part", {offset}).ok());
  auto entry = service_->LedgerEntry("follow:1:2");
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->bytes, 120u);
  EXPECT_EQ((*entry)->events, 9u) << "the entry's events grow by the lines'";
  offset.bytes = 200;
  offset.events = 9;
  ASSERT_TRUE(service_->IngestStream("not json\n", "bad part", {offset}).ok());
  EXPECT_EQ((*service_->LedgerEntry("follow:1:2"))->bytes, 200u)
      << "an offset moves past bad lines too";
}

}  // namespace
}  // namespace vigil::server
