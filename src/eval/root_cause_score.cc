// Root-cause sets scored per element, the way the Squeeze and RiskLoc evaluations count them.
#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "vigil/eval.h"

namespace vigil {
namespace {

// The non-empty parts of `text` between `separator`s.
std::vector<std::string_view> Parts(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t cut = text.find(separator, start);
    if (cut == std::string_view::npos) cut = text.size();
    if (cut > start) out.push_back(text.substr(start, cut - start));
    start = cut + 1;
  }
  return out;
}

// `a=a1&b=b2;c=c3` as a set of elements, each with its attribute values in a canonical order.
std::set<std::string> Elements(std::string_view set) {
  std::set<std::string> out;
  for (std::string_view element : Parts(set, ';')) {
    std::vector<std::string_view> attributes = Parts(element, '&');
    std::sort(attributes.begin(), attributes.end());
    std::string canonical;
    for (std::string_view a : attributes) {
      if (!canonical.empty()) canonical += '&';
      canonical += a;
    }
    if (!canonical.empty()) out.insert(canonical);
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
