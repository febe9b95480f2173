// The HTTP side of `vigil serve` without a socket: the query-string parser (ParseQuery) and
// Service::Handle on a service over a small cube (two days of events in a temporary store with
// one incident). The input is `METHOD TARGET` on its first line, the Authorization header on the
// second, the body after. Properties: ParseQuery gives back what a percent-encoded query of its
// own result gives; every answer has a known status (a 500 is a finding: only a bug answers it),
// a JSON body when it says JSON, and a write without the token is refused and changes nothing.
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "server/server.h"
#include "vigil/ingest.h"

namespace {

using namespace vigil;
using vigil::server::HttpRequest;
using vigil::server::Service;

constexpr const char* kToken = "fuzz-token-6c1f";
constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

std::string PercentEncoded(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Two days of events over a few slices, one incident stored on e2e_p95 for iOS.
Service* MakeService() {
  char dir_template[] = "/tmp/vigil-http-fuzz-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) std::abort();
  static std::string store_dir = dir;
  std::atexit([] { std::filesystem::remove_all(store_dir); });
  auto config = fuzz::SpeechConfig();
  auto store = Store::Open(store_dir + "/fuzz.db");
  if (!store.ok()) std::abort();
  std::string events;
  const char* platforms[] = {"iOS", "watchOS", "macOS"};
  const char* outcomes[] = {"ok", "ok", "ok", "error", "timeout"};
  for (int i = 0; i < 2 * 288 * 3; ++i) {
    TimeMs t = kStart + static_cast<TimeMs>(i) * 100000;
    events += "{\"ts\":" + std::to_string(t) + ",\"request_id\":\"r" + std::to_string(i) +
              "\",\"device_id\":\"d" + std::to_string(i % 97) + "\",\"platform\":\"" +
              platforms[i % 3] + "\",\"locale\":\"en-US\",\"asr_model\":\"asr-" +
              std::to_string(i % 2) +
              "\",\"conversation_mode\":\"full_duplex\",\"latency_ms\":{\"e2e\":" +
              std::to_string(400 + i % 300) + ",\"asr_final\":" + std::to_string(100 + i % 50) +
              "},\"outcome\":\"" + outcomes[i % 5] +
              "\",\"rephrased\":" + (i % 7 ? "false" : "true") + ",\"false_barge_in\":false}\n";
  }
  Cube cube(config);
  if (!IngestBuffer(events, "events", &cube).ok()) std::abort();
  if (!(*store)->cube().Save(&cube).ok()) std::abort();
  nlohmann::json slice = {{"platform", "iOS"}};
  nlohmann::json document = {{"id", "inc-1"},
                             {"metric", "e2e_p95"},
                             {"slice", slice},
                             {"start", FormatTimestamp(kStart + kDayMs)},
                             {"end", nullptr},
                             {"severity", "major"},
                             {"baseline", 500.0},
                             {"observed", 700.0},
                             {"relative_change", 0.4},
                             {"confidence", 0.99},
                             {"summary", "e2e_p95 rose"},
                             {"root_causes", nlohmann::json::array()},
                             {"stages", nlohmann::json::array()},
                             {"anomalies",
                              {{{"metric", "e2e_p95"},
                                {"slice", slice},
                                {"start", FormatTimestamp(kStart + kDayMs)},
                                {"end", nullptr}}}}};
  IncidentRecord record{"inc-1",         "open", "major", "asr", "e2e_p95",
                        kStart + kDayMs, 0,      0,       true,  document.dump()};
  if (!(*store)->incidents().Put(record).ok()) std::abort();
  return new Service(config, std::move(*store), std::move(cube), kToken);
}

void CheckParseQuery(std::string_view query) {
  auto params = server::ParseQuery(query);
  std::string encoded;
  for (const auto& [key, value] : params) {
    if (!encoded.empty()) encoded += '&';
    encoded += PercentEncoded(key) + "=" + PercentEncoded(value);
  }
  auto again = server::ParseQuery(encoded);
  VIGIL_FUZZ_CHECK(again == params, "ParseQuery does not read back its own result encoded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Service* service = MakeService();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t first_end = text.find('\n');
  std::string_view first = text.substr(0, first_end);
  std::string_view rest =
      first_end == std::string_view::npos ? std::string_view() : text.substr(first_end + 1);
  size_t second_end = rest.find('\n');
  std::string_view authorization = rest.substr(0, second_end);
  std::string_view body =
      second_end == std::string_view::npos ? std::string_view() : rest.substr(second_end + 1);

  HttpRequest request;
  size_t space = first.find(' ');
  request.method = std::string(space == std::string_view::npos ? std::string_view("GET")
                                                               : first.substr(0, space));
  std::string_view target = space == std::string_view::npos ? first : first.substr(space + 1);
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    CheckParseQuery(query);
    request.params = server::ParseQuery(query);
  }
  request.authorization = std::string(authorization);
  if (request.authorization == std::string("Bearer ") + kToken) request.authorization.clear();
  request.body = std::string(body);

  uint64_t events_before = service->event_count();
  server::HttpResponse response = service->Handle(request);
  switch (response.status) {
    case 200:
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 409:
    case 413:
    case 422:
    case 503:
      break;
    default:
      VIGIL_FUZZ_CHECK(false, "%s %s answered %d: %s", request.method.c_str(), request.path.c_str(),
                       response.status, response.text().c_str());
  }
  if (response.content_type == "application/json") {
    VIGIL_FUZZ_CHECK(nlohmann::json::accept(response.text()), "a JSON answer is not JSON: %s",
                     response.text().c_str());
  }
  if (request.method != "GET" && request.method != "HEAD") {
    VIGIL_FUZZ_CHECK(response.status != 200, "%s %s without the token answered 200",
                     request.method.c_str(), request.path.c_str());
  }
  VIGIL_FUZZ_CHECK(service->event_count() == events_before,
                   "a request without the token changed the cube");
  return 0;
}
