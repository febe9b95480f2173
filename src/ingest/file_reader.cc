#include "ingest/file_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

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
  if (n) std::memcpy(data_.get() + size_, p, n);
  size_ += n;
}

void PaddedBuffer::Resize(size_t n) {
  Reserve(n);
  if (n < size_) std::memset(data_.get() + n, 0, size_ - n);
  size_ = n;
}

void PaddedBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  if (n < size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
  size_ -= n;
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

Result<InputData> InputData::Map(int fd, size_t size, const std::string& path) {
  long page = sysconf(_SC_PAGESIZE);
  size_t length = (size + page - 1) / page * page;
  // MAP_POPULATE maps the whole file up front: one pass instead of a fault per page.
  void* p = mmap(nullptr, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
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

Result<InputInfo> CheckInput(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFound(path + ": no such file");
    return IoError(path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return IoError(path + ": is a directory, not a file");
  if (S_ISSOCK(st.st_mode)) return IoError(path + ": is a socket, not a file");
  // access() tells whether it could be opened without opening it: opening a FIFO may block, and
  // a second open of a pipe would lose what the first one read.
  if (access(path.c_str(), R_OK) != 0)
    return IoError(path + ": cannot open: " + std::strerror(errno));
  InputInfo info;
  info.path = path;
  info.regular = S_ISREG(st.st_mode);
  info.fifo = S_ISFIFO(st.st_mode);
  info.size = info.regular ? static_cast<uint64_t>(st.st_size) : 0;
  return info;
}

namespace {

constexpr size_t kReadBytes = 1 << 16;

// A file descriptor read with read(2), after any bytes put back at its front.
class FdStream : public ByteStream {
 public:
  FdStream(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FdStream() override { close(fd_); }
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  Result<size_t> Read(char* out, size_t n) override {
    if (front_pos_ < front_.size()) {
      size_t k = std::min(n, front_.size() - front_pos_);
      std::memcpy(out, front_.data() + front_pos_, k);
      front_pos_ += k;
      return k;
    }
    while (true) {
      ssize_t got = read(fd_, out, std::min<size_t>(n, INT_MAX));
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      return IoError(path_ + ": read error: " + std::strerror(errno));
    }
  }
  // Puts bytes read (to sniff the magic bytes) back in front of the stream.
  void Unread(std::string bytes) {
    front_ = std::move(bytes);
    front_pos_ = 0;
  }

 private:
  int fd_;
  std::string path_;
  std::string front_;
  size_t front_pos_ = 0;
};

// gzip (or zlib) decompressed chunk by chunk; concatenated members read as one stream, as
// `gzip -d` reads them.
class GzipStream : public ByteStream {
 public:
  GzipStream(std::unique_ptr<ByteStream> in, std::string path)
      : in_(std::move(in)), path_(std::move(path)), buffer_(kReadBytes) {
    inflateInit2(&z_, 15 + 32);  // +32: accept gzip and zlib headers
  }
  ~GzipStream() override { inflateEnd(&z_); }

  Result<size_t> Read(char* out, size_t n) override {
    n = std::min<size_t>(n, UINT_MAX);
    while (!done_) {
      if (z_.avail_in == 0 && !in_end_) VIGIL_RETURN_IF_ERROR(Refill());
      z_.next_out = reinterpret_cast<Bytef*>(out);
      z_.avail_out = static_cast<uInt>(n);
      int rc = inflate(&z_, Z_NO_FLUSH);
      size_t produced = n - z_.avail_out;
      total_out_ += produced;
      if (rc == Z_STREAM_END) {
        if (z_.avail_in == 0 && !in_end_) VIGIL_RETURN_IF_ERROR(Refill());
        if (z_.avail_in > 0) {
          inflateReset(&z_);  // another member follows
        } else {
          done_ = true;
        }
      } else if (rc == Z_BUF_ERROR || rc == Z_OK) {
        if (produced == 0 && z_.avail_in == 0 && in_end_) {
          warnings_.push_back(path_ + ": gzip stream truncated after " +
                              std::to_string(total_out_) +
                              " decompressed bytes; kept what was read");
          done_ = true;
        }
      } else {
        warnings_.push_back(path_ + ": corrupt gzip data after " + std::to_string(total_out_) +
                            " decompressed bytes (" + (z_.msg ? z_.msg : "error") +
                            "); the rest of the file is skipped");
        done_ = true;
      }
      if (produced > 0) return produced;
    }
    return size_t{0};
  }

 private:
  Status Refill() {
    VIGIL_ASSIGN_OR_RETURN(size_t got, in_->Read(buffer_.data(), buffer_.size()));
    if (got == 0) in_end_ = true;
    z_.next_in = reinterpret_cast<Bytef*>(buffer_.data());
    z_.avail_in = static_cast<uInt>(got);
    return Status::Ok();
  }

  std::unique_ptr<ByteStream> in_;
  std::string path_;
  std::vector<char> buffer_;
  z_stream z_{};
  bool in_end_ = false;
  bool done_ = false;
  uint64_t total_out_ = 0;
};

// zstd decompressed chunk by chunk (the decoder's window, at most 128 MiB by zstd's default
// limit, bounds its memory).
class ZstdStream : public ByteStream {
 public:
  ZstdStream(std::unique_ptr<ByteStream> in, std::string path)
      : in_(std::move(in)), path_(std::move(path)), buffer_(ZSTD_DStreamInSize()) {
    ds_ = ZSTD_createDStream();
    ZSTD_initDStream(ds_);
  }
  ~ZstdStream() override { ZSTD_freeDStream(ds_); }

  Result<size_t> Read(char* out, size_t n) override {
    while (!done_) {
      if (input_.pos == input_.size && !in_end_) {
        VIGIL_ASSIGN_OR_RETURN(size_t got, in_->Read(buffer_.data(), buffer_.size()));
        if (got == 0) in_end_ = true;
        input_ = {buffer_.data(), got, 0};
      }
      ZSTD_outBuffer output{out, n, 0};
      size_t rc = ZSTD_decompressStream(ds_, &output, &input_);
      total_out_ += output.pos;
      if (ZSTD_isError(rc)) {
        warnings_.push_back(path_ + ": corrupt zstd data after " + std::to_string(total_out_) +
                            " decompressed bytes (" + ZSTD_getErrorName(rc) +
                            "); the rest of the file is skipped");
        done_ = true;
      } else {
        frame_open_ = rc != 0;
        if (output.pos == 0 && input_.pos == input_.size && in_end_) {
          if (frame_open_) {
            warnings_.push_back(path_ + ": zstd stream truncated after " +
                                std::to_string(total_out_) +
                                " decompressed bytes; kept what was read");
          }
          done_ = true;
        }
      }
      if (output.pos > 0) return output.pos;
    }
    return size_t{0};
  }

 private:
  std::unique_ptr<ByteStream> in_;
  std::string path_;
  std::vector<char> buffer_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool in_end_ = false;
  bool done_ = false;
  bool frame_open_ = false;
  uint64_t total_out_ = 0;
};

enum class Compression { kNone, kGzip, kZstd };

Compression FromMagic(const unsigned char* m, size_t n) {
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Compression::kGzip;
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return Compression::kZstd;
  return Compression::kNone;
}

int PollOnce(pollfd* p, int timeout_ms) {
  while (true) {
    int rc = poll(p, 1, timeout_ms);
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

// Waits for a FIFO's first data. A writer that is connected but has not written yet (a slow
// producer) is waited for without limit, like `cat` would; a FIFO nobody opened for writing is
// an error after `wait`.
Status WaitForWriter(int fd, const std::string& path, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  auto ms = std::clamp<int64_t>(wait.count(), 0, INT_MAX);
  int rc = PollOnce(&p, static_cast<int>(ms));
  if (rc < 0) return IoError(path + ": cannot wait for data: " + std::strerror(errno));
  if (rc == 0) {
    // Nothing yet: no writer, or a silent one. On Linux a reader sees POLLHUP once every writer
    // that came has gone; opening and closing a write end of our own tells the two apart.
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    int probe = open(self.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (probe >= 0) close(probe);
    p.revents = 0;
    rc = PollOnce(&p, 0);
    bool no_writer = probe < 0 || (rc > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN));
    if (no_writer) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3g", ms / 1000.0);
      return IoError(path + ": no process opened this pipe for writing within " + seconds +
                     " s; start the writer first (or at the same time), or pass a file");
    }
  }
  // From here on, reads wait for data as they would on any pipe.
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return Status::Ok();
}

}  // namespace

Result<OpenedInput> OpenInput(const InputInfo& info, std::chrono::milliseconds writer_wait) {
  const std::string& path = info.path;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (info.fifo ? O_NONBLOCK : 0));
  if (fd < 0) return IoError(path + ": cannot open: " + std::strerror(errno));
  auto stream = std::make_unique<FdStream>(fd, path);  // owns fd from here on
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError(path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return IoError(path + ": is a directory, not a file");
  OpenedInput opened;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    unsigned char magic[4] = {0, 0, 0, 0};
    ssize_t got = pread(fd, magic, sizeof magic, 0);
    if (got < 0) return IoError(path + ": read error: " + std::strerror(errno));
    Compression c = FromMagic(magic, static_cast<size_t>(got));
    if (c == Compression::kNone) {
      auto mapped = InputData::Map(fd, static_cast<size_t>(st.st_size), path);
      if (mapped.ok()) {
        opened.mapped = std::move(*mapped);
        return opened;  // the mapping stays valid once the file is closed
      }
    }
    // Read from the start: pread moved nothing.
  } else if (S_ISFIFO(st.st_mode)) {
    VIGIL_RETURN_IF_ERROR(WaitForWriter(fd, path, writer_wait));
  }
  // Sniff the magic bytes through the stream and put them back: a pipe is read only once.
  char magic[4];
  size_t got = 0;
  while (got < sizeof magic) {
    VIGIL_ASSIGN_OR_RETURN(size_t n, stream->Read(magic + got, sizeof magic - got));
    if (n == 0) break;
    got += n;
  }
  stream->Unread(std::string(magic, got));
  switch (FromMagic(reinterpret_cast<unsigned char*>(magic), got)) {
    case Compression::kGzip:
      opened.stream = std::make_unique<GzipStream>(std::move(stream), path);
      break;
    case Compression::kZstd:
      opened.stream = std::make_unique<ZstdStream>(std::move(stream), path);
      break;
    case Compression::kNone:
      opened.stream = std::move(stream);
      break;
  }
  return opened;
}

}  // namespace vigil::internal
