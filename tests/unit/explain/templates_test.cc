#include "vigil/templates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace vigil {
namespace {

TEST(TemplateMinerTest, MasksNumbersAndMergesMessagesThatDifferInOneWord) {
  TemplateMiner miner;
  miner.Add("ASR timeout after 1500 ms", false);
  miner.Add("ASR timeout after 2300 ms", false);
  miner.Add("ASR   timeout after 911 ms", false);
  miner.Add("Dialog backend unavailable: shard east", false);
  miner.Add("Dialog backend unavailable: shard west", false);
  miner.Add("Request cancelled by user after 566 ms", true);
  auto t = miner.Templates();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "ASR timeout after <*> ms");
  EXPECT_EQ(t[0].count, 3u);
  EXPECT_EQ(t[1].text, "Dialog backend unavailable: shard <*>");
  EXPECT_EQ(t[1].count, 2u);
  EXPECT_EQ(t[2].text, "Request cancelled by user after <*> ms");
  EXPECT_EQ(t[2].count, 0u);
  EXPECT_EQ(t[2].baseline_count, 1u);
}

TEST(TemplateMinerTest, LargestIncreaseFirstWithTheBaselineScaledByTraffic) {
  TemplateMiner miner;
  miner.Add("Model asr-42 failed to load", false, 30);
  miner.Add("Model asr-42 failed to load", true, 10);
  miner.Add("TTS voice voice-8 timed out", false, 25);
  miner.Add("TTS voice voice-8 timed out", true, 1);
  auto same_traffic = miner.Templates(1.0);
  EXPECT_EQ(same_traffic[0].text, "TTS voice <*> timed out");  // +24 vs +20
  auto double_traffic_before = miner.Templates(0.5);           // +24.5 vs +25
  EXPECT_EQ(double_traffic_before[0].text, "Model <*> failed to load");
}

TEST(TemplateMinerTest, DifferentShapesStayApartAndOrderDoesNotMatter) {
  std::vector<std::string> messages = {
      "NLU intent parse error code 7", "NLU intent parse error code 9", "NLU backend down",
      "Endpoint lost audio stream",    "Endpoint lost network",         "TTS failed"};
  TemplateMiner a, b;
  for (const auto& m : messages) a.Add(m, false);
  std::mt19937 rng(3);
  std::shuffle(messages.begin(), messages.end(), rng);
  for (const auto& m : messages) b.Add(m, false);
  auto ta = a.Templates(), tb = b.Templates();
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(ta[i].text, tb[i].text);
  std::vector<std::string> texts;
  for (const auto& t : ta) texts.push_back(t.text);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "NLU intent parse error code <*>"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "NLU backend down"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Endpoint lost audio stream"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Endpoint lost network"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "TTS failed"), texts.end());
}

TEST(TemplateMinerTest, MaskKeepsWordsAndMasksTokensWithDigits) {
  EXPECT_EQ(TemplateMiner::Mask("  req-5f3a took 1500ms (limit 1s) "), "<*> took <*> (limit <*>");
  EXPECT_EQ(TemplateMiner::Mask(""), "");
}

}  // namespace
}  // namespace vigil
