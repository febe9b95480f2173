#include "server/follow.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_data.h"

namespace vigil::server {
namespace {

using vigil::testing::TempDir;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

std::string Lines(int first, int n) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    out += R"({"ts":")" + FormatTimestamp(kStart + i * kMinuteMs) + R"(","id":"r)" +
           std::to_string(i) + R"(","dev":"d1","a":"a1","b":"b1","c":"c1","outcome":"ok"})" + "\n";
  }
  return out;
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

class FollowerTest : public ::testing::Test {
 protected:
  // A service over the store in dir_ (created or reopened), as `vigil serve` opens it.
  void OpenService() {
    service_.reset();
    config_ = vigil::testing::SmallConfig("limits: {max_line_bytes: 4096}\n");
    auto store = Store::Open(dir_.Path("v.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto cube = (*store)->cube().Load(config_);
    ASSERT_TRUE(cube.ok()) << cube.status().message();
    service_ = std::make_unique<Service>(config_, std::move(*store), std::move(*cube), "");
  }

  TempDir dir_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<Service> service_;
};

TEST_F(FollowerTest, ReadsWholeLinesAsTheyAreAppended) {
  OpenService();
  std::string file = dir_.Path("events.jsonl");
  const std::string fourth = Lines(3, 1);
  Append(file, Lines(0, 3) + fourth.substr(0, 20));  // three lines and the start of a fourth
  Follower follower(service_.get(), {file});
  EXPECT_EQ(follower.Poll().events, 3u);
  EXPECT_EQ(follower.Poll().events, 0u) << "a line is read once its newline is written";
  Append(file, fourth.substr(20) + Lines(4, 2));
  FollowPass pass = follower.Poll();
  EXPECT_EQ(pass.events, 3u);
  EXPECT_EQ(pass.bad_lines, 0u);
  EXPECT_EQ(service_->event_count(), 6u);
}

TEST_F(FollowerTest, ARestartResumesAtTheStoredOffset) {
  OpenService();
  std::string file = dir_.Path("events.jsonl");
  Append(file, Lines(0, 10));
  EXPECT_EQ(Follower(service_.get(), {file}).Poll().events, 10u);
  Append(file, Lines(10, 5));
  OpenService();  // a new process: the store is all it remembers
  EXPECT_EQ(service_->event_count(), 10u);
  EXPECT_EQ(Follower(service_.get(), {file}).Poll().events, 5u);
  EXPECT_EQ(service_->event_count(), 15u) << "nothing read twice, nothing lost";
}

TEST_F(FollowerTest, ARotatedFileIsReadToItsEndAndTheNewOneFromItsStart) {
  OpenService();
  std::filesystem::create_directory(dir_.Path("in"));
  std::string file = dir_.Path("in/events.jsonl");
  Append(file, Lines(0, 4));
  Follower follower(service_.get(), {dir_.Path("in")});
  EXPECT_EQ(follower.Poll().events, 4u);
  Append(file, Lines(4, 2));  // written just before the rotation, not read yet
  std::filesystem::rename(file, file + ".1");
  Append(file, Lines(6, 3));
  dir_.Write("in/notes.txt", "not events\n");
  dir_.Write("in/old.jsonl.gz", "compressed, never appended to\n");
  EXPECT_EQ(follower.Poll().events, 5u);
  EXPECT_EQ(follower.Poll().events, 0u);
  EXPECT_EQ(service_->event_count(), 9u);
}

TEST_F(FollowerTest, ATruncatedFileIsReadAgainFromItsStart) {
  OpenService();
  std::string file = dir_.Path("events.jsonl");
  Append(file, Lines(0, 6));
  Follower follower(service_.get(), {file});
  EXPECT_EQ(follower.Poll().events, 6u);
  std::filesystem::resize_file(file, 0);  // copytruncate
  Append(file, Lines(6, 2));
  EXPECT_EQ(follower.Poll().events, 2u);
  EXPECT_EQ(service_->event_count(), 8u);
}

TEST_F(FollowerTest, AFileDeletedOnceReadAndANewOneAtItsNameAreBothReadWhole) {
  // What a log shipper does; the new file often reuses the deleted one's inode.
  OpenService();
  std::filesystem::create_directory(dir_.Path("in"));
  std::string file = dir_.Path("in/day.jsonl");
  Append(file, Lines(0, 10));
  Follower follower(service_.get(), {dir_.Path("in")});
  EXPECT_EQ(follower.Poll().events, 10u);
  std::filesystem::remove(file);
  Append(file, Lines(100, 3));
  EXPECT_EQ(follower.Poll().events, 3u);
  EXPECT_EQ(service_->event_count(), 13u);
}

TEST_F(FollowerTest, AnOverLongLineIsSkippedAndCountedAndTheRestRead) {
  OpenService();
  std::string file = dir_.Path("events.jsonl");
  Append(file, Lines(0, 2) + std::string(10000, 'x') + "\n" + Lines(2, 2) + "{broken\n");
  Follower follower(service_.get(), {file});
  FollowPass pass;
  for (int i = 0; i < 5; ++i) {
    FollowPass p = follower.Poll();
    pass.events += p.events;
    pass.bad_lines += p.bad_lines;
  }
  EXPECT_EQ(pass.events, 4u);
  EXPECT_EQ(pass.bad_lines, 2u);
  OpenService();
  EXPECT_EQ(Follower(service_.get(), {file}).Poll().events, 0u)
      << "the offset moved past the bad lines too";
}

TEST_F(FollowerTest, AMissingPathIsWaitedFor) {
  OpenService();
  std::string file = dir_.Path("later.jsonl");
  Follower follower(service_.get(), {file});
  EXPECT_EQ(follower.Poll().events, 0u);
  Append(file, Lines(0, 2));
  EXPECT_EQ(follower.Poll().events, 2u);
}

}  // namespace
}  // namespace vigil::server
