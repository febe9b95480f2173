// The DESIGN §5 incident document: the names of severities, statuses and verdicts, and the one
// codec between `Incident` and its JSON, as values and as text.
#include "incident/incident_codec.h"

#include <cmath>
#include <string>
#include <utility>

#include "vigil/incident_json.h"

namespace vigil {
namespace {

constexpr std::string_view kSeverityNames[] = {"minor", "major", "critical"};
constexpr std::string_view kStatusNames[] = {"open", "acknowledged", "resolved"};
constexpr std::string_view kVerdictNames[] = {"true_positive", "false_positive", "duplicate"};

// The index of `text` among `names`; kInvalidArgument listing them otherwise.
template <size_t N>
Result<size_t> IndexOfName(const std::string_view (&names)[N], std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return i;
  }
  std::string expected = "expected ";
  for (size_t i = 0; i < N; ++i) {
    expected += std::string(names[i]) + (i + 2 < N ? ", " : i + 2 == N ? " or " : "");
  }
  return InvalidArgument(expected + ", not " +
                         nlohmann::json(std::string(text))
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Figures in documents are rounded to what a person can read and a diff stays stable on.
double Round(double v, double scale) { return std::round(v * scale) / scale; }

nlohmann::json NumberOrNull(double v, double scale) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(Round(v, scale));
}

nlohmann::json TimeOrNull(TimeMs t) {
  return t ? nlohmann::json(FormatTimestamp(t)) : nlohmann::json(nullptr);
}

// Reads the fields of one object of a document; every error names the incident and the field's
// path in the document (`root_causes[0].slice`). Missing and null fields keep their defaults
// (null numbers read as NaN: the encoder writes NaN as null).
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string path, const std::string* incident_id)
      : object_(object), path_(std::move(path)), incident_id_(incident_id) {}

  Status Error(std::string_view key, std::string_view what) const {
    std::string who = incident_id_->empty() ? "incident document" : "incident " + *incident_id_;
    return DataError(who + ": field '" + path_ + std::string(key) + "': " + std::string(what));
  }

  // The field's value; null when missing or null (an error when `required`).
  Result<const nlohmann::json*> Find(const char* key, bool required = false) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required) return Error(key, "is required");
      return nullptr;
    }
    return &*it;
  }

  Status Text(const char* key, std::string* out, bool required = false) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key, required));
    if (!v) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }

  Status Number(const char* key, double* out) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) {
      if (object_.contains(key)) *out = std::nan("");
      return Status::Ok();
    }
    if (!v->is_number()) return Error(key, "expected a number");
    *out = v->get<double>();
    return Status::Ok();
  }

  Status Count(const char* key, uint64_t* out) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    if (v->is_number_unsigned()) {
      *out = v->get<uint64_t>();
    } else if (v->is_number_integer() && v->get<int64_t>() >= 0) {
      *out = static_cast<uint64_t>(v->get<int64_t>());
    } else {
      return Error(key, "expected a whole number of at least 0");
    }
    return Status::Ok();
  }

  Status Bool(const char* key, bool* out) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    if (!v->is_boolean()) return Error(key, "expected true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }

  Status Time(const char* key, TimeMs* out, bool required = false) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key, required));
    if (!v) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected an RFC 3339 time");
    Result<TimeMs> t = ParseTimestamp(v->get_ref<const std::string&>());
    if (!t.ok()) return Error(key, t.status().message());
    *out = *t;
    return Status::Ok();
  }

  Status Duration(const char* key, int64_t* out) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a duration such as \"5m\"");
    const std::string& text = v->get_ref<const std::string&>();
    if (text == FormatDuration(0)) {  // what the encoder writes for an unknown granularity
      *out = 0;
      return Status::Ok();
    }
    Result<int64_t> d = ParseDuration(text);
    if (!d.ok()) return Error(key, d.status().message());
    *out = *d;
    return Status::Ok();
  }

  Status SliceField(const char* key, Slice* out) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    Result<Slice> slice = SliceFromJson(*v);
    if (!slice.ok()) return Error(key, "expected an object of dimension values (strings)");
    *out = std::move(*slice);
    return Status::Ok();
  }

  // Each element of an array field as a reader of its own (`key[i].`); missing: none.
  template <typename Fn>
  Status Each(const char* key, Fn&& read_element) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    if (!v->is_array()) return Error(key, "expected an array");
    for (size_t i = 0; i < v->size(); ++i) {
      std::string at = path_ + key + "[" + std::to_string(i) + "]";
      const nlohmann::json& element = (*v)[i];
      VIGIL_RETURN_IF_ERROR(read_element(element, at));
    }
    return Status::Ok();
  }

  // Each element of an object array; errors name `key[i].field`.
  template <typename Fn>
  Status EachObject(const char* key, Fn&& read_object) const {
    return Each(key, [&](const nlohmann::json& element, const std::string& at) -> Status {
      if (!element.is_object())
        return FieldReader(object_, "", incident_id_).Error(at, "expected an object");
      return read_object(FieldReader(element, at + ".", incident_id_));
    });
  }

  // An object field read by `read_object` (errors name `key.field`); missing: nothing read.
  template <typename Fn>
  Status Object(const char* key, Fn&& read_object) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v) return Status::Ok();
    if (!v->is_object()) return Error(key, "expected an object");
    return read_object(FieldReader(*v, path_ + key + ".", incident_id_));
  }

  // Each element of an object array read by `read` into a new element of `out`.
  template <typename T>
  Status Objects(const char* key, Status (*read)(const FieldReader&, T*),
                 std::vector<T>* out) const {
    return EachObject(
        key, [&](const FieldReader& element) { return read(element, &out->emplace_back()); });
  }

  // Each element of a string array.
  Status Texts(const char* key, std::vector<std::string>* out) const {
    return Each(key, [&](const nlohmann::json& element, const std::string& at) -> Status {
      if (!element.is_string())
        return FieldReader(object_, "", incident_id_).Error(at, "expected a string");
      out->push_back(element.get<std::string>());
      return Status::Ok();
    });
  }

  // A field whose value is one of a set of names.
  template <typename T>
  Status Named(const char* key, Result<T> (*parse)(std::string_view), T* out,
               bool required = false) const {
    VIGIL_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key, required));
    if (!v) return Status::Ok();
    Result<T> parsed = parse(v->is_string() ? v->get<std::string>() : v->dump());
    if (!parsed.ok()) return Error(key, parsed.status().message());
    *out = *parsed;
    return Status::Ok();
  }

  bool Has(const char* key) const { return object_.contains(key); }

 private:
  const nlohmann::json& object_;
  std::string path_;
  const std::string* incident_id_;
};

Result<Direction> ParseDirection(std::string_view text) {
  constexpr std::string_view kNames[] = {"up", "down"};
  VIGIL_ASSIGN_OR_RETURN(size_t i, IndexOfName(kNames, text));
  return i == 0 ? Direction::kUp : Direction::kDown;
}

Result<bool> ParseStagesBasis(std::string_view text) {  // true: from error codes
  constexpr std::string_view kNames[] = {"latency", "error_codes"};
  VIGIL_ASSIGN_OR_RETURN(size_t i, IndexOfName(kNames, text));
  return i == 1;
}

// A member of `anomalies`: the fields the document keeps of it.
Status ReadMember(const FieldReader& in, Anomaly* a) {
  VIGIL_RETURN_IF_ERROR(in.Text("metric", &a->metric));
  VIGIL_RETURN_IF_ERROR(in.SliceField("slice", &a->slice));
  VIGIL_RETURN_IF_ERROR(in.Time("start", &a->start));
  VIGIL_RETURN_IF_ERROR(in.Time("end", &a->end));
  VIGIL_RETURN_IF_ERROR(in.Number("baseline", &a->baseline));
  VIGIL_RETURN_IF_ERROR(in.Number("observed", &a->observed));
  VIGIL_RETURN_IF_ERROR(in.Number("relative_change", &a->relative_change));
  VIGIL_RETURN_IF_ERROR(in.Number("confidence", &a->confidence));
  return Status::Ok();
}

Status ReadRootCause(const FieldReader& in, RootCause* cause) {
  VIGIL_RETURN_IF_ERROR(in.SliceField("slice", &cause->slice));
  VIGIL_RETURN_IF_ERROR(in.Number("explained_fraction", &cause->explained_fraction));
  VIGIL_RETURN_IF_ERROR(in.Number("baseline", &cause->expected));
  return in.Number("observed", &cause->actual);
}

Status ReadStage(const FieldReader& in, StageShare* stage) {
  VIGIL_RETURN_IF_ERROR(in.Text("stage", &stage->stage));
  VIGIL_RETURN_IF_ERROR(in.Number("share", &stage->share));
  VIGIL_RETURN_IF_ERROR(in.Number("baseline", &stage->baseline));
  return in.Number("observed", &stage->observed);
}

Status ReadChangedValue(const FieldReader& in, ChangedValue* changed) {
  VIGIL_RETURN_IF_ERROR(in.Text("dimension", &changed->dimension));
  VIGIL_RETURN_IF_ERROR(in.Text("value", &changed->value));
  VIGIL_RETURN_IF_ERROR(in.Time("first_seen", &changed->first_seen));
  VIGIL_RETURN_IF_ERROR(in.Number("share_before", &changed->share_before));
  VIGIL_RETURN_IF_ERROR(in.Number("share_after", &changed->share_after));
  VIGIL_RETURN_IF_ERROR(in.Number("metric_value", &changed->metric_value));
  return in.Number("siblings_value", &changed->siblings_value);
}

Status ReadErrorTemplate(const FieldReader& in, ErrorTemplate* entry) {
  VIGIL_RETURN_IF_ERROR(in.Text("template", &entry->text));
  VIGIL_RETURN_IF_ERROR(in.Count("count", &entry->count));
  return in.Count("baseline_count", &entry->baseline_count);
}

Status ReadEvidence(const FieldReader& in, Evidence* e) {
  VIGIL_RETURN_IF_ERROR(in.Objects("root_causes", &ReadRootCause, &e->root_causes));
  VIGIL_RETURN_IF_ERROR(in.Objects("stages", &ReadStage, &e->stages));
  VIGIL_RETURN_IF_ERROR(in.Named("stages_basis", &ParseStagesBasis, &e->stages_from_errors));
  VIGIL_RETURN_IF_ERROR(in.Objects("what_changed", &ReadChangedValue, &e->what_changed));
  VIGIL_RETURN_IF_ERROR(in.Bool("mix_shift", &e->mix_shift));
  VIGIL_RETURN_IF_ERROR(in.Text("mix_dimension", &e->mix_dimension));
  VIGIL_RETURN_IF_ERROR(in.Count("affected_devices", &e->affected_devices));
  VIGIL_RETURN_IF_ERROR(in.Count("affected_turns", &e->affected_turns));
  VIGIL_RETURN_IF_ERROR(in.Number("traffic_share", &e->traffic_share));
  VIGIL_RETURN_IF_ERROR(in.Objects("error_templates", &ReadErrorTemplate, &e->error_templates));
  return in.Texts("examples", &e->examples);
}

}  // namespace

std::string_view ToString(Severity severity) {
  return kSeverityNames[static_cast<size_t>(severity)];
}
std::string_view ToString(IncidentStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}
std::string_view ToString(Verdict verdict) { return kVerdictNames[static_cast<size_t>(verdict)]; }

Result<Severity> ParseSeverity(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(size_t i, IndexOfName(kSeverityNames, text));
  return static_cast<Severity>(i);
}

Result<IncidentStatus> ParseIncidentStatus(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(size_t i, IndexOfName(kStatusNames, text));
  return static_cast<IncidentStatus>(i);
}

Result<Verdict> ParseVerdict(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(size_t i, IndexOfName(kVerdictNames, text));
  return static_cast<Verdict>(i);
}

nlohmann::json SliceToJson(const Slice& slice) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [d, v] : slice) j[d] = v;
  return j;
}

Result<Slice> SliceFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return DataError("a slice must be an object of dimension values");
  Slice slice;
  for (const auto& [dimension, value] : json.items()) {
    if (!value.is_string())
      return DataError("slice dimension '" + dimension + "': expected a string");
    slice.emplace_back(dimension, value.get<std::string>());
  }
  return slice;
}

nlohmann::json IncidentToJson(const Anomaly& a) {
  Incident single;
  single.id = IncidentIdFor(a);
  single.primary = a;
  single.start = a.start;
  single.end = a.end;
  single.severity = SeverityOf(a, 1.0);
  return IncidentToJson(single);
}

nlohmann::json IncidentToJson(const Incident& incident) {
  const Anomaly& a = incident.primary;
  const Evidence& e = incident.evidence;
  nlohmann::json j;
  j["id"] = incident.id;
  j["metric"] = a.metric;
  j["slice"] = SliceToJson(a.slice);
  j["start"] = FormatTimestamp(incident.start);
  j["end"] = TimeOrNull(incident.end);
  j["direction"] = a.direction == Direction::kDown ? "down" : "up";
  j["baseline"] = Round(a.baseline, 1e4);
  j["observed"] = Round(a.observed, 1e4);
  j["relative_change"] = Round(a.relative_change, 1e3);
  j["severity"] = std::string(ToString(incident.severity));
  j["confidence"] = Round(a.confidence, 1e4);
  j["detected"] = FormatTimestamp(a.detected);
  j["detector"] = a.detector;
  j["granularity"] = FormatDuration(a.granularity_ms);
  j["summary"] = incident.summary;
  nlohmann::json causes = nlohmann::json::array();
  for (const RootCause& rc : e.root_causes) {
    causes.push_back({{"slice", SliceToJson(rc.slice)},
                      {"explained_fraction", Round(rc.explained_fraction, 1e3)},
                      {"baseline", NumberOrNull(rc.expected, 1e4)},
                      {"observed", NumberOrNull(rc.actual, 1e4)}});
  }
  j["root_causes"] = causes;
  nlohmann::json stages = nlohmann::json::array();
  for (const StageShare& st : e.stages) {
    // Latency in ms to a tenth; errors per turn (a failure regression's stages) to 1e-4.
    double scale = e.stages_from_errors ? 1e4 : 10;
    stages.push_back({{"stage", st.stage},
                      {"share", Round(st.share, 1e3)},
                      {"baseline", NumberOrNull(st.baseline, scale)},
                      {"observed", NumberOrNull(st.observed, scale)}});
  }
  j["stages"] = stages;
  if (!e.stages.empty()) j["stages_basis"] = e.stages_from_errors ? "error_codes" : "latency";
  nlohmann::json changed = nlohmann::json::array();
  for (const ChangedValue& cv : e.what_changed) {
    changed.push_back({{"dimension", cv.dimension},
                       {"value", cv.value},
                       {"first_seen", TimeOrNull(cv.first_seen)},
                       {"share_before", Round(cv.share_before, 1e4)},
                       {"share_after", Round(cv.share_after, 1e4)},
                       {"metric_value", NumberOrNull(cv.metric_value, 1e4)},
                       {"siblings_value", NumberOrNull(cv.siblings_value, 1e4)}});
  }
  j["what_changed"] = changed;
  j["mix_shift"] = e.mix_shift;
  if (e.mix_shift) j["mix_dimension"] = e.mix_dimension;
  j["affected_devices"] = e.affected_devices;
  j["affected_turns"] = e.affected_turns;
  j["traffic_share"] = Round(e.traffic_share, 1e4);
  nlohmann::json templates = nlohmann::json::array();
  for (const ErrorTemplate& t : e.error_templates) {
    templates.push_back(
        {{"template", t.text}, {"count", t.count}, {"baseline_count", t.baseline_count}});
  }
  j["error_templates"] = templates;
  j["examples"] = e.examples;
  j["owner"] = incident.owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(incident.owner);
  j["related"] = incident.related_incidents;
  j["paging"] = incident.paging;
  if (incident.status) j["status"] = std::string(ToString(*incident.status));
  if (incident.retracted) j["retracted"] = true;
  nlohmann::json members = nlohmann::json::array();
  for (const Anomaly* m : incident.members()) {
    members.push_back({{"metric", m->metric},
                       {"slice", SliceToJson(m->slice)},
                       {"start", FormatTimestamp(m->start)},
                       {"end", TimeOrNull(m->end)},
                       {"baseline", Round(m->baseline, 1e4)},
                       {"observed", Round(m->observed, 1e4)},
                       {"relative_change", Round(m->relative_change, 1e3)},
                       {"confidence", Round(m->confidence, 1e4)}});
  }
  j["anomalies"] = members;
  if (const Attributions* at = AttributionsOf(incident)) {
    nlohmann::json features = nlohmann::json::array();
    for (const Attribution& f : at->features) {
      features.push_back({{"metric", f.metric},
                          {"value", Round(f.value, 1e4)},
                          {"residual", Round(f.residual, 100)}});
    }
    j["attributions"] = {
        {"score", Round(at->score, 1e4)}, {"base", Round(at->base, 1e4)}, {"features", features}};
  }
  return j;
}

Result<Incident> IncidentFromJson(const nlohmann::json& document) {
  if (!document.is_object()) return DataError("incident document: expected a JSON object");
  Incident incident;
  FieldReader in(document, "", &incident.id);  // errors name the id once it is read
  VIGIL_RETURN_IF_ERROR(in.Text("id", &incident.id, /*required=*/true));
  Anomaly& primary = incident.primary;
  VIGIL_RETURN_IF_ERROR(in.Text("metric", &primary.metric, /*required=*/true));
  VIGIL_RETURN_IF_ERROR(in.SliceField("slice", &primary.slice));
  VIGIL_RETURN_IF_ERROR(in.Time("start", &incident.start, /*required=*/true));
  VIGIL_RETURN_IF_ERROR(in.Time("end", &incident.end));
  VIGIL_RETURN_IF_ERROR(in.Named("direction", &ParseDirection, &primary.direction));
  VIGIL_RETURN_IF_ERROR(in.Number("baseline", &primary.baseline));
  VIGIL_RETURN_IF_ERROR(in.Number("observed", &primary.observed));
  VIGIL_RETURN_IF_ERROR(in.Number("relative_change", &primary.relative_change));
  VIGIL_RETURN_IF_ERROR(
      in.Named("severity", &ParseSeverity, &incident.severity, /*required=*/true));
  VIGIL_RETURN_IF_ERROR(in.Number("confidence", &primary.confidence));
  VIGIL_RETURN_IF_ERROR(in.Time("detected", &primary.detected));
  VIGIL_RETURN_IF_ERROR(in.Text("detector", &primary.detector));
  VIGIL_RETURN_IF_ERROR(in.Duration("granularity", &primary.granularity_ms));
  VIGIL_RETURN_IF_ERROR(in.Text("summary", &incident.summary));
  VIGIL_RETURN_IF_ERROR(ReadEvidence(in, &incident.evidence));
  VIGIL_RETURN_IF_ERROR(in.Text("owner", &incident.owner));
  VIGIL_RETURN_IF_ERROR(in.Texts("related", &incident.related_incidents));
  VIGIL_RETURN_IF_ERROR(in.Bool("paging", &incident.paging));
  IncidentStatus status = IncidentStatus::kOpen;
  VIGIL_RETURN_IF_ERROR(in.Named("status", &ParseIncidentStatus, &status));
  if (auto it = document.find("status"); it != document.end() && !it->is_null())
    incident.status = status;
  VIGIL_RETURN_IF_ERROR(in.Bool("retracted", &incident.retracted));
  // The members, primary first: the primary's span is its entry's; the rest are related.
  primary.start = incident.start;
  primary.end = incident.end;
  bool first = true;
  auto read_member = [&](const FieldReader& member) -> Status {
    if (!first) return ReadMember(member, &incident.related.emplace_back());
    first = false;
    Status start = member.Time("start", &primary.start);
    if (!start.ok()) return start;
    if (member.Has("end")) primary.end = 0;  // null: still open
    return member.Time("end", &primary.end);
  };
  VIGIL_RETURN_IF_ERROR(in.EachObject("anomalies", read_member));
  VIGIL_RETURN_IF_ERROR(in.Object("attributions", [&](const FieldReader& at) -> Status {
    Attributions& out = primary.attributions;
    VIGIL_RETURN_IF_ERROR(at.Number("score", &out.score));
    VIGIL_RETURN_IF_ERROR(at.Number("base", &out.base));
    return at.EachObject("features", [&](const FieldReader& f) -> Status {
      Attribution& a = out.features.emplace_back();
      VIGIL_RETURN_IF_ERROR(f.Text("metric", &a.metric, /*required=*/true));
      VIGIL_RETURN_IF_ERROR(f.Number("value", &a.value));
      return f.Number("residual", &a.residual);
    });
  }));
  return incident;
}

Result<std::string> IncidentJsonText(const Incident& incident) {
  try {
    return IncidentToJson(incident).dump();
  } catch (const nlohmann::json::exception& e) {
    return DataError("incident " + incident.id + ": " + e.what());
  }
}

Result<Incident> ParseIncidentJson(std::string_view text) {
  nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return DataError("incident document: not valid JSON");
  return IncidentFromJson(document);
}

}  // namespace vigil
