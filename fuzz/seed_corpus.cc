// Writes the seed corpora and the config dictionary of the fuzz targets from the example data
// and the tests' small config: `vigil_fuzz_seeds SOURCE_DIR OUT_DIR` fills OUT_DIR/<target>/.
// Binary seeds (sketches, cubes) are serialized from real aggregates, so the fuzzers start from
// valid forms and mutate them.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "support/test_data.h"
#include "vigil/cube.h"
#include "vigil/ingest.h"
#include "vigil/learn.h"
#include "vigil/sketch.h"

namespace {

namespace fs = std::filesystem;
using namespace vigil;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SeedWriter {
 public:
  explicit SeedWriter(fs::path root) : root_(std::move(root)) {}
  void Add(const std::string& target, const std::string& bytes) {
    fs::create_directories(root_ / target);
    std::ofstream(root_ / target / ("seed-" + std::to_string(++count_[target])), std::ios::binary)
        << bytes;
  }

 private:
  fs::path root_;
  std::map<std::string, int> count_;
};

std::vector<std::string> Lines(const std::string& text, size_t max) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (out.size() < max && std::getline(in, line)) out.push_back(line);
  return out;
}

// The same events as CSV, with the speech schema's columns.
std::string ToCsv(const std::vector<std::string>& json_lines) {
  std::string csv =
      "ts,request_id,device_id,platform,os_version,locale,asr_model,conversation_mode,"
      "latency_ms.asr_final,latency_ms.e2e,outcome,rephrased,error_message\n";
  int i = 0;
  for (const std::string& line : json_lines) {
    (void)line;
    csv += FormatTimestamp(1772409600000 + i * 61000) + ",req-" + std::to_string(i) + ",dev-" +
           std::to_string(i % 5) + "," + (i % 2 ? "iOS" : "watchOS") + ",18." +
           std::to_string(i % 3) + ",en-US,asr-42," + (i % 3 ? "half_duplex" : "full_duplex") +
           "," + std::to_string(100 + i) + "," + std::to_string(600 + 7 * i) + "," +
           (i % 4 ? "ok" : "error") + "," + (i % 5 ? "false" : "true") + "," +
           (i % 4 ? "" : "\"ASR timeout after 3000 ms, \"\"retry\"\"\"") + "\n";
    ++i;
  }
  return csv;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: vigil_fuzz_seeds SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  fs::path source = argv[1];
  SeedWriter seeds(argv[2]);
  std::string events = ReadFile(source / "examples/speech/events.jsonl");
  std::vector<std::string> lines = Lines(events, 400);
  if (lines.empty()) {
    std::cerr << "no events in " << (source / "examples/speech/events.jsonl") << "\n";
    return 1;
  }

  // Record parsers and the format detector.
  for (size_t i = 0; i < 8; ++i) seeds.Add("jsonl_parser", lines[i]);
  seeds.Add("jsonl_parser", lines[0] + "\n" + lines[1] + "\n" + lines[2]);
  seeds.Add("jsonl_parser",
            R"({"ts":1772409600000,"platform":17,"latency_ms":null,"rephrased":1})");
  seeds.Add(
      "jsonl_parser",
      R"({"ts":"2026-03-02 14:05:00.123+02:00","latency_ms":{"e2e":1e3},"outcome":"error","error_message":"ASR \u00e9 timeout"})");
  std::vector<std::string> few(lines.begin(), lines.begin() + 12);
  std::string csv = ToCsv(few);
  seeds.Add("csv_parser", csv);
  seeds.Add(
      "csv_parser",
      "\"ts\",latency_ms.e2e,platform\r\n2026-03-02T00:00:00Z,12.5,\"a,b\"\r\n1772409600000,,\n");
  std::string some_lines;
  for (size_t i = 0; i < 20; ++i) some_lines += lines[i] + "\n";
  seeds.Add("ingest_buffer", std::string(1, '\0') + some_lines);
  seeds.Add("ingest_buffer", std::string(1, '\5') + some_lines);
  seeds.Add("ingest_buffer", std::string(1, '\1') + csv);
  seeds.Add("ingest_buffer",
            std::string(1, '\2') + "\xEF\xBB\xBF" + lines[0] + "\n" + lines[1] + "\n");
  seeds.Add("ingest_buffer", std::string(1, '\3') + "{\"ts\":\n" + lines[0] + "\n");

  // Configs, predicates and expressions.
  seeds.Add("config", ReadFile(source / "examples/speech/vigil.yaml"));
  seeds.Add("config", fuzz::SpeechConfigYaml());
  seeds.Add(
      "config",
      vigil::testing::SmallConfigYaml(
          "monitors:\n  - {metric: lat_p95, slices: [all, a, [a, b], {a: a1}], granularity: 5m}\n"
          "detect: {warmup: 1h, timezone: Europe/Paris, calendar: [{name: x, start: 2026-03-02, "
          "end: 2026-03-03}]}\n"
          "alert: {sinks: [{name: hook, type: webhook, url: 'http://127.0.0.1:9/x'}], route: "
          "{owner: a, "
          "routes: [{match_re: {stage: 'a|b'}, owner: b, routes: [{match: {x: y}}]}]}}\n"
          "server: {token: 'env:VIGIL_TOKEN', max_body_bytes: 1000}\n"
          "limits: {dimension_values: {a: 3}, max_cells: 100}\n"));
  for (const char* text :
       {"1 - failure_rate", "(a + b) / (c - 2) * -d", "x / 0", "1e3 * (p95 - p50)"}) {
    seeds.Add("expression", std::string(1, '\0') + text);
  }
  for (const char* text : {"outcome in ['error', 'timeout']", "conversation_mode == 'full_duplex'",
                           "outcome == 'ok' and e2e < 1500 and not rephrased",
                           "(platform != 'iOS' or asr_final >= 2.5e2) and false_barge_in",
                           "error_code == 'ASR_TIMEOUT' or not (e2e <= 10)"}) {
    seeds.Add("expression", std::string(1, '\1') + text);
  }

  // Sketches and cubes, serialized from the example events.
  auto config = fuzz::SpeechConfig();
  Cube cube(config);
  auto stats = IngestBuffer(some_lines + lines[30] + "\n" + lines[31] + "\n", "events", &cube);
  if (!stats.ok()) {
    std::cerr << stats.status().message() << "\n";
    return 1;
  }
  std::string cube_bytes;
  cube.Serialize(&cube_bytes);
  seeds.Add("cube", std::string(1, '\0') + cube_bytes);
  std::string header_size_probe;
  {
    Cube empty(config);
    empty.Serialize(&header_size_probe);
  }
  // With an odd selector the target writes the header itself: the seed is what follows it.
  size_t header = 4 + 1 + 1 + config->CubeFingerprint().size() +
                  (config->CubeFingerprint().size() >= 128 ? 1 : 0);
  seeds.Add("cube", std::string(1, '\1') + cube_bytes.substr(header));
  seeds.Add("cube", std::string(1, '\0') + header_size_probe);
  QuantileSketch small, wide, mixed;
  DistinctSketch few_devices, many_devices;
  for (int i = 0; i < 100; ++i) small.Add(100 + i * 3.5);
  for (int i = 0; i < 5000; ++i) wide.Add(std::exp((i % 97) * 0.3) * (i % 2 ? 1 : 1e-6));
  for (int i = -50; i <= 50; ++i) mixed.Add(i * 0.5, 3);
  mixed.Add(0, 7);
  for (int i = 0; i < 40; ++i) few_devices.Add("dev-" + std::to_string(i));
  for (int i = 0; i < 5000; ++i) many_devices.Add("dev-" + std::to_string(i));
  for (const QuantileSketch* s : {&small, &wide, &mixed}) {
    std::string bytes(1, '\0');
    s->Serialize(&bytes);
    seeds.Add("sketch", bytes);
  }
  seeds.Add(
      "sketch", std::string(1, '\0') + [] {
        std::string b;
        QuantileSketch().Serialize(&b);
        return b;
      }());
  for (const DistinctSketch* s : {&few_devices, &many_devices}) {
    std::string bytes(1, '\1');
    s->Serialize(&bytes);
    seeds.Add("sketch", bytes);
  }

  // Outlier models fitted on the example's stage latencies (small, so mutations reach every
  // node): forests with axis-parallel and hyperplane splits, and an autoencoder.
  {
    std::vector<double> rows;
    for (size_t i = 0; i < 200; ++i) {
      const double base = 100 + static_cast<double>((i * 37) % 101);
      rows.insert(rows.end(), {base, 0.5 * base + static_cast<double>(i % 7), 2.0 * base});
    }
    const RowsView x(rows, 3);
    for (int extension : {0, 2}) {
      IsolationForestOptions o;
      o.n_estimators = 3;
      o.max_samples = 16;
      o.extension_level = extension;
      auto forest = IsolationForest::Fit(x, o);
      std::string bytes(1, '\0');
      if (forest.ok()) forest->Serialize(&bytes);
      seeds.Add("model", bytes);
    }
    AutoencoderOptions o;
    o.epochs = 2;
    o.hidden = {2};
    auto autoencoder = Autoencoder::Fit(x, o);
    std::string bytes(1, '\1');
    if (autoencoder.ok()) autoencoder->Serialize(&bytes);
    seeds.Add("model", bytes);
  }

  // HTTP requests: `METHOD TARGET`, the Authorization header, the body.
  for (const char* request :
       {"GET /healthz\n\n", "GET /metrics\n\n", "GET /api/metrics\n\n",
        "GET "
        "/api/"
        "series?metric=e2e_p95&slice=platform=iOS&from=2026-03-02&to=2026-03-03T12:00:00Z&"
        "granularity=1h\n\n",
        "GET "
        "/api/series?metric=failure_rate&slice=platform%3DiOS,asr_model=asr-1&granularity=15m\n\n",
        "GET /ui/plot?metric=volume&slice=all&from=1772409600000&to=1772496000000\n\n",
        "GET "
        "/api/"
        "incidents?status=open,resolved&owner=asr&severity=major&metric=e2e_p95&from=2026-03-01&"
        "limit=5\n\n",
        "GET /api/incidents/inc-1\n\n", "GET /ui/incidents/inc-1\n\n", "HEAD /\n\n",
        "GET /assets/app.js\n\n",
        "POST /api/ingest\nBearer wrong\n{\"ts\":\"2026-03-02T00:00:00Z\",\"platform\":\"iOS\"}\n",
        "POST /api/incidents/inc-1/feedback\n\n{\"verdict\":\"true_positive\",\"note\":\"x\"}",
        "DELETE /api/incidents/inc-1\nBearer \n",
        "GET /api/series?metric=volume&granularity=9223372036854775807w\n\n"}) {
    seeds.Add("http", request);
  }

  // The config dictionary: every key of the parameter table.
  std::set<std::string> words;
  for (const ParameterSpec& p : ParameterTable()) {
    std::string path = p.path;
    size_t start = 0;
    while (start < path.size()) {
      size_t end = path.find_first_of(".[]<>", start);
      if (end == std::string::npos) end = path.size();
      if (end > start) words.insert(path.substr(start, end - start));
      start = end + 1;
    }
  }
  std::ofstream dict(fs::path(argv[2]) / "config.dict");
  int n = 0;
  for (const std::string& w : words) dict << "key" << ++n << "=\"" << w << ":\"\n";
  for (const char* t : {"count",   "rate",  "quantile",     "mean",    "distinct", "expression",
                        "webhook", "jsonl", "alertmanager", "stdout",  "up",       "down",
                        "both",    "all",   "5m",           "1h",      "1d",       "1w",
                        "&a",      "*a",    "<<: *a",       "{",       "}",        "[",
                        "]",       "- ",    ": ",           "\\x0a  ", "!!str",    "~",
                        "null"}) {
    dict << "token" << ++n << "=\"" << t << "\"\n";
  }
  return 0;
}
