// Little-endian byte writer and bounds-checked reader for the versioned serialized forms
// (sketches, cubes). The reader never reads past its input: corrupted bytes give a Status.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil::internal {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void I64(int64_t v) { Raw(&v, 8); }
  void F64(double v) { Raw(&v, 8); }
  /// Unsigned LEB128.
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  /// Zig-zag signed varint.
  void SignedVarint(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void String(std::string_view s) {
    Varint(s.size());
    out_->append(s.data(), s.size());
  }

 private:
  void Raw(const void* p, size_t n) { out_->append(static_cast<const char*>(p), n); }
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in, const char* what = "bytes") : in_(in), what_(what) {}

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool done() const { return pos_ == in_.size(); }

  Status U8(uint8_t* v) { return Raw(v, 1); }
  Status U32(uint32_t* v) { return Raw(v, 4); }
  Status U64(uint64_t* v) { return Raw(v, 8); }
  Status I64(int64_t* v) { return Raw(v, 8); }
  Status F64(double* v) { return Raw(v, 8); }
  Status Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Truncated();
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = result;
        return Status::Ok();
      }
    }
    return Corruption(std::string(what_) + ": varint too long at byte " + std::to_string(pos_));
  }
  Status SignedVarint(int64_t* v) {
    uint64_t u;
    VIGIL_RETURN_IF_ERROR(Varint(&u));
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return Status::Ok();
  }
  Status String(std::string* s, size_t max_size = 1 << 20) {
    uint64_t n;
    VIGIL_RETURN_IF_ERROR(Varint(&n));
    if (n > max_size || n > remaining()) return Truncated();
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  /// The bytes not read yet.
  std::string_view Rest() const { return in_.substr(pos_); }
  /// Skips `n` bytes (at most what remains).
  void Skip(size_t n) { pos_ += std::min(n, remaining()); }
  /// A Corruption status naming what is being read and where.
  Status Error(const std::string& why) const {
    return Corruption(std::string(what_) + ": " + why + " at byte " + std::to_string(pos_));
  }

 private:
  Status Raw(void* p, size_t n) {
    if (remaining() < n) return Truncated();
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  Status Truncated() const { return Error("truncated"); }

  std::string_view in_;
  size_t pos_ = 0;
  const char* what_;
};

}  // namespace vigil::internal
