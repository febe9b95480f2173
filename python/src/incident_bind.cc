// Incidents (incident.h, incident_json.h): explain, group, find_incidents and run; incidents
// are dicts in the DESIGN §5 form, the documents `vigil detect --json` writes, made by the
// engine's codec and read by json.loads.
#include <pybind11/stl.h>

#include "bind_common.h"
#include "vigil/incident.h"
#include "vigil/incident_json.h"
#include "vigil/ingest.h"
#include "vigil/pipeline.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

// An incident's document as Python objects, through json.loads of its text (exact and simple).
py::object Document(const Incident& incident) {
  std::string text = ValueOrThrow(IncidentJsonText(incident));
  return py::module_::import("json").attr("loads")(text);
}

py::list Documents(const std::vector<Incident>& incidents) {
  py::list out;
  for (const Incident& inc : incidents) out.append(Document(inc));
  return out;
}

// Incident documents explained apart (in several tasks) linked as one list would have been.
py::list LinkRelated(const py::iterable& documents) {
  py::object dumps = py::module_::import("json").attr("dumps");
  std::vector<Incident> incidents;
  for (py::handle d : documents) {
    std::string text = dumps(d).cast<std::string>();
    Incident inc = ValueOrThrow(ParseIncidentJson(text));
    inc.related_incidents.clear();
    incidents.push_back(std::move(inc));
  }
  LinkRelatedIncidents(&incidents);
  return Documents(incidents);
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

// One incident to explain: an anomaly dict (from detect) or a group dict (from group).
Incident IncidentFromArg(const py::handle& what) {
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
  return IncidentOf(std::move(members));
}

// Evidence from the cube, then (with files) examples and error templates from the events, as
// `vigil run` does.
Status Explained(const PyCube& self, const std::vector<std::string>& files,
                 std::vector<Incident>* incidents) {
  std::shared_lock lock(self.mutex);
  return ExplainIncidents(self.cube, files, incidents);
}

std::vector<std::string> FilesArg(const py::handle& files) {
  return files.is_none() ? std::vector<std::string>{} : PathsArg(files);
}

py::object Explain(const PyCube& self, const py::handle& what, const py::handle& files_arg) {
  std::vector<std::string> files = FilesArg(files_arg);
  bool many = py::isinstance<py::list>(what) || py::isinstance<py::tuple>(what);
  std::vector<Incident> incidents;
  if (many) {
    for (py::handle w : what) incidents.push_back(IncidentFromArg(w));
  } else {
    incidents.push_back(IncidentFromArg(what));
  }
  Status status;
  {
    py::gil_scoped_release nogil;
    status = Explained(self, files, &incidents);
  }
  ThrowIfError(status);
  if (many) return Documents(incidents);
  return Document(incidents.front());
}

py::list Group(const py::iterable& anomalies, const py::handle& start, const py::handle& end) {
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  std::vector<Anomaly> all;
  for (py::handle a : anomalies) all.push_back(AnomalyFromDict(a));
  py::list out;
  for (const Incident& inc : IncidentsStartingIn(GroupIncidents(all), from, to)) {
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

Result<std::vector<Incident>> Search(const PyCube& self, TimeMs from, TimeMs to,
                                     const std::vector<std::string>& files) {
  InvestigateOptions options;
  options.from = from;
  options.to = to;
  options.files = files;
  std::shared_lock lock(self.mutex);
  VIGIL_ASSIGN_OR_RETURN(Investigation search, Investigate(self.cube, options));
  return std::move(search.incidents);
}

py::list FindIncidentsBinding(const PyCube& self, const py::handle& start, const py::handle& end,
                              const py::handle& files_arg) {
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  std::vector<std::string> files = FilesArg(files_arg);
  Result<std::vector<Incident>> incidents = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    incidents = Search(self, from, to, files);
  }
  return Documents(ValueOrThrow(std::move(incidents)));
}

py::list Run(const py::handle& config_arg, const py::handle& paths_arg, const py::handle& start,
             const py::handle& end, int threads) {
  std::vector<std::string> paths = PathsArg(paths_arg);
  auto cube =
      py::module_::import("vigil._vigil").attr("Cube")(config_arg).cast<std::shared_ptr<PyCube>>();
  TimeMs from = TimeArg(start, "start");
  TimeMs to = TimeArg(end, "end");
  Result<std::vector<Incident>> incidents = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    IngestOptions options;
    options.threads = threads;
    auto stats = IngestFiles(paths, &cube->cube, options);
    incidents =
        stats.ok() ? Search(*cube, from, to, paths) : Result<std::vector<Incident>>(stats.status());
  }
  return Documents(ValueOrThrow(std::move(incidents)));
}

}  // namespace

void init_incident(py::module_& m) {
  m.def("explain", &Explain, py::arg("cube"), py::arg("anomaly"), py::arg("files") = py::none(),
        "The evidence of an anomaly (a dict from vigil.detect) or of a group (a dict from "
        "vigil.group): root-cause slices, stage attribution, what changed at the onset, the "
        "mix-shift test, affected devices, severity and summary, as one incident document "
        "(DESIGN §5). Given a list, returns a list. With `files` (the events behind the cube), "
        "also example request ids and error templates, read in one pass over the files for "
        "the whole list, as `vigil run` does. Releases the GIL.");
  m.def("link_related", &LinkRelated, py::arg("incidents"),
        "Links incident documents explained apart (in several Dask tasks) as `vigil run` links "
        "one list: `related` names the incidents of one time that look like one cause. Returns "
        "new documents in the same order.");
  m.def("group", &Group, py::arg("anomalies"), py::kw_only(), py::arg("start") = py::none(),
        py::arg("end") = py::none(),
        "Groups anomalies (dicts from vigil.detect) into incidents as `vigil detect` does, and "
        "keeps those whose onset lies in [start, end) (group all history, then select: an "
        "incident that began before `start` is not split). "
        "Returns one dict per incident, ordered by start: id, start, end, primary (the leading "
        "anomaly) and related (the others); vigil.explain turns each into its document.");
  m.def("find_incidents", &FindIncidentsBinding, py::arg("cube"), py::kw_only(),
        py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("files") = py::none(),
        "Detect, group and explain: the incidents of the cube whose onset lies in [start, end) "
        "as DESIGN §5 dicts, the documents of `vigil detect --json`. With `files` (the events "
        "behind the cube), also examples and error templates, as `vigil run`. Releases the GIL.");
  m.def("run", &Run, py::arg("config"), py::arg("paths"), py::kw_only(),
        py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("threads") = 0,
        "`vigil run` without a store: ingest the files into a new cube, find_incidents, and read "
        "the files once more for examples and error templates. Returns the incidents as DESIGN "
        "§5 dicts (no lifecycle status or routed owner: those live in the store). `config`: a "
        "Config or the path of a config file. Raises what ingest_files and Config.load raise. "
        "Releases the GIL.");
}

}  // namespace vigil::python
