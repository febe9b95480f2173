// The `metrics` section: each metric's type and what it reads (predicates, a measure and q, or an
// expression over other metrics), then expressions resolved to metric indices without cycles.
#include <functional>

#include "config/names.h"
#include "config/sections.h"

namespace vigil {

const char* MetricTypeName(MetricType type) {
  return internal::NameOf(internal::kMetricTypeNames, type);
}

namespace internal {
namespace {

Status ReadMetricType(const YamlReader& r, const YAML::Node& node, const std::string& key,
                      MetricType* out) {
  std::string type;
  VIGIL_RETURN_IF_ERROR(r.Scalar(node, key, &type));
  std::optional<MetricType> t = ValueNamed(kMetricTypeNames, type);
  if (!t) {
    return r.Error(node, key,
                   "unknown metric type '" + type +
                       "'; expected count, rate, quantile, mean, distinct or expression" +
                       DidYouMean(type, AllNames(kMetricTypeNames)));
  }
  *out = *t;
  return Status::Ok();
}

// One metric's definition, `def` under `metrics.NAME` (`name_node` is its key, for lines).
Status ReadMetric(const YamlReader& r, const YAML::Node& name_node, const YAML::Node& def,
                  const Config& c, MetricSpec* m) {
  std::string key = "metrics." + m->name;
  if (!def.IsMap()) return r.Error(def, key, "expected a map with at least `type`");
  if (!def["type"]) return r.Error(name_node, key + ".type", "missing");
  VIGIL_RETURN_IF_ERROR(ReadMetricType(r, def["type"], key + ".type", &m->type));
  const std::string type = MetricTypeName(m->type);
  if (def["unit"]) VIGIL_RETURN_IF_ERROR(r.Scalar(def["unit"], key + ".unit", &m->unit));
  if (def["description"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(def["description"], key + ".description", &m->description));
  }
  auto predicate = [&](const char* field, std::optional<Predicate>* out) -> Status {
    std::string text;
    VIGIL_RETURN_IF_ERROR(r.Scalar(def[field], key + "." + field, &text));
    auto p = Predicate::Compile(text, c.input);
    if (!p.ok()) return r.Error(def[field], key + "." + field, p.status().message());
    *out = std::move(*p);
    return Status::Ok();
  };
  auto forbid = [&](std::initializer_list<const char*> keys) -> Status {
    for (const char* k : keys) {
      if (def[k]) return r.Error(def[k], key + "." + k, "does not apply to type " + type);
    }
    return Status::Ok();
  };
  switch (m->type) {
    case MetricType::kCount:
    case MetricType::kDistinct:
      VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "measure", "q", "expr"}));
      if (m->type == MetricType::kDistinct && c.input.device_id_field.empty()) {
        return r.Error(def["type"], key + ".type", "distinct needs input.device_id");
      }
      break;
    case MetricType::kRate:
      VIGIL_RETURN_IF_ERROR(forbid({"measure", "q", "expr"}));
      if (!def["where"]) return r.Error(name_node, key + ".where", "missing (rate needs it)");
      VIGIL_RETURN_IF_ERROR(predicate("where", &m->where));
      if (def["of"]) {
        VIGIL_RETURN_IF_ERROR(predicate("of", &m->of));
        // The numerator counts events of the denominator only: where AND of.
        auto both =
            Predicate::Compile("(" + m->where->text() + ") and (" + m->of->text() + ")", c.input);
        if (!both.ok()) return r.Error(def["where"], key + ".where", both.status().message());
        m->where = std::move(*both);
      }
      break;
    case MetricType::kQuantile:
    case MetricType::kMean: {
      VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "expr"}));
      std::string measure;
      if (!def["measure"]) return r.Error(name_node, key + ".measure", "missing");
      VIGIL_RETURN_IF_ERROR(r.Scalar(def["measure"], key + ".measure", &measure));
      for (size_t i = 0; i < c.input.measures.size(); ++i)
        if (c.input.measures[i].name == measure) m->measure = static_cast<int>(i);
      if (m->measure < 0) {
        std::vector<std::string> names;
        for (const auto& f : c.input.measures) names.push_back(f.name);
        return r.Error(def["measure"], key + ".measure",
                       "unknown measure '" + measure + "'" + DidYouMean(measure, names));
      }
      if (m->type == MetricType::kQuantile) {
        if (!def["q"]) return r.Error(name_node, key + ".q", "missing");
        VIGIL_RETURN_IF_ERROR(r.Scalar(def["q"], key + ".q", &m->q));
        if (!(m->q >= 0 && m->q <= 1)) return r.Error(def["q"], key + ".q", "must be in [0, 1]");
      } else {
        VIGIL_RETURN_IF_ERROR(forbid({"q"}));
      }
      break;
    }
    case MetricType::kExpression: {
      VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "measure", "q"}));
      std::string text;
      if (!def["expr"]) return r.Error(name_node, key + ".expr", "missing");
      VIGIL_RETURN_IF_ERROR(r.Scalar(def["expr"], key + ".expr", &text));
      auto e = MetricExpression::Parse(text);
      if (!e.ok()) return r.Error(def["expr"], key + ".expr", e.status().message());
      m->expression = std::move(*e);
      break;
    }
  }
  return Status::Ok();
}

// Expressions refer to metrics declared anywhere: resolved once all are read, cycles rejected.
Status ResolveExpressions(const YamlReader& r, const YAML::Node& node, Config* c) {
  std::vector<std::string> names;
  for (const MetricSpec& m : c->metrics) names.push_back(m.name);
  for (MetricSpec& m : c->metrics) {
    if (!m.expression) continue;
    for (const std::string& in : m.expression->inputs()) {
      int idx = c->FindMetric(in);
      if (idx < 0) {
        return r.Error(node[m.name]["expr"], "metrics." + m.name + ".expr",
                       "unknown metric '" + in + "'" + DidYouMean(in, names));
      }
      m.expression_inputs.push_back(idx);
    }
  }
  // Depth-first cycle check over expression inputs.
  std::vector<int> state(c->metrics.size(), 0);
  std::function<bool(int)> cyclic = [&](int i) {
    if (state[i] == 1) return true;
    if (state[i] == 2) return false;
    state[i] = 1;
    for (int j : c->metrics[i].expression_inputs)
      if (cyclic(j)) return true;
    state[i] = 2;
    return false;
  };
  for (size_t i = 0; i < c->metrics.size(); ++i) {
    if (cyclic(static_cast<int>(i))) {
      return r.Error(node[c->metrics[i].name], "metrics." + c->metrics[i].name + ".expr",
                     "expressions refer to each other in a cycle");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadMetrics(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  if (!node.IsMap()) return r.Error(node, "metrics", "expected a map of metric names");
  for (auto it = node.begin(); it != node.end(); ++it) {
    MetricSpec m;
    m.name = it->first.as<std::string>();
    m.line = it->first.Mark().line + 1;
    const YAML::Node def = it->second;  // a handle: the iterator's proxy is a temporary
    VIGIL_RETURN_IF_ERROR(ReadMetric(r, it->first, def, *c, &m));
    if (c->FindMetric(m.name) >= 0)
      return r.Error(it->first, "metrics." + m.name, "declared twice");
    c->metrics.push_back(std::move(m));
  }
  return ResolveExpressions(r, node, c);
}

}  // namespace internal
}  // namespace vigil
