// Cube.ingest_files and Cube.ingest_frame (ingest.h). A frame's columns are checked and turned
// into flat arrays by vigil._frame (pandas is easier to reason about from Python); the rows are
// then mapped to events here, without the GIL, exactly as the file readers map lines.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "bind_common.h"
#include "vigil/ingest.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

using CubeClass = py::class_<PyCube, std::shared_ptr<PyCube>>;

py::dict StatsToDict(const IngestStats& s, bool frame) {
  py::dict out;
  if (!frame) {
    out["files"] = s.files;
    out["bytes"] = s.bytes;
  }
  out[frame ? "rows" : "lines"] = s.lines;
  out["events"] = s.events;
  out[frame ? "bad_rows" : "bad_lines"] = s.bad_lines;
  py::list bad;
  for (const BadLine& b : s.first_bad_lines) {
    py::dict d;
    if (frame) {
      d["row"] = b.line;
    } else {
      d["file"] = b.file;
      d["line"] = b.line;
    }
    d["reason"] = b.reason;
    bad.append(d);
  }
  out[frame ? "first_bad_rows" : "first_bad_lines"] = bad;
  out["warnings"] = s.warnings;
  out["seconds"] = s.seconds;
  return out;
}

py::dict IngestFilesBinding(PyCube& self, const py::handle& paths_arg, int threads) {
  std::vector<std::string> paths = PathsArg(paths_arg);
  IngestOptions options;
  options.threads = threads;
  Result<IngestStats> stats = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    std::unique_lock lock(self.mutex);
    stats = IngestFiles(paths, &self.cube, options);
  }
  return StatsToDict(ValueOrThrow(std::move(stats)), /*frame=*/false);
}

// Where a frame column goes in an Event.
struct FieldTarget {
  enum Role { kTime, kRequestId, kDeviceId, kDimension, kMeasure, kFlag, kAttribute };
  Role role = kTime;
  int index = 0;
  std::string path;  // the column name, for messages
};

// One column of a frame as vigil._frame.frame_columns hands it over.
struct FrameColumn {
  FieldTarget target;
  enum Kind { kCodes, kEpochMs, kNumbers, kFlags } kind = kCodes;
  // kCodes: per row an index into `text` (-1: missing); kEpochMs: per row a time and whether
  // it is present; kNumbers: doubles (NaN: missing); kFlags: -1 missing, 0, 1.
  py::array_t<int64_t> codes;
  std::vector<std::string> text;
  std::vector<std::optional<Result<TimeMs>>> parsed;  // the time column's texts, parsed
  py::array_t<int64_t> times;
  py::array_t<bool> present;
  py::array_t<double> numbers;
  py::array_t<int8_t> flags;
};

FieldTarget::Role RoleOf(const std::string& role) {
  using R = FieldTarget;
  if (role == "time") return R::kTime;
  if (role == "request_id") return R::kRequestId;
  if (role == "device_id") return R::kDeviceId;
  if (role == "dimension") return R::kDimension;
  if (role == "measure") return R::kMeasure;
  if (role == "flag") return R::kFlag;
  if (role == "attribute") return R::kAttribute;
  throw StatusError(Internal("frame column of unknown role '" + role + "'"));
}

py::dict IngestFrameBinding(PyCube& self, const py::object& frame, bool allow_missing) {
  py::tuple prepared =
      py::module_::import("vigil._frame").attr("frame_columns")(self.config, frame, allow_missing);
  const size_t rows = prepared[0].cast<size_t>();
  std::vector<FrameColumn> columns;
  for (py::handle item : prepared[1].cast<py::list>()) {
    py::tuple t = item.cast<py::tuple>();
    FrameColumn c;
    c.target.role = RoleOf(t[0].cast<std::string>());
    c.target.index = t[1].cast<int>();
    c.target.path = t[2].cast<std::string>();
    const InputMapping& in = self.config->config->input;
    size_t limit = c.target.role == FieldTarget::kDimension   ? in.dimensions.size()
                   : c.target.role == FieldTarget::kMeasure   ? in.measures.size()
                   : c.target.role == FieldTarget::kFlag      ? in.flags.size()
                   : c.target.role == FieldTarget::kAttribute ? in.attributes.size()
                                                              : 1;
    if (c.target.index < 0 || static_cast<size_t>(c.target.index) >= limit) {
      throw StatusError(Internal("frame column '" + c.target.path + "' has a bad field index"));
    }
    std::string kind = t[3].cast<std::string>();
    if (kind == "codes") {
      c.kind = FrameColumn::kCodes;
      c.codes = t[4].cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
      c.text = t[5].cast<std::vector<std::string>>();
    } else if (kind == "epoch_ms") {
      c.kind = FrameColumn::kEpochMs;
      c.times = t[4].cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
      c.present = t[5].cast<py::array_t<bool, py::array::c_style | py::array::forcecast>>();
    } else if (kind == "numbers") {
      c.kind = FrameColumn::kNumbers;
      c.numbers = t[4].cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
    } else if (kind == "flags") {
      c.kind = FrameColumn::kFlags;
      c.flags = t[4].cast<py::array_t<int8_t, py::array::c_style | py::array::forcecast>>();
    } else {
      throw StatusError(Internal("frame column of unknown kind '" + kind + "'"));
    }
    size_t n = c.kind == FrameColumn::kCodes     ? static_cast<size_t>(c.codes.size())
               : c.kind == FrameColumn::kEpochMs ? static_cast<size_t>(c.times.size())
               : c.kind == FrameColumn::kNumbers ? static_cast<size_t>(c.numbers.size())
                                                 : static_cast<size_t>(c.flags.size());
    if (n != rows)
      throw StatusError(Internal("frame column '" + c.target.path + "' has a bad length"));
    columns.push_back(std::move(c));
  }

  IngestStats stats;
  Status status;
  {
    py::gil_scoped_release nogil;
    auto start = std::chrono::steady_clock::now();
    const Config& config = *self.config->config;
    for (FrameColumn& c : columns) {
      if (c.target.role != FieldTarget::kTime || c.kind != FrameColumn::kCodes) continue;
      // Timestamps given as text are parsed once per distinct text, by the readers' parser.
      for (const std::string& s : c.text) c.parsed.emplace_back(ParseTimestamp(s));
    }
    // Into a scratch cube first: a failure leaves the cube as it was.
    Cube scratch(self.config->config);
    scratch.Reserve(rows);
    Event event;
    event.dimensions.resize(config.input.dimensions.size());
    event.measures.resize(config.input.measures.size());
    event.flags.resize(config.input.flags.size());
    event.attributes.resize(config.input.attributes.size());
    const size_t keep =
        static_cast<size_t>(std::max<int64_t>(0, config.limits.max_bad_lines_shown));
    std::string reason;
    for (size_t r = 0; r < rows && status.ok(); ++r) {
      event.Reset();
      bool ok = true;
      bool has_time = false;
      for (const FrameColumn& c : columns) {
        const FieldTarget& t = c.target;
        auto fail = [&](const std::string& why) {
          reason = "field '" + t.path + "': " + why;
          ok = false;
        };
        switch (c.kind) {
          case FrameColumn::kCodes: {
            int64_t code = c.codes.data()[r];
            if (code < 0) break;  // missing
            if (static_cast<size_t>(code) >= c.text.size()) {
              fail("bad code");
              break;
            }
            const std::string& text = c.text[code];
            switch (t.role) {
              case FieldTarget::kTime: {
                const Result<TimeMs>& ts = *c.parsed[code];
                if (!ts.ok()) {
                  fail(ts.status().message());
                } else {
                  event.time = *ts;
                  has_time = true;
                }
                break;
              }
              case FieldTarget::kRequestId:
                event.request_id = text;
                break;
              case FieldTarget::kDeviceId:
                event.device_id = text;
                break;
              case FieldTarget::kDimension:
                event.dimensions[t.index] = text;
                break;
              case FieldTarget::kAttribute:
                event.attributes[t.index] = text;
                break;
              default:
                fail("expected text");
                break;
            }
            break;
          }
          case FrameColumn::kEpochMs:
            if (c.present.data()[r]) {
              event.time = c.times.data()[r];
              has_time = true;
            }
            break;
          case FrameColumn::kNumbers: {
            double v = c.numbers.data()[r];
            if (std::isnan(v)) break;
            if (!std::isfinite(v)) {
              fail("number out of range");
            } else {
              event.measures[t.index] = v;
            }
            break;
          }
          case FrameColumn::kFlags: {
            int8_t f = c.flags.data()[r];
            if (f >= 0) event.flags[t.index] = f ? FlagValue::kTrue : FlagValue::kFalse;
            break;
          }
        }
        if (!ok) break;
      }
      if (ok && !has_time) {
        ok = false;
        reason = "field '" + config.input.time_field + "': missing timestamp";
      }
      ++stats.lines;
      if (!ok) {
        ++stats.bad_lines;
        if (stats.first_bad_lines.size() < keep) stats.first_bad_lines.push_back({"", r, reason});
        continue;
      }
      status = scratch.Add(event);
      if (status.ok()) ++stats.events;
    }
    if (status.ok() && stats.events == 0 && stats.lines > 0) {
      std::string why = "every one of the " + std::to_string(stats.lines) + " rows was bad";
      if (!stats.first_bad_lines.empty()) {
        const BadLine& b = stats.first_bad_lines.front();
        why += " (first: row " + std::to_string(b.line) + ": " + b.reason + ")";
      }
      status = DataError("no events ingested: " + why);
    }
    if (status.ok() && stats.events > 0) {
      std::unique_lock lock(self.mutex);
      if (self.cube.cell_count() == 0) {
        self.cube = std::move(scratch);
      } else {
        status = self.cube.Merge(scratch);
      }
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  ThrowIfError(status);
  return StatsToDict(stats, /*frame=*/true);
}

}  // namespace

void init_ingest(py::module_& m) {
  auto cube = py::reinterpret_borrow<CubeClass>(m.attr("Cube"));
  cube.def("ingest_files", &IngestFilesBinding, py::arg("paths"), py::arg("threads") = 0,
           "Reads JSON Lines or CSV files (a path or a list of paths; plain, .gz or .zst) into the "
           "cube, as `vigil ingest` "
           "does, and returns the ingest statistics as a dict (lines, events, bad_lines, "
           "first_bad_lines with file, line and reason, warnings, seconds). Bad lines are "
           "counted and skipped. `threads`: parser threads (0: ingest.threads of the config, "
           "else one per core). Raises NotFoundError or IoError before reading anything when a "
           "file is missing or unreadable, and DataError when no file holds any event; the cube "
           "is then unchanged. Releases the GIL.");
  cube.def("ingest_frame", &IngestFrameBinding, py::arg("frame"), py::arg("allow_missing") = false,
           "Adds the rows of a pandas DataFrame, one event per row. Columns are named by the "
           "configured input paths (`ts`, `platform`, `latency_ms.e2e`, ...: what "
           "pandas.json_normalize gives for the events of DESIGN §2.1); other columns are "
           "ignored. Time: datetime64 (naive is UTC), integer epoch milliseconds, or RFC 3339 "
           "text. Dimensions, attributes and ids: text (integers and booleans are spelled as the "
           "JSON reader spells them); measures: numbers; flags: booleans or 0/1; None and NaN are "
           "missing values. Every configured column must be present unless `allow_missing` (then "
           "absent columns are missing values, as absent CSV columns are). Raises DataError for "
           "a missing column or a column of the wrong type, naming it; rows with a missing or "
           "bad timestamp or an infinite measure are counted as bad and skipped. Returns the "
           "statistics (rows, events, bad_rows, first_bad_rows). Releases the GIL while adding.");
}

}  // namespace vigil::python
