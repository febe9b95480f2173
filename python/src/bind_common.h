// Shared pieces of the Python bindings: how engine errors become Python exceptions, the
// Python-side holders of a config and a cube, and argument conversions (times, slices,
// anomalies) that every *_bind.cc uses the same way.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/status.h"

namespace vigil::python {

namespace py = pybind11;

/// A failed engine Status on its way to Python: the translator registered by init_common raises
/// the vigil.Error subclass of its code with its message (the CLI's message, without `vigil: `).
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const char* what() const noexcept override { return status_.message().c_str(); }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

inline void ThrowIfError(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}

template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) throw StatusError(result.status());
  return std::move(result).value();
}

/// A loaded config and the YAML text it came from: workers of a cluster receive the text (it
/// pickles) and parse it again, so every process shapes its cube identically.
struct PyConfig {
  std::shared_ptr<const Config> config;
  std::string text;
  std::string origin;
  std::string base_dir;
};

/// A cube and its config. The lock lets calls release the GIL safely: writers (ingest, merge
/// into) hold it exclusively, readers (queries, detect, serialize) shared.
struct PyCube {
  explicit PyCube(std::shared_ptr<PyConfig> c) : config(std::move(c)), cube(config->config) {}
  PyCube(std::shared_ptr<PyConfig> c, Cube k) : config(std::move(c)), cube(std::move(k)) {}

  std::shared_ptr<PyConfig> config;
  Cube cube;
  mutable std::shared_mutex mutex;
};

/// A time argument: None (no bound, 0), epoch milliseconds (int), RFC 3339 text, or anything
/// pandas.Timestamp accepts (datetime, numpy.datetime64; naive values are UTC).
TimeMs TimeArg(const py::handle& value, const char* name);

/// A bucket width: None or 0 (the cube's), milliseconds (int), text such as "1h", or a
/// timedelta.
int64_t DurationArg(const py::handle& value, const char* name);

/// A file path: str or os.PathLike.
std::string PathArg(const py::handle& value);
/// File paths: one path or an iterable of them.
std::vector<std::string> PathsArg(const py::handle& value);

/// A slice: None, "" or "all" (all traffic), text "platform=watchOS,locale=de-DE", or a dict.
Slice SliceArg(const py::handle& value);

/// `{"platform": "watchOS"}`.
py::dict SliceToDict(const Slice& slice);

/// A UTC pandas.Timestamp.
py::object Timestamp(TimeMs t);

/// An anomaly as a dict with every field at full precision, so that AnomalyFromDict gives it
/// back exactly (times as RFC 3339 text, the granularity as a duration such as "15m").
py::dict AnomalyToDict(const Anomaly& anomaly);
Anomaly AnomalyFromDict(const py::handle& value);

void init_common(py::module_& m);
void init_config(py::module_& m);
void init_cube(py::module_& m);
void init_ingest(py::module_& m);
void init_detect(py::module_& m);
void init_incident(py::module_& m);
void init_eval(py::module_& m);
void init_learn(py::module_& m);

}  // namespace vigil::python
