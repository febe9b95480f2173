#include "common/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>

namespace vigil {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string ShownValue(std::string_view v) {
  std::string s(v.substr(0, 40));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return s + (v.size() > 40 ? "..." : "");
}

std::string HumanRate(double v) {
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f} k", v / 1e3);
  return fmt::format("{:.0f} ", v);
}

std::string FormatValue(double v, const std::string& unit) {
  if (std::isnan(v)) return "-";
  if (unit == "ratio") return fmt::format("{:.4f}", v);
  if (unit == "ms") return fmt::format("{:.1f}", v);
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, const char* what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return IoError(fmt::format("{}: is a directory, not a {}", path, what));
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    if (errno == ENOENT) return NotFound(fmt::format("{}: {} not found", path, what));
    return IoError(fmt::format("{}: cannot read {}: {}", path, what, std::strerror(errno)));
  }
  std::string text;
  char chunk[1 << 16];
  size_t n;
  bool too_big = false;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (text.size() + n > max_bytes) {
      too_big = true;
      break;
    }
    text.append(chunk, n);
  }
  bool failed = std::ferror(f);
  std::fclose(f);
  if (too_big) {
    return LimitExceeded(fmt::format("{}: {} larger than {} bytes", path, what, max_bytes));
  }
  if (failed) return IoError(fmt::format("{}: read error in {}", path, what));
  return text;
}

}  // namespace vigil
