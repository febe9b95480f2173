// Reads a whole input file into memory, decompressing gzip or zstd by their magic bytes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil::internal {

/// Bytes with zeroed padding after them, as simdjson requires to read past the end safely.
class PaddedBuffer {
 public:
  static constexpr size_t kPadding = 64;
  PaddedBuffer() = default;
  void Reserve(size_t n);
  void Append(const char* p, size_t n);
  void Resize(size_t n);
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

enum class Compression { kNone, kGzip, kZstd };

/// Checks that `path` exists and is a readable regular file (kNotFound / kIoError otherwise).
Status CheckReadable(const std::string& path);

/// Reads and decompresses `path`. A corrupt or truncated compressed stream keeps what was
/// decompressed before the damage and adds a warning naming the file and offset.
Result<PaddedBuffer> ReadInputFile(const std::string& path, std::vector<std::string>* warnings);

}  // namespace vigil::internal
