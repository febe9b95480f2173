// The `input` section: which fields of a record are the time, the ids, the dimensions, measures,
// flags and attributes, and which measures are the pipeline's stages.
#include <set>

#include "config/sections.h"

namespace vigil::internal {
namespace {

// A list of names → FieldSpecs (`name: path` map, or a list of paths / {name, field} maps).
Status ReadFields(const YamlReader& r, const YAML::Node& node, const std::string& key,
                  std::vector<FieldSpec>* out) {
  if (!node) return Status::Ok();
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      FieldSpec f;
      f.name = it->first.as<std::string>();
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key + "." + f.name, &f.path));
      out->push_back(std::move(f));
    }
    return Status::Ok();
  }
  if (!node.IsSequence()) return r.Error(node, key, "expected a list or a map");
  for (const YAML::Node& item : node) {
    FieldSpec f;
    if (item.IsScalar()) {
      f.path = item.as<std::string>();
      f.name = f.path.substr(f.path.rfind('.') + 1);
    } else if (item.IsMap()) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["field"], key + "[].field", &f.path));
      f.name = f.path.substr(f.path.rfind('.') + 1);
      if (item["name"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], key + "[].name", &f.name));
    } else {
      return r.Error(item, key, "expected a field path or {name, field}");
    }
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

// `input.stages`: measure names, in pipeline order.
Status ReadStages(const YamlReader& r, const YAML::Node& stages, InputMapping* in) {
  if (!stages.IsSequence()) return r.Error(stages, "input.stages", "expected a list of measures");
  for (const YAML::Node& st : stages) {
    std::string name;
    VIGIL_RETURN_IF_ERROR(r.Scalar(st, "input.stages", &name));
    int found = -1;
    for (size_t i = 0; i < in->measures.size(); ++i)
      if (in->measures[i].name == name) found = static_cast<int>(i);
    if (found < 0) return r.Error(st, "input.stages", "'" + name + "' is not a measure");
    in->stages.push_back(found);
  }
  return Status::Ok();
}

// `input.error_stages`: error-code prefix → one of the stages.
Status ReadErrorStages(const YamlReader& r, const YAML::Node& map, InputMapping* in) {
  if (!map.IsMap())
    return r.Error(map, "input.error_stages", "expected a map `code prefix: stage`");
  if (in->error_code_attribute < 0) {
    return r.Error(map, "input.error_stages",
                   "needs an attribute named error_code (input.attributes.error_code)");
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string prefix = it->first.as<std::string>(), stage;
    VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "input.error_stages." + prefix, &stage));
    int found = -1;
    for (int s : in->stages)
      if (in->measures[s].name == stage) found = s;
    if (found < 0)
      return r.Error(it->second, "input.error_stages." + prefix,
                     "'" + stage + "' is not one of input.stages");
    in->error_stages.emplace_back(prefix, found);
  }
  return Status::Ok();
}

}  // namespace

Status ReadInput(const YamlReader& r, const YAML::Node& node, Config* c) {
  InputMapping& in = c->input;
  if (!node) return r.Error(node, "input", "missing (the input mapping is required)");
  if (node["time"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["time"], "input.time", &in.time_field));
  if (node["request_id"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["request_id"], "input.request_id", &in.request_id_field));
  }
  if (node["device_id"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["device_id"], "input.device_id", &in.device_id_field));
  }
  if (node["message"])
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["message"], "input.message", &in.message_field));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["dimensions"], "input.dimensions", &in.dimensions));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["measures"], "input.measures", &in.measures));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["flags"], "input.flags", &in.flags));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["attributes"], "input.attributes", &in.attributes));
  if (in.time_field.empty()) return r.Error(node["time"], "input.time", "must name a field");
  if (const YAML::Node& stages = node["stages"]) VIGIL_RETURN_IF_ERROR(ReadStages(r, stages, &in));
  for (size_t i = 0; i < in.attributes.size(); ++i)
    if (in.attributes[i].name == "error_code") in.error_code_attribute = static_cast<int>(i);
  if (const YAML::Node& map = node["error_stages"])
    VIGIL_RETURN_IF_ERROR(ReadErrorStages(r, map, &in));
  // Names must be unique across all roles: predicates refer to fields by name.
  std::set<std::string> names;
  for (const auto* list : {&in.dimensions, &in.measures, &in.flags, &in.attributes}) {
    for (const FieldSpec& f : *list) {
      if (f.name.empty() || f.path.empty()) {
        return r.Error(node, "input", "a field has an empty name or path");
      }
      if (!names.insert(f.name).second) {
        return r.Error(node, "input", "field name '" + f.name + "' is used twice");
      }
    }
  }
  return Status::Ok();
}

}  // namespace vigil::internal
