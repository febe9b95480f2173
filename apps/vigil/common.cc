#include "common.h"

#include <fmt/format.h>

namespace vigil::cli {

Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(Config config, Config::Load(path));
  return std::make_shared<const Config>(std::move(config));
}

Result<StoredCube> OpenStoredCube(const std::string& config_path, bool require_events) {
  VIGIL_ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  VIGIL_ASSIGN_OR_RETURN(auto store, Store::Open(config->StorePath()));
  VIGIL_ASSIGN_OR_RETURN(Cube cube, store->LoadCube(config));
  if (require_events && cube.event_count() == 0) {
    return DataError("the store " + store->path() + " holds no events yet; run `vigil ingest` first");
  }
  return StoredCube{std::move(config), std::move(store), std::move(cube)};
}

Result<TimeMs> ParseTimeFlag(const char* flag, const std::string& text) {
  if (text.empty()) return TimeMs{0};
  auto t = ParseTimestamp(text);
  if (!t.ok()) return InvalidArgument(std::string(flag) + ": " + t.status().message());
  return *t;
}

}  // namespace vigil::cli
