#include <map>

#include "common/text.h"
#include "vigil/detect.h"

namespace vigil {
namespace internal {
// Defined next to each built-in detector: referencing them keeps their object files (and the
// registrations in them) in a static link.
void LinkSeasonalDetector();
void LinkCusumDetectors();
void LinkNabDetector();
}  // namespace internal

namespace {
std::map<std::string, Detector::Factory>& Factories() {
  static std::map<std::string, Detector::Factory> factories;
  return factories;
}
const std::map<std::string, Detector::Factory>& RegisteredFactories() {
  internal::LinkSeasonalDetector();
  internal::LinkCusumDetectors();
  internal::LinkNabDetector();
  return Factories();
}
}  // namespace

bool Detector::Register(std::string name, Factory factory) {
  Factories()[std::move(name)] = std::move(factory);
  return true;
}

std::vector<std::string> Detector::Names() {
  std::vector<std::string> out;
  for (const auto& [name, f] : RegisteredFactories()) out.push_back(name);
  return out;
}

Result<std::unique_ptr<Detector>> Detector::Create(std::string_view name,
                                                   const DetectorOptions& options) {
  auto it = RegisteredFactories().find(std::string(name));
  if (it == RegisteredFactories().end()) {
    std::string near = Nearest(name, Names());
    std::string known;
    for (const auto& n : Names()) known += (known.empty() ? "" : ", ") + n;
    return NotFound("unknown detector '" + std::string(name) + "'" +
                    (near.empty() ? "" : "; did you mean '" + near + "'?") + " (known: " + known +
                    ")");
  }
  return it->second(options);
}

double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace vigil
