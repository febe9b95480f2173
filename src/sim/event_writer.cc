#include "sim/event_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/hash.h"

namespace vigil::sim {
namespace {

enum Var { kShard, kMs, kStatus, kScore, kHex, kVarDimBase };
constexpr const char* kVarNames[] = {"shard", "ms", "status", "score", "hex"};

constexpr char kHexDigits[] = "0123456789abcdef";

inline char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
template <size_t N>
inline char* Lit(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

inline char* Hex64(char* p, uint64_t v) {
  for (int i = 15; i >= 0; --i) {
    p[i] = kHexDigits[v & 15];
    v >>= 4;
  }
  return p + 16;
}

inline char* UInt(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// A latency in ms with one decimal.
inline char* Tenths(char* p, float v) {
  uint64_t t = static_cast<uint64_t>(std::llround(static_cast<double>(v) * 10));
  p = UInt(p, t / 10);
  *p++ = '.';
  *p++ = static_cast<char>('0' + t % 10);
  return p;
}

inline char* Two(char* p, unsigned v) {
  *p++ = static_cast<char>('0' + v / 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

constexpr std::array<const char*, kStageCount + 1> kLatencyJsonKeys = {
    "\"endpoint\":", "\"asr_final\":",       "\"nlu\":",
    "\"dialog\":",   "\"tts_first_audio\":", "\"e2e\":"};

}  // namespace

EventFormatter::EventFormatter(const Fleet& fleet, SimFormat format)
    : fleet_(fleet), format_(format) {
  size_t dims_len = 0, longest_value = 24;
  for (int d = 0; d < kDimCount; ++d) {
    size_t longest = 0;
    for (const std::string& v : fleet.Values(static_cast<Dim>(d))) {
      json_dims_[d].push_back(std::string(",\"") + DimName(static_cast<Dim>(d)) + "\":\"" + v +
                              "\"");
      bool quote = v.find(',') != std::string::npos;
      csv_dims_[d].push_back(quote ? "\"" + v + "\"" : v);
      longest = std::max(longest, json_dims_[d].back().size());
      longest_value = std::max(longest_value, v.size());
    }
    dims_len += longest;
  }
  size_t longest_message = 0;
  for (const ErrorKind& k : fleet.ErrorKinds()) {
    codes_.push_back(k.code);
    std::vector<Segment> segs;
    const std::string& t = k.message;
    size_t i = 0;
    while (i < t.size()) {
      size_t b = t.find('{', i);
      if (b == std::string::npos) {
        segs.push_back({-1, t.substr(i)});
        break;
      }
      if (b > i) segs.push_back({-1, t.substr(i, b - i)});
      size_t e = t.find('}', b);
      std::string name = t.substr(b + 1, e - b - 1);
      int var = -1;
      for (int v = 0; v < 5; ++v) {
        if (name == kVarNames[v]) var = v;
      }
      if (var < 0) {
        auto d = DimFromName(name);
        var = d ? kVarDimBase + static_cast<int>(*d) : -1;
      }
      if (var < 0)
        segs.push_back({-1, t.substr(b, e - b + 1)});
      else
        segs.push_back({var, ""});
      i = e + 1;
    }
    templates_.push_back(std::move(segs));
    size_t vars = static_cast<size_t>(std::count(t.begin(), t.end(), '{'));
    longest_message = std::max(longest_message, k.code.size() + t.size() + vars * longest_value);
  }
  // Fixed parts, six latencies of at most 20 characters, a message and its code.
  max_line_ = 512 + dims_len + 6 * size_t{40} + longest_message + 64;
}

std::string EventFormatter::Header() const {
  if (format_ != SimFormat::kCsv) return "";
  std::string h = "ts,request_id,device_id";
  for (int d = 0; d < kDimCount; ++d) h += std::string(",") + DimName(static_cast<Dim>(d));
  for (int st = 0; st < kStageCount; ++st)
    h += std::string(",latency_ms.") + StageName(static_cast<Stage>(st));
  h += ",latency_ms.e2e,outcome,error_code,error_message,rephrased,barge_in,false_barge_in\n";
  return h;
}

char* EventFormatter::Timestamp(TimeMs ts, char* p) {
  int64_t minute = ts >= 0 ? ts / kMinuteMs : (ts - kMinuteMs + 1) / kMinuteMs;
  if (minute != cached_minute_) {
    cached_minute_ = minute;
    std::string s = FormatTimestamp(minute * kMinuteMs);  // "YYYY-MM-DDTHH:MM:00Z"
    std::memcpy(minute_prefix_, s.data(), 17);            // "YYYY-MM-DDTHH:MM:"
  }
  p = Put(p, std::string_view(minute_prefix_, 17));
  unsigned in_minute = static_cast<unsigned>(ts - minute * kMinuteMs);
  p = Two(p, in_minute / 1000);
  *p++ = '.';
  unsigned ms = in_minute % 1000;
  *p++ = static_cast<char>('0' + ms / 100);
  p = Two(p, ms % 100);
  *p++ = 'Z';
  return p;
}

char* EventFormatter::Message(const SimEvent& e, char* p) {
  static constexpr unsigned kStatuses[] = {500, 502, 503, 504};
  for (const Segment& s : templates_[e.error_kind]) {
    switch (s.var) {
      case -1:
        p = Put(p, s.text);
        break;
      case kShard:
        p = Two(p, e.err_a % 64);
        break;
      case kMs:
        p = UInt(p, e.err_b);
        break;
      case kStatus:
        p = UInt(p, kStatuses[(e.err_a >> 8) & 3]);
        break;
      case kScore:
        p = Two(p, (e.err_a >> 12) % 100);
        break;
      case kHex: {
        char buf[16];
        Hex64(buf, internal::Mix64(e.err_a));
        p = Put(p, std::string_view(buf + 8, 8));
        break;
      }
      default: {
        int d = s.var - kVarDimBase;
        p = Put(p, fleet_.Values(static_cast<Dim>(d))[e.dims[d]]);
      }
    }
  }
  return p;
}

char* EventFormatter::Json(const SimEvent& e, char* p) {
  p = Lit(p, "{\"ts\":\"");
  p = Timestamp(e.ts, p);
  p = Lit(p, "\",\"request_id\":\"req-");
  p = Hex64(p, e.request_id);
  p = Lit(p, "\",\"device_id\":\"dev-");
  p = Hex64(p, e.device_id);
  *p++ = '"';
  for (int d = 0; d < kDimCount; ++d) p = Put(p, json_dims_[d][e.dims[d]]);
  p = Lit(p, ",\"latency_ms\":{");
  bool first = true;
  for (int i = 0; i <= kStageCount; ++i) {
    if (!e.Has(i)) continue;
    if (!first) *p++ = ',';
    first = false;
    p = Put(p, kLatencyJsonKeys[i]);
    p = Tenths(p, e.latency[i]);
  }
  p = Lit(p, "},\"outcome\":\"");
  p = Put(p, OutcomeName(e.outcome));
  *p++ = '"';
  if (e.error_kind >= 0) {
    p = Lit(p, ",\"error_code\":\"");
    p = Put(p, codes_[e.error_kind]);
    p = Lit(p, "\",\"error_message\":\"");
    p = Message(e, p);
    *p++ = '"';
  }
  p = e.rephrased ? Lit(p, ",\"rephrased\":true") : Lit(p, ",\"rephrased\":false");
  p = e.barge_in ? Lit(p, ",\"barge_in\":true") : Lit(p, ",\"barge_in\":false");
  p = e.false_barge_in ? Lit(p, ",\"false_barge_in\":true}\n")
                       : Lit(p, ",\"false_barge_in\":false}\n");
  return p;
}

char* EventFormatter::Csv(const SimEvent& e, char* p) {
  p = Timestamp(e.ts, p);
  p = Lit(p, ",req-");
  p = Hex64(p, e.request_id);
  p = Lit(p, ",dev-");
  p = Hex64(p, e.device_id);
  for (int d = 0; d < kDimCount; ++d) {
    *p++ = ',';
    p = Put(p, csv_dims_[d][e.dims[d]]);
  }
  for (int i = 0; i <= kStageCount; ++i) {
    *p++ = ',';
    if (e.Has(i)) p = Tenths(p, e.latency[i]);
  }
  *p++ = ',';
  p = Put(p, OutcomeName(e.outcome));
  *p++ = ',';
  if (e.error_kind >= 0) {
    p = Put(p, codes_[e.error_kind]);
    *p++ = ',';
    char* m = p + 1;  // leave room for an opening quote
    char* end = Message(e, m);
    if (std::memchr(m, ',', end - m) != nullptr) {
      *p = '"';
      p = end;
      *p++ = '"';
    } else {
      std::memmove(p, m, end - m);
      p += end - m;
    }
  } else {
    *p++ = ',';
  }
  p = e.rephrased ? Lit(p, ",true") : Lit(p, ",false");
  p = e.barge_in ? Lit(p, ",true") : Lit(p, ",false");
  p = e.false_barge_in ? Lit(p, ",true\n") : Lit(p, ",false\n");
  return p;
}

void EventFormatter::Append(const SimEvent& e, ByteBuffer* out) {
  char* p = out->Reserve(max_line_);
  out->Commit(format_ == SimFormat::kCsv ? Csv(e, p) : Json(e, p));
}

namespace {

class PlainWriter : public StreamCompressor {
 public:
  explicit PlainWriter(SimByteSink sink) : sink_(std::move(sink)) {}
  Status Write(std::string_view b) override {
    bytes_out_ += static_cast<int64_t>(b.size());
    return sink_(b);
  }
  Status Finish() override { return Status::Ok(); }

 private:
  SimByteSink sink_;
};

class GzipWriter : public StreamCompressor {
 public:
  explicit GzipWriter(SimByteSink sink) : sink_(std::move(sink)), buf_(1 << 20) {}
  ~GzipWriter() override {
    if (ready_) deflateEnd(&z_);
  }
  Status Init() {
    std::memset(&z_, 0, sizeof z_);
    // windowBits 15 + 16: a gzip header. Level 1: simulated files are large and written once.
    if (deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return Internal("zlib deflateInit2 failed");
    }
    ready_ = true;
    return Status::Ok();
  }
  Status Write(std::string_view b) override { return Run(b, Z_NO_FLUSH); }
  Status Finish() override { return Run({}, Z_FINISH); }

 private:
  Status Run(std::string_view b, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data()));
    z_.avail_in = static_cast<uInt>(b.size());
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Internal("zlib deflate failed");
      size_t have = buf_.size() - z_.avail_out;
      if (have > 0) {
        bytes_out_ += static_cast<int64_t>(have);
        VIGIL_RETURN_IF_ERROR(sink_(std::string_view(buf_.data(), have)));
      }
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
    }
    return Status::Ok();
  }

  SimByteSink sink_;
  std::vector<char> buf_;
  z_stream z_;
  bool ready_ = false;
};

class ZstdWriter : public StreamCompressor {
 public:
  explicit ZstdWriter(SimByteSink sink) : sink_(std::move(sink)), buf_(ZSTD_CStreamOutSize()) {
    ctx_ = ZSTD_createCCtx();
  }
  ~ZstdWriter() override { ZSTD_freeCCtx(ctx_); }
  Status Init() {
    if (ctx_ == nullptr) return Internal("ZSTD_createCCtx failed");
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
    return Status::Ok();
  }
  Status Write(std::string_view b) override { return Run(b, ZSTD_e_continue); }
  Status Finish() override { return Run({}, ZSTD_e_end); }

 private:
  Status Run(std::string_view b, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{b.data(), b.size(), 0};
    while (true) {
      ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
      size_t rc = ZSTD_compressStream2(ctx_, &out, &in, mode);
      if (ZSTD_isError(rc)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
      if (out.pos > 0) {
        bytes_out_ += static_cast<int64_t>(out.pos);
        VIGIL_RETURN_IF_ERROR(sink_(std::string_view(buf_.data(), out.pos)));
      }
      if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size) break;
    }
    return Status::Ok();
  }

  SimByteSink sink_;
  std::vector<char> buf_;
  ZSTD_CCtx* ctx_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<StreamCompressor>> StreamCompressor::Create(SimCompression c,
                                                                   SimByteSink sink) {
  switch (c) {
    case SimCompression::kGzip: {
      auto w = std::make_unique<GzipWriter>(std::move(sink));
      VIGIL_RETURN_IF_ERROR(w->Init());
      return std::unique_ptr<StreamCompressor>(std::move(w));
    }
    case SimCompression::kZstd: {
      auto w = std::make_unique<ZstdWriter>(std::move(sink));
      VIGIL_RETURN_IF_ERROR(w->Init());
      return std::unique_ptr<StreamCompressor>(std::move(w));
    }
    case SimCompression::kNone:
      break;
  }
  return std::unique_ptr<StreamCompressor>(std::make_unique<PlainWriter>(std::move(sink)));
}

}  // namespace vigil::sim
