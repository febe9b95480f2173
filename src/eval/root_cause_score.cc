// Root-cause sets scored per element, the way the Squeeze and RiskLoc evaluations count them.
#include <algorithm>
#include <set>

#include "vigil/eval.h"

namespace vigil {
namespace {

// `a=a1&b=b2;c=c3` as a set of elements, each with its attribute values in a canonical order.
std::set<std::string> Elements(std::string_view set) {
  std::set<std::string> out;
  size_t start = 0;
  while (start < set.size()) {
    size_t semi = set.find(';', start);
    std::string_view element =
        set.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    std::vector<std::string> parts;
    size_t from = 0;
    while (from < element.size()) {
      size_t amp = element.find('&', from);
      std::string_view part =
          element.substr(from, amp == std::string_view::npos ? std::string_view::npos : amp - from);
      if (!part.empty()) parts.emplace_back(part);
      from = amp == std::string_view::npos ? element.size() : amp + 1;
    }
    std::sort(parts.begin(), parts.end());
    std::string canonical;
    for (const std::string& p : parts) canonical += (canonical.empty() ? "" : "&") + p;
    if (!canonical.empty()) out.insert(canonical);
    start = semi == std::string_view::npos ? set.size() : semi + 1;
  }
  return out;
}

}  // namespace

double RootCauseScore::precision() const {
  size_t found = true_positives + false_positives;
  return found ? static_cast<double>(true_positives) / static_cast<double>(found) : 1;
}

double RootCauseScore::recall() const {
  size_t truth = true_positives + false_negatives;
  return truth ? static_cast<double>(true_positives) / static_cast<double>(truth) : 1;
}

double RootCauseScore::f1() const {
  size_t all = 2 * true_positives + false_positives + false_negatives;
  return all ? 2.0 * static_cast<double>(true_positives) / static_cast<double>(all) : 1;
}

void RootCauseScore::Add(const RootCauseScore& other) {
  cases += other.cases;
  true_positives += other.true_positives;
  false_positives += other.false_positives;
  false_negatives += other.false_negatives;
}

RootCauseScore ScoreRootCauseSet(std::string_view found, std::string_view truth) {
  std::set<std::string> f = Elements(found), t = Elements(truth);
  RootCauseScore s;
  s.cases = 1;
  for (const std::string& e : f) (t.count(e) ? s.true_positives : s.false_positives) += 1;
  for (const std::string& e : t) s.false_negatives += f.count(e) ? 0 : 1;
  return s;
}

}  // namespace vigil
