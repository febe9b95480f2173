// vigil.Cube: exact, mergeable aggregates (cube.h); queries return pandas objects.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <limits>

#include "bind_common.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

using CubeClass = py::class_<PyCube, std::shared_ptr<PyCube>>;

std::shared_ptr<PyConfig> ConfigArg(const py::handle& value) {
  if (py::isinstance<py::str>(value) || py::hasattr(value, "__fspath__")) {
    return py::module_::import("vigil._vigil")
        .attr("Config")
        .attr("load")(value)
        .cast<std::shared_ptr<PyConfig>>();
  }
  return value.cast<std::shared_ptr<PyConfig>>();
}

py::object Pandas() { return py::module_::import("pandas"); }

template <typename T>
py::array_t<T> Column(size_t n) {
  return py::array_t<T>(static_cast<py::ssize_t>(n));
}

py::object Series(const PyCube& self, const std::string& metric, const py::handle& slice_arg,
                  const py::handle& start, const py::handle& end, const py::handle& granularity) {
  Slice slice = SliceArg(slice_arg);
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  int64_t g = DurationArg(granularity, "granularity");
  Result<std::vector<SeriesPoint>> points = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    points = self.cube.Series(metric, slice, from, to, g);
  }
  const std::vector<SeriesPoint>& p = ValueOrThrow(std::move(points));
  size_t n = p.size();
  auto time = Column<int64_t>(n);
  auto value = Column<double>(n);
  auto events = Column<uint64_t>(n);
  auto support = Column<uint64_t>(n);
  auto error = Column<double>(n);
  auto t = time.mutable_unchecked<1>();
  auto v = value.mutable_unchecked<1>();
  auto e = events.mutable_unchecked<1>();
  auto s = support.mutable_unchecked<1>();
  auto se = error.mutable_unchecked<1>();
  for (size_t i = 0; i < n; ++i) {
    auto k = static_cast<py::ssize_t>(i);
    t(k) = p[i].time;
    v(k) = p[i].value;
    e(k) = p[i].events;
    s(k) = p[i].support;
    se(k) = p[i].sampling_error;
  }
  py::object pd = Pandas();
  py::object index = pd.attr("to_datetime")(time, py::arg("unit") = "ms", py::arg("utc") = true);
  index = pd.attr("DatetimeIndex")(index, py::arg("name") = "time");
  py::dict columns;
  columns["value"] = value;
  columns["events"] = events;
  columns["support"] = support;
  columns["sampling_error"] = error;
  return pd.attr("DataFrame")(columns, py::arg("index") = index);
}

py::object Cells(const PyCube& self, const py::handle& slice_arg, const py::handle& start,
                 const py::handle& end) {
  Slice slice = SliceArg(slice_arg);
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  const Config& c = *self.config->config;
  Result<std::vector<LeafCell>> cells = InvalidArgument("");
  std::vector<std::vector<double>> values(c.metrics.size());
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    cells = self.cube.Cells(slice, from, to);
    if (cells.ok()) {
      for (size_t m = 0; m < c.metrics.size(); ++m) {
        for (const LeafCell& leaf : *cells) {
          values[m].push_back(self.cube.MetricValue(static_cast<int>(m), leaf.aggregate));
        }
      }
    }
  }
  const std::vector<LeafCell>& leaves = ValueOrThrow(std::move(cells));
  py::dict columns;
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    py::list col(leaves.size());
    for (size_t i = 0; i < leaves.size(); ++i) col[i] = py::str(leaves[i].values[d]);
    columns[py::str(c.input.dimensions[d].name)] = col;
  }
  auto events = Column<uint64_t>(leaves.size());
  auto e = events.mutable_unchecked<1>();
  for (size_t i = 0; i < leaves.size(); ++i)
    e(static_cast<py::ssize_t>(i)) = leaves[i].aggregate.count;
  columns["events"] = events;
  for (size_t m = 0; m < c.metrics.size(); ++m) {
    // A metric named like a dimension or "events" would overwrite it; the config forbids
    // neither, so such a metric keeps a suffix.
    std::string name = c.metrics[m].name;
    if (columns.contains(name)) name += "_metric";
    columns[py::str(name)] =
        py::array_t<double>(static_cast<py::ssize_t>(values[m].size()), values[m].data());
  }
  return Pandas().attr("DataFrame")(columns);
}

py::dict Totals(const PyCube& self, const py::handle& slice_arg, const py::handle& start,
                const py::handle& end) {
  Slice slice = SliceArg(slice_arg);
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  Result<Aggregate> total = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    total = self.cube.Total(slice, from, to);
  }
  const Aggregate& a = ValueOrThrow(std::move(total));
  py::dict out;
  const Config& c = *self.config->config;
  for (size_t m = 0; m < c.metrics.size(); ++m) {
    out[py::str(c.metrics[m].name)] = self.cube.MetricValue(static_cast<int>(m), a);
  }
  return out;
}

void Merge(PyCube& self, const PyCube& other) {
  if (&self == &other) throw StatusError(InvalidArgument("cannot merge a cube into itself"));
  Status status;
  {
    py::gil_scoped_release nogil;
    // Address order, so that a.merge(b) and b.merge(a) on two threads cannot deadlock.
    std::unique_lock<std::shared_mutex> write(self.mutex, std::defer_lock);
    std::shared_lock<std::shared_mutex> read(other.mutex, std::defer_lock);
    if (&self < &other) {
      write.lock();
      read.lock();
    } else {
      read.lock();
      write.lock();
    }
    status = self.cube.Merge(other.cube);
  }
  ThrowIfError(status);
}

py::bytes ToBytes(const PyCube& self) {
  std::string out;
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    self.cube.Serialize(&out);
  }
  return py::bytes(out);
}

std::shared_ptr<PyCube> FromBytes(const py::handle& config_arg, const py::buffer& data) {
  std::shared_ptr<PyConfig> config = ConfigArg(config_arg);
  py::buffer_info info = data.request();  // holds the buffer (a bytearray cannot resize)
  if (info.ndim > 1 || (info.ndim == 1 && info.strides[0] != info.itemsize)) {
    throw StatusError(InvalidArgument("from_bytes: expected contiguous bytes"));
  }
  std::string_view bytes(static_cast<const char*>(info.ptr),
                         static_cast<size_t>(info.size * info.itemsize));
  Result<Cube> cube = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    cube = Cube::Deserialize(bytes, config->config);
  }
  return std::make_shared<PyCube>(config, ValueOrThrow(std::move(cube)));
}

}  // namespace

Slice SliceArg(const py::handle& value) {
  if (value.is_none()) return {};
  if (py::isinstance<py::str>(value)) return ValueOrThrow(ParseSlice(value.cast<std::string>()));
  if (py::isinstance<py::dict>(value)) {
    Slice out;
    for (auto [k, v] : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k) || !py::isinstance<py::str>(v)) {
        throw StatusError(InvalidArgument("slice: keys and values must be strings"));
      }
      out.emplace_back(k.cast<std::string>(), v.cast<std::string>());
    }
    return out;
  }
  throw StatusError(InvalidArgument(
      "slice: expected None, text such as 'platform=watchOS' or a dict of dimension to value"));
}

py::dict SliceToDict(const Slice& slice) {
  py::dict out;
  for (const auto& [d, v] : slice) out[py::str(d)] = v;
  return out;
}

void init_cube(py::module_& m) {
  CubeClass(
      m, "Cube",
      "Exact, mergeable aggregates of events at the finest grain: one cell per (time bucket, "
      "combination of dimension values). Any slice's series is a merge of cells, so cubes built "
      "from parts of the input and merged hold the same events as one cube built from all of it. "
      "Calls that take long release the GIL; a cube may be read from several threads, and "
      "writes (ingest, merge into it) wait for readers.")
      .def(py::init([](const py::handle& config) {
             return std::make_shared<PyCube>(ConfigArg(config));
           }),
           py::arg("config"), "An empty cube for a Config (or the path of a config file).")
      .def_property_readonly(
          "config", [](const PyCube& c) { return c.config; }, "Its Config.")
      .def_property_readonly(
          "event_count",
          [](const PyCube& c) {
            std::shared_lock lock(c.mutex);
            return c.cube.event_count();
          },
          "Events added.")
      .def_property_readonly(
          "cell_count",
          [](const PyCube& c) {
            std::shared_lock lock(c.mutex);
            return c.cube.cell_count();
          },
          "Cells held.")
      .def_property_readonly(
          "start",
          [](const PyCube& c) -> py::object {
            std::shared_lock lock(c.mutex);
            if (c.cube.event_count() == 0) return py::none();
            return Timestamp(c.cube.first_bucket());
          },
          "The first bucket's start (pandas.Timestamp, UTC); None when empty.")
      .def_property_readonly(
          "end",
          [](const PyCube& c) -> py::object {
            std::shared_lock lock(c.mutex);
            if (c.cube.event_count() == 0) return py::none();
            return Timestamp(c.cube.last_bucket() + c.config->config->granularity_ms);
          },
          "The end of the last bucket (pandas.Timestamp, UTC); None when empty.")
      .def(
          "dimension_values",
          [](const PyCube& c, const std::string& dimension) {
            int d = c.config->config->FindDimension(dimension);
            if (d < 0) throw StatusError(NotFound("unknown dimension '" + dimension + "'"));
            std::shared_lock lock(c.mutex);
            return c.cube.DimensionValues(d);
          },
          py::arg("dimension"),
          "The values of a dimension seen so far, in order of first appearance (\"\" is a "
          "missing value, __other__ the fold of values beyond the cardinality limit).")
      .def("merge", &Merge, py::arg("other"),
           "Adds every cell of `other` (a cube of a config with the same fingerprint) to this "
           "one. Exact and associative while no cardinality limit is reached. Releases the GIL. "
           "Raises InvalidArgumentError for cubes of different configs.")
      .def("to_bytes", &ToBytes,
           "The cube's versioned binary form (what vigil's store keeps). Cube.from_bytes reads "
           "it back. The bytes follow the order in which values and cells arrived, and a "
           "measure's sum is a floating-point sum whose last bit depends on how events were "
           "grouped, so two equivalent cubes may serialize differently; compare them with "
           "equivalent().")
      .def_static("from_bytes", &FromBytes, py::arg("config"), py::arg("data"),
                  "Reads a cube written by to_bytes. Raises CorruptionError for damaged bytes and "
                  "InvalidArgumentError when the cube was built with a different config.")
      .def(
          "equivalent",
          [](const PyCube& self, const PyCube& other) {
            py::gil_scoped_release nogil;
            if (&self == &other) return true;
            std::shared_lock a(self.mutex, std::defer_lock);
            std::shared_lock b(other.mutex, std::defer_lock);
            std::lock(a, b);
            return self.cube.Equivalent(other.cube);
          },
          py::arg("other"),
          "True when both cubes hold the same events: the same cells (by dimension values) with "
          "equal aggregates; sums of measures compare within 1e-9 relative (they are floating "
          "point sums, whose last bits depend on the order of addition).")
      .def("series", &Series, py::arg("metric"), py::arg("slice") = py::none(),
           py::arg("start") = py::none(), py::arg("end") = py::none(),
           py::arg("granularity") = py::none(),
           "The series of `metric` for `slice` over [start, end) as a pandas DataFrame indexed by "
           "bucket start (UTC) with columns value (NaN when undefined), events, support (the "
           "sample size behind the value) and sampling_error. `slice`: None (all traffic), "
           "'platform=watchOS,locale=de-DE' or a dict; times: None (the cube's range), epoch ms, "
           "RFC 3339 text or datetimes; granularity: None (the cube's), '1h', ms or a timedelta "
           "(a multiple of the cube's). Raises NotFoundError for an unknown metric, dimension or "
           "value (naming the nearest) and InvalidArgumentError for a bad granularity.")
      .def("cells", &Cells, py::arg("slice") = py::none(), py::arg("start") = py::none(),
           py::arg("end") = py::none(),
           "The leaf cells under `slice` over [start, end), each merged across time, as a pandas "
           "DataFrame: one column per dimension, events, and one column per metric.")
      .def("totals", &Totals, py::arg("slice") = py::none(), py::arg("start") = py::none(),
           py::arg("end") = py::none(),
           "Every metric's value for `slice` over [start, end), as a dict.")
      .def("__repr__",
           [](const PyCube& c) {
             std::shared_lock lock(c.mutex);
             return "<vigil.Cube " + std::to_string(c.cube.event_count()) + " events in " +
                    std::to_string(c.cube.cell_count()) + " cells>";
           })
      .def(py::pickle([](const PyCube& c) { return py::make_tuple(c.config, ToBytes(c)); },
                      [](const py::tuple& t) {
                        if (t.size() != 2)
                          throw StatusError(InvalidArgument("bad pickled vigil.Cube"));
                        return FromBytes(t[0], t[1].cast<py::buffer>());
                      }));
}

}  // namespace vigil::python
