#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "vigil/sketch.h"

namespace vigil {
namespace {

std::string Device(uint64_t i) { return "device-" + std::to_string(i); }

DistinctSketch SketchOfRange(uint64_t begin, uint64_t end) {
  DistinctSketch s;
  for (uint64_t i = begin; i < end; ++i) s.Add(Device(i));
  return s;
}

std::string Bytes(const DistinctSketch& s) {
  std::string out;
  s.Serialize(&out);
  return out;
}

TEST(DistinctSketchTest, EstimateWithinTwoPercent) {
  DistinctSketch s;
  uint64_t added = 0;
  for (uint64_t n : {1000, 10000, 100000, 1000000}) {
    for (; added < n; ++added) s.Add(Device(added));
    double err = std::abs(s.Estimate() - n) / n;
    std::printf("[ info     ] %7llu distinct: estimate %.1f, relative error %.3f%%\n",
                static_cast<unsigned long long>(n), s.Estimate(), 100 * err);
    EXPECT_LE(err, 0.02) << n;
  }
}

TEST(DistinctSketchTest, ManySeedsStayWithinTwoPercentOnAverage) {
  // Not one lucky hash: over 20 key sets the mean absolute error stays well inside 2 %.
  for (uint64_t n : {3000, 30000, 300000}) {
    double total_error = 0;
    for (int seed = 0; seed < 20; ++seed) {
      DistinctSketch s;
      std::string prefix = "s";  // built stepwise: g++ 12 warns falsely on "s" + to_string()
      prefix += std::to_string(seed);
      prefix += '/';
      std::string key;
      for (uint64_t i = 0; i < n; ++i) {
        key.assign(prefix).append(std::to_string(i));
        s.Add(key);
      }
      total_error += std::abs(s.Estimate() - n) / n;
    }
    std::printf("[ info     ] %6llu distinct: mean relative error over 20 sets %.3f%%\n",
                static_cast<unsigned long long>(n), 100 * total_error / 20);
    EXPECT_LE(total_error / 20, 0.015) << n;
  }
}

TEST(DistinctSketchTest, SmallCountsAreNearlyExact) {
  DistinctSketch s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.Estimate(), 0);
  s.Add("one");
  EXPECT_FALSE(s.empty());
  EXPECT_NEAR(s.Estimate(), 1, 0.01);
  for (uint64_t n : {10, 100, 500}) {
    double e = SketchOfRange(0, n).Estimate();
    EXPECT_NEAR(e, n, 0.02 * n + 1) << n;
  }
}

TEST(DistinctSketchTest, DuplicatesDoNotCount) {
  DistinctSketch once = SketchOfRange(0, 20000);
  DistinctSketch repeated;
  for (int round = 0; round < 5; ++round) {
    for (uint64_t i = 0; i < 20000; ++i) repeated.Add(Device((i * 7 + round) % 20000));
  }
  EXPECT_TRUE(repeated == once);
  EXPECT_EQ(repeated.Estimate(), once.Estimate());
  DistinctSketch small_once = SketchOfRange(0, 300), small_twice = SketchOfRange(0, 300);
  for (uint64_t i = 0; i < 300; ++i) small_twice.Add(Device(i));
  EXPECT_TRUE(small_once == small_twice);
}

TEST(DistinctSketchTest, MergeEqualsWholeAcrossSparseToDense) {
  // Sizes on both sides of the promotion: all partials sparse with a dense result, some
  // partials already dense, and everything sparse.
  for (uint64_t n : {1500, 3000, 12000, 200000}) {
    DistinctSketch whole = SketchOfRange(0, n);
    std::vector<DistinctSketch> parts(10);
    for (uint64_t i = 0; i < n; ++i) {
      // Uneven partials: part 0 gets half of everything.
      size_t part = (i % 2 == 0) ? 0 : 1 + (i * 2654435761u) % 9;
      parts[part].Add(Device(i));
    }
    DistinctSketch forward, backward;
    for (const auto& p : parts) forward.Merge(p);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.Merge(*it);
    EXPECT_TRUE(forward == whole) << n;
    EXPECT_TRUE(backward == whole) << n;
    EXPECT_EQ(Bytes(forward), Bytes(whole)) << n;
    EXPECT_EQ(forward.Estimate(), whole.Estimate());
    // Merging partials into one of them (dense into sparse and the other way).
    DistinctSketch into = parts[3];
    into.Merge(parts[0]);
    DistinctSketch expected = parts[0];
    expected.Merge(parts[3]);
    EXPECT_TRUE(into == expected);
  }
}

TEST(DistinctSketchTest, PromotionHappensAtTheThresholdOnly) {
  // Fill registers one by one with crafted hashes: sparse up to kMaxSparseRegisters.
  DistinctSketch s;
  const int q = 64 - DistinctSketch::kPrecision;
  for (uint64_t reg = 0; reg < DistinctSketch::kMaxSparseRegisters; ++reg) {
    s.AddHash(reg << q | 1);
  }
  std::string sparse = Bytes(s);
  EXPECT_EQ(sparse[2], 0);  // form: sparse
  s.AddHash(uint64_t{DistinctSketch::kMaxSparseRegisters} << q | 1);
  std::string dense = Bytes(s);
  EXPECT_EQ(dense[2], 1);  // form: dense
  EXPECT_EQ(dense.size(), 3u + DistinctSketch::kRegisters);
  // An all-zero suffix gives the largest rank, 64 - p + 1.
  DistinctSketch top;
  top.AddHash(0);
  std::string b = Bytes(top);
  EXPECT_EQ(static_cast<uint8_t>(b.back()), 64 - DistinctSketch::kPrecision + 1);
}

TEST(DistinctSketchTest, SerializationRoundTrip) {
  for (uint64_t n : {0, 1, 700, 5000, 100000}) {
    DistinctSketch s = SketchOfRange(0, n);
    std::string bytes = Bytes(s) + "more";
    std::string_view in = bytes;
    auto r = DistinctSketch::Deserialize(&in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(in, "more");
    EXPECT_TRUE(*r == s);
    EXPECT_EQ(r->Estimate(), s.Estimate());
    EXPECT_EQ(Bytes(*r) + "more", bytes);
    // Still works as a sketch: adding more values matches the original.
    r->Add("extra");
    s.Add("extra");
    EXPECT_TRUE(*r == s);
  }
}

void ExpectRejectedOrValid(std::string_view bytes) {
  std::string_view in = bytes;
  auto r = DistinctSketch::Deserialize(&in);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(in.size(), bytes.size());
    return;
  }
  EXPECT_GE(r->Estimate(), 0);
  std::string again = Bytes(*r);
  std::string_view in2 = again;
  auto r2 = DistinctSketch::Deserialize(&in2);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(*r2 == *r);
  DistinctSketch merged = *r;
  merged.Merge(*r);
  EXPECT_TRUE(merged == *r);
}

TEST(DistinctSketchTest, CorruptedBytesAreRejectedNotFatal) {
  std::mt19937_64 rng(23);
  for (uint64_t n : {600, 50000}) {
    std::string bytes = Bytes(SketchOfRange(0, n));
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::string_view in(bytes.data(), len);
      auto r = DistinctSketch::Deserialize(&in);
      EXPECT_FALSE(r.ok()) << "truncated at " << len;
    }
    for (int trial = 0; trial < 3000; ++trial) {
      std::string bad = bytes;
      size_t pos = trial < 16 ? static_cast<size_t>(trial) : rng() % bad.size();
      bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
      ExpectRejectedOrValid(bad);
    }
  }
  for (int trial = 0; trial < 3000; ++trial) {
    std::string garbage(trial % 3 == 0 ? 3 + DistinctSketch::kRegisters : rng() % 300, '\0');
    for (char& c : garbage) c = static_cast<char>(rng() % (trial % 5 == 0 ? 52 : 256));
    if (garbage.size() > 2 && trial % 2 == 0) {
      garbage[0] = 0x48;
      garbage[1] = 1;
      garbage[2] = static_cast<char>(trial % 3 == 0);
    }
    ExpectRejectedOrValid(garbage);
  }
  // Specific failures name what failed.
  auto message = [](std::string bytes) {
    std::string_view in = bytes;
    auto r = DistinctSketch::Deserialize(&in);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  std::string dense = Bytes(SketchOfRange(0, 50000));
  std::string high_rank = dense;
  high_rank[10] = 52;
  EXPECT_NE(message(high_rank).find("exceeds"), std::string::npos);
  std::string bad_version = dense;
  bad_version[1] = 2;
  EXPECT_NE(message(bad_version).find("version"), std::string::npos);
  std::string unsorted = {0x48, 1, 0, 2, 5, 3, 0, 4};  // second register delta 0
  EXPECT_NE(message(unsorted).find("increasing"), std::string::npos);
  std::string few_dense(3 + DistinctSketch::kRegisters, '\0');
  few_dense[0] = 0x48;
  few_dense[1] = 1;
  few_dense[2] = 1;
  few_dense[100] = 3;
  EXPECT_NE(message(few_dense).find("registers set"), std::string::npos);
}

}  // namespace
}  // namespace vigil
