// Fast non-cryptographic 64-bit hashing for hash tables and distinct-count sketches.
// Written here because it sits on the hot path of ingest and must be stable across versions
// and machines (sketch bytes are persisted): std::hash gives neither guarantee.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace vigil::internal {

/// A strong 64-bit finalizer (splitmix64): every input bit affects every output bit.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// Hash of a byte string, stable across platforms and releases.
inline uint64_t Hash64(std::string_view bytes, uint64_t seed = 0x9e3779b97f4a7c15ULL) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t h = seed ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = Mix64(h ^ w) * 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);  // an empty view may carry a null pointer
  return Mix64(h ^ tail ^ (static_cast<uint64_t>(n) << 56));
}

}  // namespace vigil::internal
