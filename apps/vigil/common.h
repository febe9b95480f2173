// Helpers shared by the subcommands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/text.h"
#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/ingest.h"
#include "vigil/status.h"
#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil::cli {

/// Loads and validates a config file.
Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path);

/// A config with its store and the cube stored there.
struct StoredCube {
  std::shared_ptr<const Config> config;
  std::unique_ptr<Store> store;
  Cube cube;
};

/// Loads the config, opens its store and loads the cube. With `require_events`, a store that
/// holds no events yet is a kDataError that says to run `vigil ingest` first.
/// With a `writer` (e.g. "vigil ingest"), the store is opened as its cube's one writer
/// (Store::OpenForWriting): refused while another process writes that cube.
Result<StoredCube> OpenStoredCube(const std::string& config_path, bool require_events,
                                  const std::string& writer = "");

/// Ingests `files` into the stored cube and saves it, printing the summary, bad lines and
/// warnings on stderr (a progress line on a terminal) unless `quiet`. A file whose content the
/// store already holds (its ingest ledger) is skipped with a warning unless `force`.
Result<IngestStats> IngestIntoStore(StoredCube* stored, const std::vector<std::string>& files,
                                    int threads, bool quiet, bool force = false);

/// Writes `text` next to `path` and renames it over it, so a reader never sees half a file.
Status WriteFileAtomically(const std::string& path, const std::string& text);

/// Parses a time flag's text (RFC 3339 or epoch ms); 0 when empty. Errors name the flag.
Result<TimeMs> ParseTimeFlag(const char* flag, const std::string& text);

}  // namespace vigil::cli
