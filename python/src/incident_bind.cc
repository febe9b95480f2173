// Incidents (incident.h, incident_json.h): explain, group, find_incidents and run; incidents
// are dicts in the DESIGN §5 form, the documents `vigil detect --json` writes.
#include <pybind11/stl.h>

#include "bind_common.h"
#include "vigil/incident.h"
#include "vigil/incident_json.h"
#include "vigil/ingest.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

py::list Documents(const std::vector<Incident>& incidents) {
  py::list out;
  for (const Incident& inc : incidents) out.append(JsonToPython(IncidentToJson(inc)));
  return out;
}

// An incident rebuilt from its members (primary first), with GroupIncidents's id and span.
Incident IncidentOf(std::vector<Anomaly> members) {
  Incident inc;
  inc.primary = std::move(members.front());
  inc.start = inc.primary.start;
  inc.end = inc.primary.end;
  bool open = inc.primary.end == 0;
  for (size_t i = 1; i < members.size(); ++i) {
    inc.start = std::min(inc.start, members[i].start);
    inc.end = std::max(inc.end, members[i].end);
    open = open || members[i].end == 0;
    inc.related.push_back(std::move(members[i]));
  }
  if (open) inc.end = 0;
  inc.id = IncidentIdFor(inc.primary);
  return inc;
}

py::object Explain(const PyCube& self, const py::handle& what) {
  std::vector<Anomaly> members;
  if (py::isinstance<py::dict>(what) && what.cast<py::dict>().contains("primary")) {
    py::dict group = what.cast<py::dict>();
    members.push_back(AnomalyFromDict(group["primary"]));
    if (group.contains("related")) {
      for (py::handle a : group["related"]) members.push_back(AnomalyFromDict(a));
    }
  } else {
    members.push_back(AnomalyFromDict(what));
  }
  std::vector<Incident> incidents = {IncidentOf(std::move(members))};
  Status status;
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    status = AttachEvidence(self.cube, &incidents);
  }
  ThrowIfError(status);
  return JsonToPython(IncidentToJson(incidents.front()));
}

py::list Group(const py::iterable& anomalies) {
  std::vector<Anomaly> all;
  for (py::handle a : anomalies) all.push_back(AnomalyFromDict(a));
  py::list out;
  for (const Incident& inc : GroupIncidents(all)) {
    py::dict g;
    g["id"] = inc.id;
    g["start"] = FormatTimestamp(inc.start);
    g["end"] = inc.end ? py::object(py::str(FormatTimestamp(inc.end))) : py::none();
    g["primary"] = AnomalyToDict(inc.primary);
    py::list related;
    for (const Anomaly& a : inc.related) related.append(AnomalyToDict(a));
    g["related"] = related;
    out.append(g);
  }
  return out;
}

py::list FindIncidentsBinding(const PyCube& self, const py::handle& start, const py::handle& end) {
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  Result<IncidentSearch> search = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    std::shared_lock lock(self.mutex);
    search = FindIncidents(self.cube, from, to);
  }
  return Documents(ValueOrThrow(std::move(search)).incidents);
}

py::list Run(const py::handle& config_arg, const py::handle& paths_arg,
             const py::handle& start, const py::handle& end, int threads) {
  std::vector<std::string> paths = PathsArg(paths_arg);
  auto cube = py::module_::import("vigil._vigil").attr("Cube")(config_arg).cast<std::shared_ptr<PyCube>>();
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  Result<IncidentSearch> search = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    IngestOptions options;
    options.threads = threads;
    auto stats = IngestFiles(paths, &cube->cube, options);
    search = stats.ok() ? FindIncidents(cube->cube, from, to) : Result<IncidentSearch>(stats.status());
  }
  return Documents(ValueOrThrow(std::move(search)).incidents);
}

}  // namespace

py::object JsonToPython(const nlohmann::json& document) {
  return py::module_::import("json").attr("loads")(document.dump());
}

void init_incident(py::module_& m) {
  m.def("explain", &Explain, py::arg("cube"), py::arg("anomaly"),
        "The evidence of an anomaly (a dict from vigil.detect) or of a group (a dict from "
        "vigil.group): root-cause slices, stage attribution, what changed at the onset, the "
        "mix-shift test, affected devices, severity and summary, as one incident document "
        "(DESIGN §5). Releases the GIL.");
  m.def("group", &Group, py::arg("anomalies"),
        "Groups anomalies (dicts from vigil.detect) into incidents as `vigil detect` does. "
        "Returns one dict per incident, ordered by start: id, start, end, primary (the leading "
        "anomaly) and related (the others); vigil.explain turns each into its document.");
  m.def("find_incidents", &FindIncidentsBinding, py::arg("cube"), py::kw_only(),
        py::arg("start") = py::none(), py::arg("end") = py::none(),
        "Detect, group and explain: the incidents of the cube whose onset lies in [start, end) "
        "as DESIGN §5 dicts, the documents of `vigil detect --json`. Releases the GIL.");
  m.def("run", &Run, py::arg("config"), py::arg("paths"), py::kw_only(),
        py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("threads") = 0,
        "Ingest the files into a new cube, then find_incidents: the incidents as DESIGN §5 "
        "dicts. `config`: a Config or the path of a config file. Raises what ingest_files and "
        "Config.load raise. Releases the GIL.");
}

}  // namespace vigil::python
