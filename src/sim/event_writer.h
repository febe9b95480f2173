// Formatting of simulated events as JSON Lines or CSV (DESIGN §2.1), and streaming compression.
// Formatting is hand-rolled into one growing buffer: no allocation or stream per event.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/fleet.h"
#include "vigil/sim.h"

namespace vigil::sim {

/// A growable byte buffer that, unlike std::string::resize, does not zero what it reserves.
class ByteBuffer {
 public:
  /// Room for at least `n` more bytes at the end; write there, then Commit.
  char* Reserve(size_t n) {
    if (cap_ - size_ < n) {
      size_t cap = std::max(cap_ * 2, size_ + n);
      std::unique_ptr<char[]> d(new char[cap]);
      if (size_) std::memcpy(d.get(), data_.get(), size_);
      data_ = std::move(d);
      cap_ = cap;
    }
    return data_.get() + size_;
  }
  void Commit(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void Append(std::string_view s) {
    char* at = Reserve(s.size());
    if (!s.empty()) std::memcpy(at, s.data(), s.size());  // an empty view may carry null
    Commit(at + s.size());
  }
  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  size_t cap_ = 0, size_ = 0;
};

class EventFormatter {
 public:
  EventFormatter(const Fleet& fleet, SimFormat format);

  /// The CSV header line (empty for JSON Lines).
  std::string Header() const;

  /// Appends one event (one line, with its newline) to `out`.
  void Append(const SimEvent& e, ByteBuffer* out);

 private:
  struct Segment {
    int var;  // -1: literal
    std::string text;
  };
  char* Json(const SimEvent& e, char* p);
  char* Csv(const SimEvent& e, char* p);
  char* Message(const SimEvent& e, char* p);
  char* Timestamp(TimeMs ts, char* p);

  const Fleet& fleet_;
  SimFormat format_;
  std::array<std::vector<std::string>, kDimCount> json_dims_, csv_dims_;
  std::vector<std::vector<Segment>> templates_;
  std::vector<std::string> codes_;
  size_t max_line_ = 0;
  int64_t cached_minute_ = INT64_MIN;
  char minute_prefix_[20] = {};
};

/// Writes bytes to a sink, compressing them on the way when asked (gzip via zlib, zstd).
class StreamCompressor {
 public:
  virtual ~StreamCompressor() = default;
  static Result<std::unique_ptr<StreamCompressor>> Create(SimCompression compression,
                                                          SimByteSink sink);
  virtual Status Write(std::string_view bytes) = 0;
  /// Flushes everything; no Write after it.
  virtual Status Finish() = 0;
  int64_t bytes_out() const { return bytes_out_; }

 protected:
  int64_t bytes_out_ = 0;
};

}  // namespace vigil::sim
