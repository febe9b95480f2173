// Checks shared by the models' serialization tests: a round trip gives an equal model and the
// same scores; every truncation is refused; flipped bits and random bytes are refused or read
// as a model that works, never a crash.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/learn.h"

namespace vigil::testing {

template <typename Model>
void ExpectRoundTrip(const Model& model, RowsView x) {
  std::string bytes;
  model.Serialize(&bytes);
  bytes += "tail";  // a following record stays unread
  std::string_view in = bytes;
  auto back = Model::Deserialize(&in);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(in, "tail");
  EXPECT_TRUE(*back == model);
  auto a = model.Score(x);
  auto b = back->Score(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  std::string again;
  back->Serialize(&again);
  EXPECT_EQ(again + "tail", bytes);
}

// A model read from damaged bytes either is refused with kCorruption, leaving the input as it
// was, or scores rows to finite numbers and serializes back to the bytes it was read from.
template <typename Model>
void ExpectRejectedOrValid(const std::string& bytes, RowsView x) {
  std::string_view in = bytes;
  auto model = Model::Deserialize(&in);
  if (!model.ok()) {
    EXPECT_EQ(model.status().code(), StatusCode::kCorruption) << model.status().ToString();
    EXPECT_EQ(in.size(), bytes.size());
    return;
  }
  if (model->features() != x.cols) return;
  auto scores = model->Score(x);
  ASSERT_TRUE(scores.ok());
  for (double s : *scores) {
    EXPECT_FALSE(std::isnan(s));
  }
  std::string again;
  model->Serialize(&again);
  EXPECT_EQ(again, bytes.substr(0, bytes.size() - in.size()));
}

template <typename Model>
void ExpectCorruptionRefused(const Model& model, RowsView x, uint8_t tag) {
  std::string bytes;
  model.Serialize(&bytes);
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string_view in(bytes.data(), len);
    auto r = Model::Deserialize(&in);
    ASSERT_FALSE(r.ok()) << "truncated at " << len;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(in.size(), len);
  }
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = bytes;
    const size_t pos = trial < 64 && static_cast<size_t>(trial) < bad.size()
                           ? static_cast<size_t>(trial)
                           : rng() % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
    ExpectRejectedOrValid<Model>(bad, x);
  }
  for (int trial = 0; trial < 2000; ++trial) {
    std::string garbage(rng() % 300, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (!garbage.empty() && trial % 2 == 0) garbage[0] = static_cast<char>(tag);
    if (garbage.size() > 1 && trial % 4 == 0) garbage[1] = 1;
    ExpectRejectedOrValid<Model>(garbage, x);
  }
  std::string wrong_version = bytes;
  wrong_version[1] = 2;
  std::string_view in = wrong_version;
  auto r = Model::Deserialize(&in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unsupported version 2"), std::string::npos);
}

}  // namespace vigil::testing
