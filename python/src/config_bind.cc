// vigil.Config: a loaded, validated configuration (config.h).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bind_common.h"
#include "vigil/time.h"

namespace vigil::python {
namespace {

std::shared_ptr<PyConfig> Parse(const std::string& text, const std::string& origin,
                                const std::string& base_dir) {
  auto out = std::make_shared<PyConfig>();
  Config c = ValueOrThrow(Config::Parse(text, origin, base_dir));
  out->config = std::make_shared<const Config>(std::move(c));
  out->text = text;
  out->origin = origin;
  out->base_dir = base_dir;
  return out;
}

std::shared_ptr<PyConfig> Load(const py::handle& path_arg) {
  std::string path = PathArg(path_arg);
  // Config::Load gives the CLI's messages (missing file, line-numbered keys); the text is kept
  // so that the config pickles to workers.
  Config c = ValueOrThrow(Config::Load(path));
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto out = std::make_shared<PyConfig>();
  out->config = std::make_shared<const Config>(std::move(c));
  out->text = text.str();
  out->origin = path;
  out->base_dir = out->config->base_dir;
  return out;
}

py::list Names(const std::vector<FieldSpec>& fields) {
  py::list out;
  for (const FieldSpec& f : fields) out.append(f.name);
  return out;
}

// Every mapped input field with its role, in the order of InputMapping's lists.
py::list Fields(const InputMapping& m) {
  py::list out;
  auto add = [&](const char* role, int index, const std::string& name, const std::string& path) {
    if (path.empty()) return;
    py::dict f;
    f["role"] = role;
    f["index"] = index;
    f["name"] = name;
    f["path"] = path;
    out.append(f);
  };
  add("time", 0, "time", m.time_field);
  add("request_id", 0, "request_id", m.request_id_field);
  add("device_id", 0, "device_id", m.device_id_field);
  auto list = [&](const char* role, const std::vector<FieldSpec>& v) {
    for (size_t i = 0; i < v.size(); ++i) add(role, static_cast<int>(i), v[i].name, v[i].path);
  };
  list("dimension", m.dimensions);
  list("measure", m.measures);
  list("flag", m.flags);
  list("attribute", m.attributes);
  return out;
}

}  // namespace

void init_config(py::module_& m) {
  py::class_<PyConfig, std::shared_ptr<PyConfig>>(
      m, "Config",
      "A loaded, validated vigil configuration (the YAML file of `vigil --config`): the input "
      "mapping, the cube's granularity, the metrics and the monitors. It pickles (as its YAML "
      "text), so it can be sent to the workers of a cluster.")
      .def_static("load", &Load, py::arg("path"),
                  "Loads and validates a YAML config file. Relative paths in it (store.path) "
                  "resolve against the file's folder. Raises NotFoundError for a missing file and "
                  "ConfigError (`FILE:LINE: key 'k': why`) for an invalid one.")
      .def_static("parse", &Parse, py::arg("text"), py::arg("origin") = "<config>",
                  py::arg("base_dir") = ".",
                  "Parses YAML config text; `origin` names it in error messages. Raises "
                  "ConfigError.")
      .def_property_readonly(
          "path", [](const PyConfig& c) { return c.config->path; },
          "The file it was loaded from (\"\" for parsed text).")
      .def_property_readonly(
          "text", [](const PyConfig& c) { return c.text; }, "The YAML text.")
      .def_property_readonly(
          "granularity_ms", [](const PyConfig& c) { return c.config->granularity_ms; },
          "The cube's bucket width in milliseconds.")
      .def_property_readonly(
          "granularity", [](const PyConfig& c) { return FormatDuration(c.config->granularity_ms); },
          "The cube's bucket width as text, e.g. \"5m\".")
      .def_property_readonly(
          "dimensions", [](const PyConfig& c) { return Names(c.config->input.dimensions); },
          "Dimension names, in cube order.")
      .def_property_readonly(
          "measures", [](const PyConfig& c) { return Names(c.config->input.measures); },
          "Measure names.")
      .def_property_readonly(
          "metrics",
          [](const PyConfig& c) {
            py::list out;
            for (const MetricSpec& s : c.config->metrics) out.append(s.name);
            return out;
          },
          "Metric names, in config order.")
      .def_property_readonly(
          "fields", [](const PyConfig& c) { return Fields(c.config->input); },
          "Every mapped input field as a dict: role (time, request_id, "
          "device_id, dimension, measure, flag, attribute), index within its "
          "role, name, and path (the dotted input path, which is also the "
          "column name ingest_frame looks for).")
      .def_property_readonly(
          "fingerprint", [](const PyConfig& c) { return c.config->CubeFingerprint(); },
          "What shapes the cube's cells; cubes merge only with equal fingerprints.")
      .def("__repr__",
           [](const PyConfig& c) {
             return "<vigil.Config " + (c.config->path.empty() ? c.origin : c.config->path) + ": " +
                    std::to_string(c.config->input.dimensions.size()) + " dimensions, " +
                    std::to_string(c.config->metrics.size()) + " metrics, " +
                    std::to_string(c.config->monitors.size()) + " monitors>";
           })
      .def(py::pickle(
          [](const PyConfig& c) {
            return py::make_tuple(c.text, c.origin, c.base_dir, c.config->path);
          },
          [](const py::tuple& t) {
            if (t.size() != 4) throw StatusError(InvalidArgument("bad pickled vigil.Config"));
            auto c =
                Parse(t[0].cast<std::string>(), t[1].cast<std::string>(), t[2].cast<std::string>());
            Config copy = *c->config;
            copy.path = t[3].cast<std::string>();
            c->config = std::make_shared<const Config>(std::move(copy));
            return c;
          }));
}

}  // namespace vigil::python
