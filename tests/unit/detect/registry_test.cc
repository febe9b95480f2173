// The registry: every name the config accepts as an ensemble member is a registered detector
// (so `detect.detectors` can never name one that is silently left out), and unknown names are
// refused with the nearest one.
#include <gtest/gtest.h>

#include <algorithm>

#include "vigil/config.h"
#include "vigil/detect.h"

namespace vigil {
namespace {

TEST(DetectorRegistryTest, EveryMemberTheConfigAcceptsIsRegistered) {
  std::vector<std::string> registered = Detector::Names();
  for (const std::string& name : EnsembleMemberNames()) {
    EXPECT_NE(std::find(registered.begin(), registered.end(), name), registered.end()) << name;
    auto d = Detector::Create(name, DetectorOptions{});
    ASSERT_TRUE(d.ok()) << name;
    EXPECT_EQ(std::string((*d)->name()), name);
  }
}

TEST(DetectorRegistryTest, UnknownNamesAreRefusedWithTheNearest) {
  auto d = Detector::Create("seasonl", DetectorOptions{});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("did you mean 'seasonal'"), std::string::npos)
      << d.status().message();
}

}  // namespace
}  // namespace vigil
