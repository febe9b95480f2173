// Opening an input exactly once: a plain regular file is mapped whole; a pipe, a device or a
// compressed file is read front to back as a stream (gzip and zstd known by their magic bytes
// and decompressed chunk by chunk), so nothing is lost from a pipe and memory stays bounded.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil::internal {

/// Bytes with padding after them, as simdjson requires to read past the end safely.
class PaddedBuffer {
 public:
  static constexpr size_t kPadding = 64;
  PaddedBuffer() = default;
  void Reserve(size_t n);
  void Append(const char* p, size_t n);
  /// Sets the size; bytes past the old size are whatever was written there (see Reserve).
  void Resize(size_t n);
  /// Empties the buffer, keeping its memory (and leaving its old bytes as padding).
  void Clear() { size_ = 0; }
  /// Drops the first `n` bytes, moving the rest to the front.
  void Consume(size_t n);
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// Input bytes: a padded buffer (in-memory text) or a read-only mapping of a plain file.
/// Mapping avoids copying the file and touching fresh memory for it.
class InputData {
 public:
  InputData() = default;
  explicit InputData(PaddedBuffer buffer);
  /// Maps `size` bytes of the open file `fd` (which stays the caller's to close).
  static Result<InputData> Map(int fd, size_t size, const std::string& path);
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

/// What is known of an input before it is opened.
struct InputInfo {
  std::string path;
  bool regular = false;  ///< a regular file: finite, and it can be read a second time
  bool fifo = false;     ///< a named or anonymous pipe
  uint64_t size = 0;     ///< regular files: the size on disk (compressed, if compressed)
};

/// Checks that `path` exists, is not a directory and may be read, without opening it, so that a
/// pipe loses nothing and a FIFO without a writer blocks nobody (kNotFound / kIoError).
Result<InputInfo> CheckInput(const std::string& path);

/// Bytes read once, front to back.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Reads up to `n` bytes into `out`; 0 only at the end of the stream.
  virtual Result<size_t> Read(char* out, size_t n) = 0;
  /// Damage found while reading that ended the stream early, e.g. a corrupt compressed tail;
  /// each names the file. Read them once reading is over.
  const std::vector<std::string>& warnings() const { return warnings_; }

 protected:
  std::vector<std::string> warnings_;
};

/// An opened input: a mapped plain regular file (`stream` null), or a stream.
struct OpenedInput {
  InputData mapped;
  std::unique_ptr<ByteStream> stream;
};

/// Opens `info.path` exactly once. A plain regular file is mapped; anything else is a stream.
/// A FIFO is opened without blocking; when no data arrives within `writer_wait` and no process
/// holds its write end, it is an error (kIoError) instead of a wait for ever. Once a writer is
/// there, reading waits for its data as `cat` does.
Result<OpenedInput> OpenInput(const InputInfo& info, std::chrono::milliseconds writer_wait);

}  // namespace vigil::internal
