#include "vigil/templates.h"

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace vigil {
namespace {

constexpr std::string_view kVariable = "<*>";

std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

struct Cluster {
  std::vector<std::string> tokens;
  uint64_t count = 0, baseline = 0;
};

// Share of positions where the template and the tokens agree (a variable agrees with anything
// only when it is the template's; Drain counts those as matches too).
double Similarity(const std::vector<std::string>& tmpl, const std::vector<std::string>& tokens) {
  size_t same = 0;
  for (size_t i = 0; i < tmpl.size(); ++i) same += tmpl[i] == tokens[i] || tmpl[i] == kVariable;
  return tmpl.empty() ? 1.0 : static_cast<double>(same) / tmpl.size();
}

}  // namespace

std::string TemplateMiner::Mask(std::string_view message) {
  std::string out;
  for (const std::string& t : Tokens(message)) {
    bool variable = std::any_of(t.begin(), t.end(),
                                [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!out.empty()) out.push_back(' ');
    out += variable ? std::string(kVariable) : t;
  }
  return out;
}

void TemplateMiner::Add(std::string_view message, bool baseline, uint64_t count) {
  auto& counts = masked_[Mask(message)];
  (baseline ? counts.second : counts.first) += count;
}

std::vector<ErrorTemplate> TemplateMiner::Templates(double baseline_scale, size_t max) const {
  // Largest first so that the common form shapes each template; ties by text for determinism.
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> order(masked_.begin(),
                                                                           masked_.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second.first + a.second.second > b.second.first + b.second.second;
  });
  // Drain's parse tree: token count, then the first token (a variable first token its own key).
  std::map<std::pair<size_t, std::string>, std::vector<Cluster>> groups;
  for (const auto& [text, counts] : order) {
    std::vector<std::string> tokens = Tokens(text);
    auto& group = groups[{tokens.size(), tokens.empty() ? "" : tokens[0]}];
    Cluster* best = nullptr;
    double best_similarity = 0.5;
    for (Cluster& c : group) {
      double s = Similarity(c.tokens, tokens);
      if (s >= best_similarity && (!best || s > Similarity(best->tokens, tokens))) {
        best = &c;
        best_similarity = s;
      }
    }
    if (!best) {
      group.push_back({tokens, 0, 0});
      best = &group.back();
    } else {
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (best->tokens[i] != tokens[i]) best->tokens[i] = std::string(kVariable);
      }
    }
    best->count += counts.first;
    best->baseline += counts.second;
  }
  std::vector<ErrorTemplate> out;
  for (const auto& [key, clusters] : groups) {
    for (const Cluster& c : clusters) {
      std::string text;
      for (const std::string& t : c.tokens) text += (text.empty() ? "" : " ") + t;
      out.push_back({text, c.count, c.baseline});
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const ErrorTemplate& a, const ErrorTemplate& b) {
    double ia = a.count - a.baseline_count * baseline_scale,
           ib = b.count - b.baseline_count * baseline_scale;
    if (ia != ib) return ia > ib;
    if (a.count != b.count) return a.count > b.count;
    return a.text < b.text;
  });
  if (out.size() > max) out.resize(max);
  return out;
}

}  // namespace vigil
