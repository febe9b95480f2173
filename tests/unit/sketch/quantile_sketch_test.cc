#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vigil/sketch.h"

namespace vigil {
namespace {

// The stated bound, with room only for the last-bit rounding of log/exp at bin edges.
constexpr double kBound = QuantileSketch::kRelativeAccuracy * (1 + 1e-9);
const std::vector<double> kUserQuantiles = {0.5, 0.9, 0.95, 0.99};

double ExactQuantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)))];
}

double RelativeError(double estimate, double exact) {
  return std::abs(estimate - exact) / std::abs(exact);
}

QuantileSketch SketchOf(const std::vector<double>& values) {
  QuantileSketch s;
  for (double v : values) s.Add(v);
  return s;
}

std::vector<double> LogNormal(size_t n, double median, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(median), sigma);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

// Checks the bound at the user-facing quantiles and on a fine grid; returns the worst error.
double ExpectWithinBound(const QuantileSketch& s, std::vector<double> values, const char* what) {
  std::sort(values.begin(), values.end());
  double worst = 0;
  for (double q : kUserQuantiles) {
    double err = RelativeError(s.Quantile(q), ExactQuantile(values, q));
    EXPECT_LE(err, kBound) << what << " q=" << q;
    worst = std::max(worst, err);
  }
  for (int i = 1; i < 1000; ++i) {
    double q = i / 1000.0;
    EXPECT_LE(RelativeError(s.Quantile(q), ExactQuantile(values, q)), kBound) << what << " q=" << q;
  }
  EXPECT_EQ(s.Quantile(0), values.front()) << what;
  EXPECT_EQ(s.Quantile(1), values.back()) << what;
  EXPECT_EQ(s.min(), values.front());
  EXPECT_EQ(s.max(), values.back());
  std::printf("[ info     ] %s: max relative error at p50/p90/p95/p99 = %.5f%%\n", what,
              100 * worst);
  return worst;
}

TEST(QuantileSketchTest, LogNormalLatenciesWithinOnePercent) {
  std::vector<double> values = LogNormal(1000000, 300, 0.8, 42);
  QuantileSketch s = SketchOf(values);
  EXPECT_EQ(s.count(), values.size());
  ExpectWithinBound(s, values, "log-normal 1e6");
  double exact_sum = 0;
  for (double v : values) exact_sum += v;
  EXPECT_NEAR(s.sum(), exact_sum, 1e-9 * exact_sum);
  EXPECT_NEAR(s.mean(), exact_sum / values.size(), 1e-9 * exact_sum / values.size());
}

TEST(QuantileSketchTest, BimodalLatenciesWithinOnePercent) {
  std::vector<double> fast = LogNormal(700000, 50, 0.3, 7);
  std::vector<double> slow = LogNormal(300000, 2000, 0.5, 8);
  std::vector<double> values = fast;
  values.insert(values.end(), slow.begin(), slow.end());
  std::shuffle(values.begin(), values.end(), std::mt19937_64(9));
  ExpectWithinBound(SketchOf(values), values, "bimodal 50 ms + 2000 ms");
}

TEST(QuantileSketchTest, MergeOfPartialsEqualsSketchOfAll) {
  std::vector<double> values = LogNormal(200000, 120, 1.2, 3);
  // Partials with very different ranges, so that merging moves and grows windows.
  std::vector<QuantileSketch> parts(10);
  for (size_t i = 0; i < values.size(); ++i) {
    size_t part = i < 1000 ? 0 : (i * 7919) % 10;
    parts[part].Add(values[i] * (part == 3 ? 1e-3 : 1) - (part == 5 ? 400 : 0));
  }
  QuantileSketch whole;
  for (size_t i = 0; i < values.size(); ++i) {
    size_t part = i < 1000 ? 0 : (i * 7919) % 10;
    whole.Add(values[i] * (part == 3 ? 1e-3 : 1) - (part == 5 ? 400 : 0));
  }
  QuantileSketch forward, backward;
  for (const auto& p : parts) forward.Merge(p);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.Merge(*it);
  EXPECT_TRUE(forward == whole);
  EXPECT_TRUE(backward == whole);
  for (int i = 0; i <= 1000; ++i) {
    EXPECT_EQ(forward.Quantile(i / 1000.0), whole.Quantile(i / 1000.0));
    EXPECT_EQ(backward.Quantile(i / 1000.0), whole.Quantile(i / 1000.0));
  }
  EXPECT_EQ(forward.count(), whole.count());
  EXPECT_EQ(forward.min(), whole.min());
  EXPECT_EQ(forward.max(), whole.max());
  // Merging into a non-empty sketch and merging an empty one change nothing else.
  QuantileSketch copy = whole;
  copy.Merge(QuantileSketch());
  EXPECT_TRUE(copy == whole);
}

TEST(QuantileSketchTest, SerializationRoundTrip) {
  QuantileSketch s = SketchOf(LogNormal(50000, 80, 1.0, 11));
  s.Add(0);
  s.Add(-3.5, 4);
  std::string bytes;
  s.Serialize(&bytes);
  QuantileSketch empty;
  empty.Serialize(&bytes);  // two sketches back to back, then trailing data
  bytes += "tail";

  std::string_view in = bytes;
  auto a = QuantileSketch::Deserialize(&in);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = QuantileSketch::Deserialize(&in);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(in, "tail");
  EXPECT_TRUE(*a == s);
  EXPECT_TRUE(b->empty());
  for (double q : {0.0, 0.01, 0.5, 0.99, 1.0}) EXPECT_EQ(a->Quantile(q), s.Quantile(q));
  EXPECT_EQ(a->sum(), s.sum());

  std::string again;
  a->Serialize(&again);
  b->Serialize(&again);
  EXPECT_EQ(again + "tail", bytes);
}

// Bytes that deserialize must be a valid sketch: usable, and stable under another round trip.
void ExpectRejectedOrValid(std::string_view bytes) {
  std::string_view in = bytes;
  auto r = QuantileSketch::Deserialize(&in);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(in.size(), bytes.size());
    return;
  }
  const QuantileSketch& s = *r;
  for (double q : {0.0, 0.3, 0.5, 0.99, 1.0}) {
    double v = s.Quantile(q);
    if (!s.empty()) {
      EXPECT_TRUE(v >= s.min() && v <= s.max());
    }
  }
  (void)s.CountAtOrBelow(1.0);
  std::string again;
  s.Serialize(&again);
  std::string_view in2 = again;
  auto r2 = QuantileSketch::Deserialize(&in2);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_TRUE(*r2 == s);
  QuantileSketch merged = s;
  merged.Merge(s);
  EXPECT_EQ(merged.count(), 2 * s.count());
}

TEST(QuantileSketchTest, CorruptedBytesAreRejectedNotFatal) {
  QuantileSketch s = SketchOf(LogNormal(20000, 200, 1.5, 5));
  s.Add(-7);
  s.Add(0, 3);
  std::string bytes;
  s.Serialize(&bytes);

  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string_view in(bytes.data(), len);
    auto r = QuantileSketch::Deserialize(&in);
    ASSERT_FALSE(r.ok()) << "truncated at " << len;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = bytes;
    size_t pos = trial < 64 ? static_cast<size_t>(trial) : rng() % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
    ExpectRejectedOrValid(bad);
  }
  for (int trial = 0; trial < 3000; ++trial) {
    std::string garbage(rng() % 200, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (!garbage.empty() && trial % 2 == 0) garbage[0] = 0x51;  // past the tag check
    if (garbage.size() > 1 && trial % 4 == 0) garbage[1] = 1;
    ExpectRejectedOrValid(garbage);
  }
  // The message names what failed.
  std::string wrong_version = bytes;
  wrong_version[1] = 9;
  std::string_view in = wrong_version;
  auto r = QuantileSketch::Deserialize(&in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("version"), std::string::npos) << r.status().ToString();
  std::string wrong_tag = bytes;
  wrong_tag[0] = 'H';
  in = wrong_tag;
  r = QuantileSketch::Deserialize(&in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tag"), std::string::npos);
}

// Found by fuzz/sketch_fuzz: one value below kMinIndexable with a different max was accepted,
// and its Quantile(1) then was not max().
TEST(QuantileSketchTest, OneValueWithMinNotMaxIsCorrupt) {
  QuantileSketch one;
  one.Add(3e-319);
  std::string bytes;
  one.Serialize(&bytes);
  std::string_view in = bytes;
  auto good = QuantileSketch::Deserialize(&in);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->Quantile(1), good->max());
  // The max field follows tag, version, count (one byte), sum and min.
  const double other_max = 3.8e-33;
  std::memcpy(bytes.data() + 3 + 8 + 8, &other_max, 8);
  in = bytes;
  auto bad = QuantileSketch::Deserialize(&in);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("min differs from max"), std::string::npos)
      << bad.status().ToString();
}

TEST(QuantileSketchTest, EmptySketch) {
  QuantileSketch s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.sum(), 0);
  EXPECT_TRUE(std::isnan(s.Quantile(0.5)));
  EXPECT_TRUE(std::isnan(s.Quantile(0)));
  EXPECT_TRUE(std::isnan(s.min()));
  EXPECT_TRUE(std::isnan(s.max()));
  EXPECT_TRUE(std::isnan(s.mean()));
  EXPECT_EQ(s.CountAtOrBelow(1e9), 0);
  s.Add(std::nan(""));
  s.Add(INFINITY);
  s.Add(-INFINITY);
  s.Add(5, 0);
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s == QuantileSketch());
}

TEST(QuantileSketchTest, SingleValueAndClampedQ) {
  QuantileSketch s;
  s.Add(123.456);
  for (double q : {-1.0, 0.0, 0.5, 1.0, 2.0}) EXPECT_EQ(s.Quantile(q), 123.456);
  EXPECT_TRUE(std::isnan(s.Quantile(std::nan(""))));
}

TEST(QuantileSketchTest, NegativeAndZeroValues) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> dist(0, 100);
  std::vector<double> values(200000);
  for (double& v : values) v = dist(rng);
  for (int i = 0; i < 1000; ++i) values.push_back(0);
  QuantileSketch s = SketchOf(values);
  std::sort(values.begin(), values.end());
  for (int i = 0; i <= 1000; ++i) {
    double q = i / 1000.0;
    double exact = ExactQuantile(values, q);
    double got = s.Quantile(q);
    if (exact == 0) {
      EXPECT_EQ(got, 0) << q;
    } else {
      EXPECT_LE(RelativeError(got, exact), kBound) << q;
      EXPECT_EQ(std::signbit(got), std::signbit(exact)) << q;
    }
  }
  EXPECT_EQ(s.Quantile(0), values.front());
  EXPECT_EQ(s.Quantile(1), values.back());
  // All negative.
  QuantileSketch neg;
  for (double v : {-1.0, -10.0, -100.0, -1000.0, -10000.0}) neg.Add(v);
  EXPECT_EQ(neg.Quantile(0), -10000.0);
  EXPECT_LE(RelativeError(neg.Quantile(0.5), -100.0), kBound);
  EXPECT_LE(RelativeError(neg.Quantile(0.75), -10.0), kBound);
  EXPECT_EQ(neg.Quantile(1), -1.0);
  EXPECT_DOUBLE_EQ(neg.sum(), -11111.0);
  // Tiny magnitudes count as zero; -0.0 and 0.0 are the same value.
  QuantileSketch zeros, zeros2;
  zeros.Add(-0.0);
  zeros.Add(1e-12);
  zeros.Add(0.0);
  zeros2.Add(0.0);
  zeros2.Add(1e-12);
  zeros2.Add(-0.0);
  EXPECT_TRUE(zeros == zeros2);
  EXPECT_EQ(zeros.Quantile(0.5), 0);
  std::string a, b;
  zeros.Serialize(&a);
  zeros2.Serialize(&b);
  EXPECT_EQ(a, b);
}

TEST(QuantileSketchTest, WeightsEqualRepeatedAdds) {
  QuantileSketch weighted, repeated;
  const std::vector<std::pair<double, uint64_t>> data = {{12.5, 3}, {80, 1},   {0, 2},
                                                         {-4, 5},   {1500, 7}, {12.5, 2}};
  for (auto [v, w] : data) {
    weighted.Add(v, w);
    for (uint64_t i = 0; i < w; ++i) repeated.Add(v);
  }
  EXPECT_TRUE(weighted == repeated);
  EXPECT_EQ(weighted.count(), 20u);
  EXPECT_DOUBLE_EQ(weighted.sum(), repeated.sum());
  for (int i = 0; i <= 20; ++i) EXPECT_EQ(weighted.Quantile(i / 20.0), repeated.Quantile(i / 20.0));
}

TEST(QuantileSketchTest, CountsBeyondThirtyTwoBits) {
  // More than 2^32 values in one bin: counts widen, stay exact and merge exactly.
  QuantileSketch a, b, whole;
  a.Add(10, 3000000000ULL);
  a.Add(20, 5);
  b.Add(10, 2000000000ULL);
  b.Add(5, 7);
  whole.Add(5, 7);
  whole.Add(10, 5000000000ULL);
  whole.Add(20, 5);
  a.Merge(b);
  EXPECT_TRUE(a == whole);
  EXPECT_EQ(a.count(), 5000000012ULL);
  EXPECT_LE(RelativeError(a.Quantile(0.5), 10), kBound);
  EXPECT_EQ(a.CountAtOrBelow(10.0), 5000000007.0);
  std::string bytes;
  a.Serialize(&bytes);
  std::string_view in = bytes;
  auto r = QuantileSketch::Deserialize(&in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r == whole);
}

TEST(QuantileSketchTest, CollapseBeyondMaxBinsKeepsHighQuantiles) {
  // Log-uniform over e^46 : 1, wider than kMaxBins bins (~e^41): the lowest ~11 % collapse.
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> exponent(std::log(1e-8), std::log(1e12));
  std::vector<double> values(300000);
  for (double& v : values) v = std::exp(exponent(rng));
  QuantileSketch s = SketchOf(values);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (double q : {0.2, 0.5, 0.9, 0.95, 0.99, 0.999}) {
    EXPECT_LE(RelativeError(s.Quantile(q), ExactQuantile(sorted, q)), kBound) << q;
  }
  EXPECT_EQ(s.Quantile(0), sorted.front());
  EXPECT_EQ(s.Quantile(1), sorted.back());
  // Memory stays bounded: at most kMaxBins varints (<= 3 bytes here) plus a small header.
  std::string bytes;
  s.Serialize(&bytes);
  EXPECT_LE(bytes.size(), 3u * QuantileSketch::kMaxBins + 64);
  // Collapse is order-independent, so merging stays exact: ascending, descending, partials.
  QuantileSketch ascending = SketchOf(sorted);
  QuantileSketch descending;
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) descending.Add(*it);
  EXPECT_TRUE(ascending == s);
  EXPECT_TRUE(descending == s);
  QuantileSketch low, high, merged;
  for (double v : values) (v < 1e-3 ? low : high).Add(v);
  merged.Merge(low);
  merged.Merge(high);
  EXPECT_TRUE(merged == s);
  QuantileSketch merged2 = high;
  merged2.Merge(low);
  EXPECT_TRUE(merged2 == s);
  // The same for negative values: the most negative values (the low quantiles) collapse.
  QuantileSketch neg;
  std::vector<double> negated;
  for (double v : values) {
    neg.Add(-v);
    negated.push_back(-v);
  }
  std::sort(negated.begin(), negated.end());
  for (double q : {0.2, 0.5, 0.9, 0.99}) {
    EXPECT_LE(RelativeError(neg.Quantile(q), ExactQuantile(negated, q)), kBound) << q;
  }
  EXPECT_EQ(neg.Quantile(0), negated.front());
}

TEST(QuantileSketchTest, CountAtOrBelowWithinBinResolution) {
  std::vector<double> values = LogNormal(100000, 100, 1.0, 13);
  QuantileSketch s = SketchOf(values);
  std::sort(values.begin(), values.end());
  for (double x : {1.0, 10.0, 50.0, 100.0, 300.0, 1000.0}) {
    // Every value within 1 % of x may be counted either way.
    double at_least = std::upper_bound(values.begin(), values.end(), x / 1.0203) - values.begin();
    double at_most = std::upper_bound(values.begin(), values.end(), x * 1.0203) - values.begin();
    double got = s.CountAtOrBelow(x);
    EXPECT_GE(got, at_least) << x;
    EXPECT_LE(got, at_most) << x;
  }
  EXPECT_EQ(s.CountAtOrBelow(values.front() / 2), 0);
  EXPECT_EQ(s.CountAtOrBelow(values.back()), values.size());
}

}  // namespace
}  // namespace vigil
