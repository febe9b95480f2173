// The metric-expression parser (`1 - failure_rate`) and the predicate compiler
// (`outcome == 'ok' and e2e < 1500 and not rephrased`, against the speech mapping); the first
// byte picks which. Properties: no crash, a message for every refusal; an accepted text
// re-compiles from its normalized form to the same text, the same inputs and the same answers
// on a few events and values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "ingest/record_parser.h"

namespace {

bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void CheckExpression(std::string_view text) {
  using namespace vigil;
  auto e = MetricExpression::Parse(text);
  if (!e.ok()) {
    VIGIL_FUZZ_CHECK(!e.status().message().empty(), "a refused expression has no message");
    return;
  }
  auto again = MetricExpression::Parse(e->text());
  VIGIL_FUZZ_CHECK(again.ok(), "'%s' does not re-parse: %s", e->text().c_str(),
                   again.status().message().c_str());
  VIGIL_FUZZ_CHECK(again->text() == e->text() && again->inputs() == e->inputs(),
                   "re-parse differs");
  const size_t n = e->inputs().size();
  for (double fill : {0.0, 1.0, -2.5, 1e308, std::nan("")}) {
    std::vector<double> values(n, fill);
    for (size_t i = 0; i < n; ++i) values[i] = fill + static_cast<double>(i);
    VIGIL_FUZZ_CHECK(SameValue(e->Evaluate(values), again->Evaluate(values)), "answers differ");
  }
}

void CheckPredicate(std::string_view text) {
  using namespace vigil;
  const Config& config = *fuzz::SpeechConfig();
  auto p = Predicate::Compile(text, config.input);
  if (!p.ok()) {
    VIGIL_FUZZ_CHECK(!p.status().message().empty(), "a refused predicate has no message");
    return;
  }
  auto again = Predicate::Compile(p->text(), config.input);
  VIGIL_FUZZ_CHECK(again.ok(), "'%s' does not re-compile: %s", p->text().c_str(),
                   again.status().message().c_str());
  VIGIL_FUZZ_CHECK(again->text() == p->text(), "re-compiled text differs");
  Event event = internal::EmptyEvent(config.input);
  for (int round = 0; round < 4; ++round) {
    for (auto& d : event.dimensions) d = round == 0 ? "" : round == 1 ? "full_duplex" : "iOS";
    for (auto& m : event.measures) m = round == 0 ? std::nan("") : round * 700.0;
    for (auto& f : event.flags)
      f = round == 0 ? FlagValue::kMissing : round % 2 ? FlagValue::kTrue : FlagValue::kFalse;
    for (auto& a : event.attributes)
      a = round == 0 ? "" : round == 1 ? "ok" : round == 2 ? "error" : "timeout";
    VIGIL_FUZZ_CHECK(p->Matches(event) == again->Matches(event), "answers differ");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  uint8_t selector = vigil::fuzz::TakeSelector(&text);
  if (selector & 1) {
    CheckPredicate(text);
  } else {
    CheckExpression(text);
  }
  return 0;
}
