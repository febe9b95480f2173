// The simulator's output: deterministic bytes, the DESIGN §2.1 schema in JSONL and CSV, and
// compressed streams that decompress to the same bytes.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "vigil/sim.h"

namespace vigil {
namespace {

std::string SimBytes(SimulationOptions o, std::string* truth = nullptr) {
  std::string out;
  auto r = SimulateToSink(
      o,
      [&](std::string_view c) {
        out.append(c);
        return Status::Ok();
      },
      truth);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (r.ok()) {
    EXPECT_EQ(r->bytes, static_cast<int64_t>(out.size()));
  }
  return out;
}

SimulationOptions Smoke(uint64_t seed = 7) {
  SimulationOptions o;
  o.scenario = "smoke";
  o.days = 1;
  o.events_per_day = 4000;
  o.seed = seed;
  return o;
}

TEST(SimulateTest, SameSeedGivesSameBytesAndOtherSeedsDiffer) {
  std::string t1, t2;
  std::string a = SimBytes(Smoke(), &t1), b = SimBytes(Smoke(), &t2);
  EXPECT_GT(a.size(), 100000u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(t1, t2);
  std::string c = SimBytes(Smoke(8));
  EXPECT_NE(a, c);
  SimulationOptions csv = Smoke();
  csv.format = SimFormat::kCsv;
  EXPECT_EQ(SimBytes(csv), SimBytes(csv));
}

TEST(SimulateTest, JsonLinesFollowTheEventSchema) {
  std::string text = SimBytes(Smoke());
  std::istringstream in(text);
  std::string line;
  const std::set<std::string> dims = {"platform",          "os_version", "device_model", "locale",
                                      "app_build",         "asr_model",  "tts_voice",    "asr_mode",
                                      "conversation_mode", "network",    "region"};
  const std::set<std::string> stages = {"endpoint", "asr_final",       "nlu",
                                        "dialog",   "tts_first_audio", "e2e"};
  int n = 0, failed = 0, full_duplex = 0;
  std::string last_ts;
  std::set<std::string> ids;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    ++n;
    std::string ts = j.at("ts");
    ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-03-02T14:05:00.123Z
    EXPECT_EQ(ts[19], '.');
    EXPECT_EQ(ts.back(), 'Z');
    EXPECT_TRUE(ParseTimestamp(ts).ok());
    EXPECT_LE(last_ts, ts);  // time order
    last_ts = ts;
    EXPECT_TRUE(ids.insert(j.at("request_id")).second);
    EXPECT_TRUE(j.at("device_id").is_string());
    for (const auto& d : dims) EXPECT_TRUE(j.at(d).is_string()) << d;
    for (const char* b : {"rephrased", "barge_in", "false_barge_in"})
      EXPECT_TRUE(j.at(b).is_boolean());
    const auto& lat = j.at("latency_ms");
    ASSERT_TRUE(lat.is_object());
    for (const auto& [k, v] : lat.items()) {
      EXPECT_TRUE(stages.count(k)) << k;
      EXPECT_TRUE(v.is_number());
      EXPECT_GE(v.get<double>(), 0);
    }
    std::string outcome = j.at("outcome");
    if (outcome == "ok") {
      EXPECT_EQ(lat.size(), 6u);
      double sum = 0;
      for (const char* s : {"endpoint", "asr_final", "nlu", "dialog", "tts_first_audio"})
        sum += lat.at(s).get<double>();
      EXPECT_NEAR(sum, lat.at("e2e").get<double>(), 0.35);  // each value rounded to 0.1
      EXPECT_FALSE(j.contains("error_code"));
    } else {
      ++failed;
      EXPECT_FALSE(lat.contains("e2e"));
      EXPECT_FALSE(lat.contains("tts_first_audio"));
      EXPECT_TRUE(j.at("error_code").is_string());
      std::string msg = j.at("error_message");
      EXPECT_EQ(msg.find('{'), std::string::npos) << msg;  // every variable filled in
    }
    if (j.at("conversation_mode") == "half_duplex") {
      EXPECT_FALSE(j.at("barge_in").get<bool>());
      EXPECT_FALSE(j.at("false_barge_in").get<bool>());
    } else {
      ++full_duplex;
    }
  }
  EXPECT_GT(n, 3000);
  EXPECT_GT(failed, 0);
  EXPECT_GT(full_duplex, 0);
}

TEST(SimulateTest, CsvHasAHeaderWithDottedNamesAndEmptyCellsForMissingStages) {
  SimulationOptions o = Smoke();
  o.format = SimFormat::kCsv;
  std::string text = SimBytes(o);
  std::istringstream in(text);
  std::string header, row;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("ts,request_id,device_id,platform,", 0), 0u);
  EXPECT_NE(header.find(",latency_ms.asr_final,"), std::string::npos);
  EXPECT_NE(
      header.find(
          ",latency_ms.e2e,outcome,error_code,error_message,rephrased,barge_in,false_barge_in"),
      std::string::npos);
  size_t columns = std::count(header.begin(), header.end(), ',') + 1;
  bool saw_missing = false;
  while (std::getline(in, row)) {
    // Messages with commas are quoted; none of the built-in templates has one.
    EXPECT_EQ(static_cast<size_t>(std::count(row.begin(), row.end(), ',')) + 1, columns) << row;
    saw_missing = saw_missing || row.find(",,") != std::string::npos;
  }
  EXPECT_TRUE(saw_missing);
}

TEST(SimulateTest, CompressedOutputDecompressesToTheSameBytes) {
  std::string plain = SimBytes(Smoke());
  SimulationOptions gz = Smoke();
  gz.compression = SimCompression::kGzip;
  std::string g = SimBytes(gz);
  EXPECT_EQ(g, SimBytes(gz));
  ASSERT_GT(g.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(g[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(g[1]), 0x8b);
  std::string inflated(plain.size() + 1, '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(g.data());
  z.avail_in = static_cast<uInt>(g.size());
  z.next_out = reinterpret_cast<Bytef*>(inflated.data());
  z.avail_out = static_cast<uInt>(inflated.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflated.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_EQ(inflated, plain);

  SimulationOptions zs = Smoke();
  zs.compression = SimCompression::kZstd;
  std::string c = SimBytes(zs);
  EXPECT_LT(c.size(), plain.size() / 3);
  ZSTD_DStream* ds = ZSTD_createDStream();
  std::string out(plain.size() + 1, '\0');
  ZSTD_inBuffer in{c.data(), c.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  while (in.pos < in.size) {
    size_t rc = ZSTD_decompressStream(ds, &ob, &in);
    ASSERT_FALSE(ZSTD_isError(rc));
    if (rc == 0) break;
  }
  ZSTD_freeDStream(ds);
  out.resize(ob.pos);
  EXPECT_EQ(out, plain);
}

TEST(SimulateTest, WritesFilesIntoTheOutputDirectory) {
  SimulationOptions o = Smoke();
  o.out_dir = std::string(VIGIL_BINARY_DIR) + "/sim_test_out";
  o.compression = SimCompression::kZstd;
  auto r = Simulate(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->events_path, o.out_dir + "/events.jsonl.zst");
  EXPECT_EQ(r->truth_path, o.out_dir + "/truth.json");
  EXPECT_EQ(r->incidents, 0);  // smoke's incidents start on its second day
  EXPECT_GT(r->events, 3000);
}

TEST(SimulateTest, UnknownScenarioIsNotFoundAndBadFileIsAConfigError) {
  SimulationOptions o = Smoke();
  o.scenario = "nope";
  auto r = SimulateToSink(
      o, [](std::string_view) { return Status::Ok(); }, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("demo"), std::string::npos);
  EXPECT_EQ(CheckScenario("/no/such/file.yaml").code(), StatusCode::kNotFound);
  EXPECT_TRUE(CheckScenario("demo").ok());
  EXPECT_TRUE(CheckScenario("smoke").ok());
}

}  // namespace
}  // namespace vigil
