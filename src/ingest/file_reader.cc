#include "ingest/file_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace vigil::internal {

void PaddedBuffer::Reserve(size_t n) {
  if (n <= capacity_) return;
  size_t cap = std::max(n, capacity_ * 2);
  std::unique_ptr<char[]> bigger(new char[cap + kPadding]);
  if (size_) std::memcpy(bigger.get(), data_.get(), size_);
  std::memset(bigger.get() + size_, 0, cap + kPadding - size_);
  data_ = std::move(bigger);
  capacity_ = cap;
}

void PaddedBuffer::Append(const char* p, size_t n) {
  if (n == 0) return;  // an empty buffer has no storage yet: nothing to copy to
  Reserve(size_ + n);
  std::memcpy(data_.get() + size_, p, n);
  size_ += n;
}

void PaddedBuffer::Resize(size_t n) {
  Reserve(n);
  if (n < size_) std::memset(data_.get() + n, 0, size_ - n);
  size_ = n;
}

InputData::InputData(PaddedBuffer buffer) : buffer_(std::move(buffer)) {
  data_ = buffer_.data() ? buffer_.data() : "";
  size_ = buffer_.size();
  readable_ = buffer_.data() ? size_ + PaddedBuffer::kPadding : 0;
}

InputData& InputData::operator=(InputData&& o) noexcept {
  if (this == &o) return *this;
  if (mapping_) munmap(mapping_, mapping_size_);
  buffer_ = std::move(o.buffer_);
  mapping_ = o.mapping_;
  mapping_size_ = o.mapping_size_;
  size_ = o.size_;
  readable_ = o.readable_;
  data_ = mapping_ ? static_cast<const char*>(mapping_) : (buffer_.data() ? buffer_.data() : "");
  o.mapping_ = nullptr;
  o.data_ = "";
  o.size_ = o.readable_ = 0;
  return *this;
}

InputData::~InputData() {
  if (mapping_) munmap(mapping_, mapping_size_);
}

Result<InputData> InputData::Map(const std::string& path, size_t size) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return IoError(path + ": cannot open: " + std::strerror(errno));
  long page = sysconf(_SC_PAGESIZE);
  size_t length = (size + page - 1) / page * page;
  // MAP_POPULATE maps the whole file up front: one pass instead of a fault per page.
  void* p = mmap(nullptr, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return IoError(path + ": cannot map: " + std::strerror(errno));
  madvise(p, length, MADV_SEQUENTIAL);
  InputData d;
  d.mapping_ = p;
  d.mapping_size_ = length;
  d.data_ = static_cast<const char*>(p);
  d.size_ = size;
  d.readable_ = length;  // the rest of the last page reads as zeros
  return d;
}

Status CheckReadable(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return NotFound(path + ": no such file");
  if (std::filesystem::is_directory(st)) return IoError(path + ": is a directory, not a file");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return IoError(path + ": cannot open: " + std::strerror(errno));
  std::fclose(f);
  return Status::Ok();
}

namespace {

Result<PaddedBuffer> ReadRaw(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return IoError(path + ": cannot open: " + std::strerror(errno));
  PaddedBuffer buf;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec) buf.Reserve(size);
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.Append(chunk, n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return IoError(path + ": read error");
  return buf;
}

void Gunzip(const std::string& path, const PaddedBuffer& in, PaddedBuffer* out,
            std::vector<std::string>* warnings) {
  z_stream z{};
  inflateInit2(&z, 15 + 32);  // +32: accept gzip and zlib headers
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  out->Reserve(in.size() * 4);
  char chunk[1 << 16];
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    int rc = inflate(&z, Z_NO_FLUSH);
    out->Append(chunk, sizeof chunk - z.avail_out);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are one stream to a reader (as gzip -d treats them).
      size_t used = reinterpret_cast<const char*>(z.next_in) - in.data();
      if (used >= in.size() || z.avail_in == 0) break;
      inflateReset(&z);
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      warnings->push_back(path + ": gzip stream truncated after " + std::to_string(out->size()) +
                          " decompressed bytes; kept what was read");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      warnings->push_back(path + ": corrupt gzip data after " + std::to_string(out->size()) +
                          " decompressed bytes (" + (z.msg ? z.msg : "error") +
                          "); the rest of the file is skipped");
      break;
    }
  }
  inflateEnd(&z);
}

void Unzstd(const std::string& path, const PaddedBuffer& in, PaddedBuffer* out,
            std::vector<std::string>* warnings) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_initDStream(ds);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::vector<char> chunk(ZSTD_DStreamOutSize());
  out->Reserve(in.size() * 4);
  size_t last = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(ds, &output, &input);
    out->Append(chunk.data(), output.pos);
    if (ZSTD_isError(last)) {
      warnings->push_back(path + ": corrupt zstd data after " + std::to_string(out->size()) +
                          " decompressed bytes (" + ZSTD_getErrorName(last) +
                          "); the rest of the file is skipped");
      ZSTD_freeDStream(ds);
      return;
    }
  }
  // Flush what remains buffered inside the decoder.
  while (last != 0) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(ds, &output, &input);
    out->Append(chunk.data(), output.pos);
    if (ZSTD_isError(last) || output.pos == 0) break;
  }
  if (last != 0) {
    warnings->push_back(path + ": zstd stream truncated after " + std::to_string(out->size()) +
                        " decompressed bytes; kept what was read");
  }
  ZSTD_freeDStream(ds);
}

}  // namespace

Result<InputData> ReadInputFile(const std::string& path, std::vector<std::string>* warnings) {
  unsigned char magic[4] = {0, 0, 0, 0};
  size_t got = 0;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(magic, 1, 4, f);
    std::fclose(f);
  } else {
    return IoError(path + ": cannot open: " + std::strerror(errno));
  }
  bool gzip = got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  bool zstd = got >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
  if (!gzip && !zstd) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > 0 && std::filesystem::is_regular_file(path, ec)) {
      auto mapped = InputData::Map(path, size);
      if (mapped.ok()) return mapped;
    }
    VIGIL_ASSIGN_OR_RETURN(PaddedBuffer raw, ReadRaw(path));
    return InputData(std::move(raw));
  }
  VIGIL_ASSIGN_OR_RETURN(PaddedBuffer raw, ReadRaw(path));
  PaddedBuffer out;
  if (gzip) Gunzip(path, raw, &out, warnings);
  else Unzstd(path, raw, &out, warnings);
  return InputData(std::move(out));
}

}  // namespace vigil::internal
