// Random worlds: deterministic per seed, always valid, spread over what the quality benchmark
// needs (every kind, outages to zero, slices of one to three dimensions, a range of volumes, one
// joint regression each), replayable from the world file, with a detectability for every
// incident that grows with the traffic that carries it.
#include "sim/random_world.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/scenario.h"
#include "vigil/sim.h"

namespace vigil::sim {
namespace {

TEST(RandomWorldTest, SameSeedSameWorldOtherSeedsDiffer) {
  EXPECT_EQ(RandomWorldYaml(11), RandomWorldYaml(11));
  EXPECT_NE(RandomWorldYaml(11), RandomWorldYaml(12));
}

TEST(RandomWorldTest, EveryWorldIsValidAndTheyCoverWhatIsMeasured) {
  std::map<std::string, int> kinds;
  std::map<size_t, int> slice_sizes;
  int outages = 0, decoys = 0, dst_runs = 0, everywhere = 0;
  int64_t low = INT64_MAX, high = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    auto world = ParseScenario(RandomWorldYaml(seed), "seed " + std::to_string(seed));
    ASSERT_TRUE(world.ok()) << world.status().message();
    const Scenario& s = *world;
    EXPECT_GE(s.locales.size(), 5u);
    EXPECT_GE(s.platforms.size(), 3u);
    low = std::min(low, s.events_per_day);
    high = std::max(high, s.events_per_day);
    int incidents = 0, joint = 0;
    for (const Injection& in : s.injections) {
      if (in.decoy) {
        ++decoys;
        continue;
      }
      ++incidents;
      if (in.kind == "joint") {
        // Each part below the example config's threshold for its metric alone.
        ++joint;
        EXPECT_GE(in.size, 0.05);
        EXPECT_LE(in.size, 0.08);
        EXPECT_GE(in.joint_error, 0.0025);
        EXPECT_LE(in.joint_error, 0.004);
        EXPECT_GE(in.joint_rephrase, 0.005);
        EXPECT_LE(in.joint_rephrase, 0.008);
        EXPECT_TRUE(in.slice.empty() ||
                    (in.slice.size() == 1 && in.slice[0].first == Dim::kPlatform));
        EXPECT_GE(in.onset.value, 3 * kDayMs);
        ASSERT_TRUE(in.duration_ms.has_value());
        EXPECT_GE(*in.duration_ms, 4 * kHourMs);
        EXPECT_LE(*in.duration_ms, 12 * kHourMs);
        everywhere += in.slice.empty();
      }
      ++kinds[in.kind];
      ++slice_sizes[in.slice.size()];
      outages += in.kind == "volume_drop" && in.size == 1.0;
    }
    EXPECT_GE(incidents, 4);
    EXPECT_LE(incidents, 11);
    // Exactly one joint regression, on its own line of the world file.
    EXPECT_EQ(joint, 1);
    std::string yaml = RandomWorldYaml(seed);
    size_t lines = 0;
    for (size_t at = yaml.find("kind: joint"); at != std::string::npos;
         at = yaml.find("kind: joint", at + 1))
      ++lines;
    EXPECT_EQ(lines, 1u);
    // Runs that hold a US or EU clock change (March, late October, early November).
    int64_t month_day = (s.start / kDayMs) % 365;
    dst_runs += month_day > 55 && month_day < 95;
  }
  for (const char* kind : kIncidentKinds) EXPECT_GT(kinds[kind], 5) << kind;
  EXPECT_GT(slice_sizes[1], 50);
  EXPECT_GT(slice_sizes[2], 50);
  EXPECT_GT(slice_sizes[3], 10);
  EXPECT_GT(outages, 20);
  EXPECT_GT(decoys, 100);
  EXPECT_GT(dst_runs, 5);
  EXPECT_GT(everywhere, 40);  // a third of 200 worlds, the others on one platform
  EXPECT_LT(everywhere, 95);
  EXPECT_LT(low, 40000);
  EXPECT_GT(high, 300000);
}

std::string Simulated(SimulationOptions o, std::string* truth) {
  std::string out;
  auto r = SimulateToSink(
      o,
      [&](std::string_view c) {
        out.append(c);
        return Status::Ok();
      },
      truth);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return out;
}

TEST(RandomWorldTest, WorldFileReplaysTheSameEvents) {
  SimulationOptions o;
  o.scenario = kRandomWorld;
  o.seed = 5;
  o.days = 3;
  o.events_per_day = 3000;
  std::string truth;
  std::string events = Simulated(o, &truth);
  EXPECT_GT(events.size(), 1000u);

  auto dir = std::filesystem::temp_directory_path() / "vigil_random_world_test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "world.yaml").string();
  std::ofstream(path) << RandomWorldYaml(5);
  SimulationOptions replay = o;
  replay.scenario = path;
  std::string replay_truth;
  EXPECT_EQ(Simulated(replay, &replay_truth), events);
  EXPECT_EQ(replay_truth, truth);
  std::filesystem::remove_all(dir);
}

TEST(RandomWorldTest, DetectabilityGrowsWithTheTrafficThatCarriesIt) {
  auto figures = [](int64_t per_day) {
    SimulationOptions o;
    o.scenario = kRandomWorld;
    o.seed = 4;
    o.events_per_day = per_day;
    std::string truth;
    Simulated(o, &truth);
    std::map<std::string, double> out;
    nlohmann::json parsed = nlohmann::json::parse(truth);
    for (const auto& i : parsed["incidents"]) {
      out[i["id"].get<std::string>()] = i["detectability"].get<double>();
    }
    return out;
  };
  auto small = figures(4000), large = figures(40000);
  ASSERT_FALSE(small.empty());
  ASSERT_EQ(small.size(), large.size());
  int grew = 0;
  for (const auto& [id, z] : small) {
    EXPECT_GE(z, 0) << id;
    // Ten times the traffic: about √10 ≈ 3.2 times the figure (counts are noisy).
    if (z > 1) grew += large[id] > 2 * z && large[id] < 5 * z;
  }
  EXPECT_GE(grew, 1);
}

}  // namespace
}  // namespace vigil::sim
