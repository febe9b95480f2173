#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_data.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(ScanFilesTest, HandsEveryGoodEventWithItsIdAndMessageToTheVisitor) {
  auto config = testing::SmallConfig();
  std::string path =
      WriteFile("vigil_scan_test.jsonl",
                R"({"ts": "2026-03-02T00:00:00Z", "id": "r1", "a": "a1", "outcome": "ok"}
{"ts": "2026-03-02T00:01:00Z", "id": "r2", "a": "a2", "outcome": "error", "error_message": "ASR timeout after 900 ms"}
not json
{"ts": "2026-03-02T00:02:00Z", "id": "r3", "a": "a1", "outcome": "error", "error_message": 7}
)");
  std::vector<std::string> ids, messages;
  auto stats = ScanFiles({path}, *config, [&](const Event& e) {
    ids.emplace_back(e.request_id);
    messages.emplace_back(e.message);
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->events, 3u);
  EXPECT_EQ(stats->bad_lines, 1u);
  EXPECT_EQ(ids, (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_EQ(messages, (std::vector<std::string>{"", "ASR timeout after 900 ms", ""}));
  std::filesystem::remove(path);
}

TEST(ScanFilesTest, AMessageFieldThatIsAlsoAnAttributeFillsBoth) {
  auto config = testing::SmallConfig();
  auto shared = std::make_shared<Config>(*config);
  shared->input.message_field = "outcome";  // the attribute's field
  std::string path = WriteFile("vigil_scan_test2.csv",
                               "ts,id,a,outcome\n2026-03-02T00:00:00Z,r1,a1,broken pipe\n");
  std::string attribute, message;
  auto stats = ScanFiles({path}, *shared, [&](const Event& e) {
    attribute = std::string(e.attributes[0]);
    message = std::string(e.message);
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(attribute, "broken pipe");
  EXPECT_EQ(message, "broken pipe");
  EXPECT_EQ(ScanFiles({"/nonexistent/x.jsonl"}, *shared, [](const Event&) {}).status().code(),
            StatusCode::kNotFound);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vigil
