// vigil.detect: every monitored series of a cube judged (FindAnomalies, pipeline.h); anomalies
// as dicts.
#include "bind_common.h"
#include "vigil/incident.h"
#include "vigil/pipeline.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

py::list Detect(const PyCube& self, const py::handle& start, const py::handle& end) {
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  Result<DetectionReport> report = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    report = FindAnomalies(self.cube);
  }
  py::list out;
  // As `vigil detect --from/--to`: the whole history feeds the baselines; the range selects
  // anomalies by onset.
  for (const Anomaly& a : ValueOrThrow(std::move(report)).anomalies) {
    if (from && a.start < from) continue;
    if (to && a.start >= to) continue;
    out.append(AnomalyToDict(a));
  }
  return out;
}

template <typename T>
T Get(const py::dict& d, const char* key) {
  if (!d.contains(key))
    throw StatusError(InvalidArgument(std::string("anomaly: missing key '") + key + "'"));
  try {
    return d[key].cast<T>();
  } catch (const py::cast_error&) {
    throw StatusError(
        InvalidArgument(std::string("anomaly: key '") + key + "' has the wrong type"));
  }
}

// The value of `key`, or None.
py::object Item(const py::dict& d, const char* key) {
  return d.contains(key) ? py::object(d[key]) : py::object(py::none());
}

template <typename T>
T GetOr(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? Get<T>(d, key) : fallback;
}

}  // namespace

py::dict AnomalyToDict(const Anomaly& a) {
  py::dict d;
  d["id"] = IncidentIdFor(a);
  d["metric"] = a.metric;
  d["slice"] = SliceToDict(a.slice);
  d["direction"] = a.direction == Direction::kDown ? "down" : "up";
  d["start"] = FormatTimestamp(a.start);
  d["end"] = a.end ? py::object(py::str(FormatTimestamp(a.end))) : py::none();
  d["detected"] = FormatTimestamp(a.detected);
  d["baseline"] = a.baseline;
  d["observed"] = a.observed;
  d["relative_change"] = a.relative_change;
  d["confidence"] = a.confidence;
  d["support"] = a.support;
  d["granularity"] = FormatDuration(a.granularity_ms);
  d["detector"] = a.detector;
  d["cohort"] = a.cohort;
  if (!a.attributions.features.empty()) {
    py::list features;
    for (const Attribution& f : a.attributions.features) {
      py::dict fd;
      fd["metric"] = f.metric;
      fd["value"] = f.value;
      fd["residual"] = f.residual;
      features.append(fd);
    }
    py::dict at;
    at["score"] = a.attributions.score;
    at["base"] = a.attributions.base;
    at["features"] = features;
    d["attributions"] = at;
  }
  return d;
}

Anomaly AnomalyFromDict(const py::handle& value) {
  if (!py::isinstance<py::dict>(value)) {
    throw StatusError(InvalidArgument("expected an anomaly dict (from vigil.detect)"));
  }
  py::dict d = py::reinterpret_borrow<py::dict>(value);
  Anomaly a;
  a.metric = Get<std::string>(d, "metric");
  a.slice = SliceArg(Item(d, "slice"));
  std::string direction = GetOr<std::string>(d, "direction", "up");
  if (direction != "up" && direction != "down") {
    throw StatusError(InvalidArgument("anomaly: direction must be 'up' or 'down'"));
  }
  a.direction = direction == "down" ? Direction::kDown : Direction::kUp;
  a.start = TimeArg(Item(d, "start"), "anomaly start");
  if (a.start == 0) throw StatusError(InvalidArgument("anomaly: missing key 'start'"));
  a.end = TimeArg(Item(d, "end"), "anomaly end");
  a.detected = TimeArg(Item(d, "detected"), "anomaly detected");
  if (a.detected == 0) a.detected = a.start;
  a.baseline = Get<double>(d, "baseline");
  a.observed = Get<double>(d, "observed");
  a.relative_change = GetOr<double>(
      d, "relative_change", a.baseline != 0 ? (a.observed - a.baseline) / std::abs(a.baseline) : 0);
  a.confidence = GetOr<double>(d, "confidence", 0.0);
  a.support = GetOr<uint64_t>(d, "support", 0);
  a.granularity_ms = DurationArg(Item(d, "granularity"), "anomaly granularity");
  a.detector = GetOr<std::string>(d, "detector", "");
  a.cohort = GetOr<bool>(d, "cohort", false);
  if (d.contains("attributions") && !d["attributions"].is_none()) {
    if (!py::isinstance<py::dict>(d["attributions"]))
      throw StatusError(InvalidArgument("anomaly: attributions must be a dict"));
    py::dict at = d["attributions"].cast<py::dict>();
    a.attributions.score = GetOr<double>(at, "score", 0.0);
    a.attributions.base = GetOr<double>(at, "base", 0.0);
    if (at.contains("features")) {
      for (py::handle f : at["features"]) {
        if (!py::isinstance<py::dict>(f))
          throw StatusError(InvalidArgument("anomaly: attributions.features: expected dicts"));
        py::dict fd = py::reinterpret_borrow<py::dict>(f);
        a.attributions.features.push_back({Get<std::string>(fd, "metric"),
                                           GetOr<double>(fd, "value", 0.0),
                                           GetOr<double>(fd, "residual", 0.0)});
      }
    }
  }
  return a;
}

void init_detect(py::module_& m) {
  m.def("detect", &Detect, py::arg("cube"), py::kw_only(), py::arg("start") = py::none(),
        py::arg("end") = py::none(),
        "Judges every monitored series of the cube (the monitors of its config) and returns the "
        "anomalies whose onset lies in [start, end) (None: no bound; history before `start` "
        "still feeds the baselines), ordered by onset, then metric and slice. Each is a dict: "
        "id, metric, slice, direction, start, end (None while open), detected, baseline, "
        "observed, relative_change, confidence, support, granularity, detector, cohort, and "
        "attributions (score, base, features: metric, value, residual) when a multivariate "
        "model covers its slice; times are RFC 3339 text. Deterministic. Releases the GIL.");
}

}  // namespace vigil::python
