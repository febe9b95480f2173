// Reading a CSV of leaf cells into a RootCauseTable (the format of the published root-cause
// benchmarks). The whole file is read at once and split in place: a 20k-row file parses in a
// few milliseconds.
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/explain.h"

namespace vigil {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

void SplitFields(std::string_view line, std::vector<std::string_view>* out) {
  out->clear();
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      out->push_back(Trim(line.substr(start, i - start)));
      start = i + 1;
    }
  }
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<RootCauseTable> ReadRootCauseCsv(const std::string& path,
                                        const RootCauseCsvColumns& columns) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound(path + ": cannot open the cell file");
  std::string text;
  char buf[1 << 16];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, f.get())) > 0;) text.append(buf, got);
  if (std::ferror(f.get())) return IoError(path + ": read error");

  std::string_view rest(text);
  auto next_line = [&rest](std::string_view* line) {
    if (rest.empty()) return false;
    size_t nl = rest.find('\n');
    *line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    return true;
  };
  std::string_view line;
  std::vector<std::string_view> fields;
  if (!next_line(&line) || Trim(line).empty())
    return DataError(path + ": empty file (a header row is expected)");
  SplitFields(line, &fields);
  std::string header_list;
  std::unordered_map<std::string_view, size_t> header;
  for (size_t i = 0; i < fields.size(); ++i) {
    header.emplace(fields[i], i);
    if (i) header_list += ',';
    header_list += fields[i];
  }
  auto column = [&](const std::string& name, size_t* index) -> Status {
    auto it = header.find(name);
    if (it == header.end())
      return NotFound(path + ": no column '" + name + "' (columns: " + header_list + ")");
    *index = it->second;
    return Status::Ok();
  };

  RootCauseTable t;
  t.dimensions = columns.dimensions;
  const size_t dims = columns.dimensions.size();
  const bool ratio = !columns.actual_den.empty() || !columns.expected_den.empty();
  if (ratio && (columns.actual_den.empty() || columns.expected_den.empty()))
    return InvalidArgument("a ratio measure needs both denominator columns");
  std::vector<size_t> dim_col(dims);
  for (size_t d = 0; d < dims; ++d)
    VIGIL_RETURN_IF_ERROR(column(columns.dimensions[d], &dim_col[d]));
  // Numeric columns: actual, expected, then the denominators for a rate.
  std::vector<std::string> num_names = {columns.actual, columns.expected};
  if (ratio) {
    num_names.push_back(columns.actual_den);
    num_names.push_back(columns.expected_den);
  }
  std::vector<size_t> num_col(num_names.size());
  for (size_t k = 0; k < num_names.size(); ++k)
    VIGIL_RETURN_IF_ERROR(column(num_names[k], &num_col[k]));
  std::vector<std::vector<double>*> num_out = {&t.actual, &t.expected};
  if (ratio) {
    num_out.push_back(&t.actual_den);
    num_out.push_back(&t.expected_den);
  }

  t.values.resize(dims);
  std::vector<std::unordered_map<std::string, uint32_t>> index(dims);
  size_t line_no = 1;
  std::string key;
  while (next_line(&line)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    SplitFields(line, &fields);
    if (fields.size() < header.size())
      return DataError(path + ":" + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(header.size()));
    for (size_t d = 0; d < dims; ++d) {
      key.assign(fields[dim_col[d]]);
      auto [it, added] = index[d].try_emplace(key, uint32_t(t.values[d].size()));
      if (added) t.values[d].push_back(key);
      t.codes.push_back(it->second);
    }
    for (size_t k = 0; k < num_col.size(); ++k) {
      double v;
      if (!ParseNumber(fields[num_col[k]], &v))
        return DataError(path + ":" + std::to_string(line_no) + ": column '" + num_names[k] +
                         "': '" + std::string(fields[num_col[k]]) + "' is not a number");
      num_out[k]->push_back(v);
    }
  }
  return t;
}

}  // namespace vigil
