// The common module: the error hierarchy (one exception per StatusCode) and time arguments.
#include <array>

#include "bind_common.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

constexpr size_t kCodes = static_cast<size_t>(StatusCode::kInternal) + 1;
// Exception types by StatusCode; created once at import and kept for the process's life.
std::array<PyObject*, kCodes> g_errors{};

PyObject* NewError(py::module_& m, const char* name, const char* doc, py::handle bases,
                   const char* code) {
  std::string qualified = std::string("vigil.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  py::handle t(type);
  t.attr("code") = code;
  m.add_object(name, t);  // the module keeps a reference
  return type;
}

}  // namespace

void init_common(py::module_& m) {
  py::handle error = NewError(
      m, "Error",
      "Base of every error the vigil engine reports. `str(e)` is the message the CLI prints "
      "(after `vigil: `); `e.code` names the engine's error code.",
      PyExc_Exception, "error");
  auto with = [&](PyObject* other) { return py::make_tuple(error, py::handle(other)); };
  auto set = [](StatusCode c, PyObject* type) { g_errors[static_cast<size_t>(c)] = type; };
  set(StatusCode::kInvalidArgument,
      NewError(m, "InvalidArgumentError", "Bad usage: an argument, a slice, a time range.",
               with(PyExc_ValueError), "invalid_argument"));
  set(StatusCode::kConfig, NewError(m, "ConfigError",
                                    "The configuration is invalid; the message names the file, "
                                    "line and key.",
                                    with(PyExc_ValueError), "config"));
  set(StatusCode::kNotFound,
      NewError(m, "NotFoundError", "A named file, metric, dimension or value does not exist.",
               with(PyExc_LookupError), "not_found"));
  set(StatusCode::kIoError,
      NewError(m, "IoError", "A file could not be read or written.", with(PyExc_OSError), "io"));
  PyObject* data = NewError(
      m, "DataError",
      "Input unusable as a whole: no events, a missing column, a column of the wrong type.",
      with(PyExc_ValueError), "data");
  set(StatusCode::kDataError, data);
  set(StatusCode::kCorruption,
      NewError(m, "CorruptionError", "Serialized bytes (a cube) failed validation.",
               py::make_tuple(py::handle(data)), "corruption"));
  set(StatusCode::kLimitExceeded,
      NewError(m, "LimitExceededError", "A configured limit (e.g. limits.max_cells) was reached.",
               error, "limit_exceeded"));
  set(StatusCode::kInternal,
      NewError(m, "InternalError", "A bug in the engine: an invariant did not hold.",
               with(PyExc_RuntimeError), "internal"));
  g_errors[0] = error.ptr();

  // pybind11 takes a plain function pointer of this exact signature.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      size_t code = static_cast<size_t>(e.status().code());
      PyObject* type = code < kCodes && g_errors[code] ? g_errors[code] : g_errors[0];
      PyErr_SetString(type, e.status().message().c_str());
    }
  });
}

TimeMs TimeArg(const py::handle& value, const char* name) {
  if (value.is_none()) return 0;
  if (py::isinstance<py::bool_>(value)) {
    throw StatusError(InvalidArgument(std::string(name) + ": expected a time, got a bool"));
  }
  if (py::isinstance<py::int_>(value)) return value.cast<int64_t>();
  if (py::isinstance<py::str>(value)) {
    auto t = ParseTimestamp(value.cast<std::string>());
    if (!t.ok())
      throw StatusError(InvalidArgument(std::string(name) + ": " + t.status().message()));
    return *t;
  }
  // datetime, numpy.datetime64, pandas.Timestamp: through pandas, naive meaning UTC.
  py::object ts;
  try {
    ts = py::module_::import("pandas").attr("Timestamp")(value);
  } catch (py::error_already_set&) {
    throw StatusError(InvalidArgument(std::string(name) +
                                      ": expected epoch ms, RFC 3339 text or "
                                      "a datetime, got " +
                                      py::str(py::type::of(value)).cast<std::string>()));
  }
  if (ts.attr("tz").is_none()) ts = ts.attr("tz_localize")("UTC");
  int64_t ns = ts.attr("value").cast<int64_t>();
  return ns >= 0 ? ns / 1'000'000 : -((-ns + 999'999) / 1'000'000);  // floor to the ms
}

int64_t DurationArg(const py::handle& value, const char* name) {
  if (value.is_none()) return 0;
  if (py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value)) {
    return value.cast<int64_t>();
  }
  if (py::isinstance<py::str>(value)) {
    auto d = ParseDuration(value.cast<std::string>());
    if (!d.ok())
      throw StatusError(InvalidArgument(std::string(name) + ": " + d.status().message()));
    return *d;
  }
  try {
    return py::module_::import("pandas").attr("Timedelta")(value).attr("value").cast<int64_t>() /
           1'000'000;
  } catch (py::error_already_set&) {
    throw StatusError(InvalidArgument(std::string(name) + ": expected ms, text such as '1h' or a "
                                                          "timedelta"));
  }
}

std::string PathArg(const py::handle& value) {
  try {
    return py::module_::import("os").attr("fspath")(value).cast<std::string>();
  } catch (py::error_already_set&) {
    throw StatusError(InvalidArgument("expected a file path, got " +
                                      py::str(py::type::of(value)).cast<std::string>()));
  } catch (py::cast_error&) {
    throw StatusError(InvalidArgument("expected a file path as text"));
  }
}

std::vector<std::string> PathsArg(const py::handle& value) {
  if (py::isinstance<py::str>(value) || py::hasattr(value, "__fspath__")) return {PathArg(value)};
  if (!py::isinstance<py::iterable>(value)) {
    throw StatusError(InvalidArgument("expected a file path or a list of them"));
  }
  std::vector<std::string> out;
  for (py::handle p : value) out.push_back(PathArg(p));
  return out;
}

py::object Timestamp(TimeMs t) {
  return py::module_::import("pandas").attr("Timestamp")(t, py::arg("unit") = "ms",
                                                         py::arg("tz") = "UTC");
}

}  // namespace vigil::python
