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

/// Input bytes: a padded buffer (decompressed or in-memory text) or a read-only mapping of a
/// plain file. Mapping avoids copying the file and touching fresh memory for it.
class InputData {
 public:
  InputData() = default;
  explicit InputData(PaddedBuffer buffer);
  static Result<InputData> Map(const std::string& path, size_t size);
  ~InputData();
  InputData(InputData&& o) noexcept { *this = std::move(o); }
  InputData& operator=(InputData&& o) noexcept;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  /// Bytes from data() that may be read: at least size(); a line ending at e can be parsed in
  /// place when e + PaddedBuffer::kPadding <= readable().
  size_t readable() const { return readable_; }

 private:
  PaddedBuffer buffer_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  const char* data_ = "";
  size_t size_ = 0;
  size_t readable_ = 0;
};

/// Checks that `path` exists and is a readable regular file (kNotFound / kIoError otherwise).
Status CheckReadable(const std::string& path);

/// Reads and decompresses `path`. A corrupt or truncated compressed stream keeps what was
/// decompressed before the damage and adds a warning naming the file and offset.
Result<InputData> ReadInputFile(const std::string& path, std::vector<std::string>* warnings);

}  // namespace vigil::internal
