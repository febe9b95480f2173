#include "server/follow.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

namespace vigil::server {
namespace {

bool LooksLikeJsonLines(const std::string& name) {
  if (name.starts_with('.')) return false;
  if (name.ends_with(".gz") || name.ends_with(".zst")) return false;  // not appended to
  return name.find(".jsonl") != std::string::npos || name.find(".json") != std::string::npos;
}

// The bytes of a file's start that identify it (its first line, or this much of it).
constexpr size_t kHeadBytes = 4096;

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Closes a descriptor when it goes out of scope.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads up to `n` bytes at `offset`; fewer at the end of the file.
bool ReadAt(int fd, uint64_t offset, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  out->resize(done);
  return true;
}

}  // namespace

Follower::Follower(Service* service, std::vector<std::string> paths)
    : service_(service), paths_(std::move(paths)) {}

void Follower::Warn(const std::string& key, const std::string& message) {
  auto [it, added] = warned_.emplace(key, message);
  if (!added && it->second == message) return;
  it->second = message;
  std::fprintf(stderr, "vigil: warning: %s\n", message.c_str());
}

FollowPass Follower::Poll(uint64_t max_bytes) {
  FollowPass pass;
  namespace fs = std::filesystem;
  for (const std::string& path : paths_) {
    std::error_code error;
    fs::file_status status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      Warn(path, path + ": not there (yet); followed once it appears");
      continue;
    }
    warned_.erase(path);
    if (!fs::is_directory(status)) {
      ReadFile(path, max_bytes, &pass);
      continue;
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
      if (it->is_regular_file(error) && LooksLikeJsonLines(it->path().filename().string()))
        names.push_back(it->path().string());
    }
    if (error) Warn(path, path + ": " + error.message());
    // Oldest names first: a rotation's `events.jsonl.1` before the new `events.jsonl`.
    std::sort(names.begin(), names.end(), std::greater<>());
    for (const std::string& name : names) ReadFile(name, max_bytes, &pass);
  }
  return pass;
}

void Follower::ReadFile(const std::string& path, uint64_t max_bytes, FollowPass* pass) {
  Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  struct stat info {};
  if (file.fd < 0 || ::fstat(file.fd, &info) != 0) {
    Warn(path, path + ": " + std::strerror(errno));
    return;
  }
  if (!S_ISREG(info.st_mode)) return;
  // A file is known by device, inode and its first line: a rename keeps all three, while a new
  // file that reuses a deleted one's inode, or a truncated file written anew, starts afresh.
  std::string head;
  if (!ReadAt(file.fd, 0, kHeadBytes, &head)) {
    Warn(path, path + ": " + std::strerror(errno));
    return;
  }
  size_t first_newline = head.find('\n');
  if (first_newline == std::string::npos && head.size() < kHeadBytes) return;  // no line yet
  const std::string key =
      fmt::format("follow:{}:{}:{:016x}", static_cast<uint64_t>(info.st_dev),
                  static_cast<uint64_t>(info.st_ino),
                  Fnv1a(std::string_view(head).substr(0, std::min(first_newline, head.size()))));
  auto known = files_.find(key);
  if (known == files_.end()) {
    FileState state;
    auto stored = service_->LedgerEntry(key);
    if (!stored.ok()) {
      Warn(path, path + ": reading its offset: " + stored.status().message());
      return;
    }
    if (stored->has_value()) state = {(*stored)->bytes, (*stored)->events};
    known = files_.emplace(key, state).first;
  }
  FileState& state = known->second;
  const uint64_t size = static_cast<uint64_t>(info.st_size);
  if (size < state.offset) {
    Warn(key, fmt::format("{}: shorter than what was read ({} < {} bytes): truncated, read again "
                          "from its start",
                          path, size, state.offset));
    state.offset = 0;
  }
  const uint64_t max_line = static_cast<uint64_t>(service_->config().limits.max_line_bytes);
  std::string chunk;
  while (state.offset < size && max_bytes > 0) {
    const uint64_t want =
        std::min<uint64_t>(size - state.offset, std::max(max_bytes, max_line + 1));
    if (!ReadAt(file.fd, state.offset, want, &chunk)) {
      Warn(path, path + ": " + std::strerror(errno));
      return;
    }
    size_t whole = chunk.rfind('\n');
    uint64_t consumed = 0;
    uint64_t bad = 0;
    std::string_view lines;
    if (whole != std::string::npos) {
      lines = std::string_view(chunk.data(), whole + 1);
      consumed = whole + 1;
    } else if (chunk.size() > max_line) {
      // A line past limits.max_line_bytes: skipped to its newline (or, unended, left for later).
      uint64_t at = state.offset + chunk.size();
      std::string more;
      bool found = false;
      while (!found && at < size) {
        if (!ReadAt(file.fd, at, std::min<uint64_t>(size - at, 1 << 20), &more) || more.empty())
          break;
        size_t nl = more.find('\n');
        found = nl != std::string::npos;
        at += found ? nl + 1 : more.size();
      }
      if (!found) return;  // its end is not written yet
      consumed = at - state.offset;
      bad = 1;
      service_->CountBadLine();
      Warn(key, fmt::format("{}: a line of more than {} bytes at offset {} "
                            "(limits.max_line_bytes); skipped",
                            path, max_line, state.offset));
    } else {
      return;  // a line still being written
    }
    const uint64_t next = state.offset + consumed;
    std::string origin = fmt::format("{} (from byte {})", path, state.offset);
    // The new offset is stored with the events, in one transaction.
    IngestedInput ledger{key, path, next, state.events, WallClockNow()};
    Result<IngestStats> stats = service_->IngestStream(lines, origin, {ledger});
    if (!stats.ok()) {
      Warn(key, origin + ": " + stats.status().message() + "; retried on the next pass");
      return;
    }
    // Keyed by the file, not the line: a stream of bad lines must not grow the warning memory.
    for (const BadLine& b : stats->first_bad_lines)
      Warn(key, origin + ": line " + std::to_string(b.line) + " of the batch: " + b.reason);
    state.offset = next;
    state.events += stats->events;
    pass->events += stats->events;
    pass->bad_lines += stats->bad_lines + bad;
    pass->bytes += consumed;
    max_bytes = consumed >= max_bytes ? 0 : max_bytes - consumed;
  }
}

void Follower::Run(const std::atomic<bool>& stopping, int interval_ms) {
  while (!stopping) {
    FollowPass pass = Poll();
    if (pass.bytes == 0) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

}  // namespace vigil::server
