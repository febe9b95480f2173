// Content fingerprints of input files: what lets a store recognize a file it already holds.
// XXH3 (128 bits) reads at memory speed, so fingerprinting costs far less than parsing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "vigil/ingest.h"

namespace vigil {

Result<FileFingerprint> FingerprintFile(const std::string& path) {
  // Looked at before it is opened: opening a FIFO would wait for its writer.
  struct stat before {};
  if (::stat(path.c_str(), &before) == 0 && !S_ISREG(before.st_mode))
    return InvalidArgument(path + ": not a regular file; a stream has no fingerprint");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    std::string why = path + ": cannot open to fingerprint: " + std::strerror(err);
    return err == ENOENT ? NotFound(why) : IoError(why);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": not a regular file; a stream has no fingerprint");
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<char> block(1 << 20);
  FileFingerprint out;
  while (true) {
    ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      XXH3_freeState(state);
      ::close(fd);
      return IoError(path + ": reading to fingerprint: " + std::strerror(err));
    }
    if (n == 0) break;
    XXH3_128bits_update(state, block.data(), static_cast<size_t>(n));
    out.bytes += static_cast<uint64_t>(n);
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  ::close(fd);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  out.hash = std::string("xxh128:") + hex;
  return out;
}

}  // namespace vigil
