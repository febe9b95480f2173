// Random worlds: a whole simulated fleet and its injected regressions drawn from one seed, so
// detection quality is measured over a distribution of worlds instead of one scenario tuned by
// hand. The world is written as scenario YAML (docs/simulator.md), which makes it readable and
// replayable with `--scenario world.yaml`.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::sim {

/// The scenario name that selects a random world (`vigil simulate --world random`).
inline constexpr const char* kRandomWorld = "random";

/// The scenario YAML of the world drawn from `seed`. The same seed gives the same text on every
/// machine (the simulator's own generator, no <random>).
std::string RandomWorldYaml(uint64_t seed);

}  // namespace vigil::sim
