// Bounds on a YAML document, checked before it is loaded into a node tree. Aliases let a small
// text stand for an exponentially large tree (a "billion laughs"), which every later walk of the
// tree would expand; deep nesting makes every recursive walk overflow the stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil::internal {

/// Largest tree a config or scenario may describe once every alias is expanded.
constexpr uint64_t kMaxYamlNodes = 100000;
/// Deepest nesting of maps and lists a config or scenario may use.
constexpr int kMaxYamlDepth = 64;

/// Ok when `text`, with its aliases expanded, has at most `max_nodes` nodes nested at most
/// `max_depth` deep; else a kConfig error naming `origin` and the line where the bound was
/// crossed. Invalid YAML is left to the loader (ok here), which reports it with its own message.
Status CheckYamlSize(std::string_view text, const std::string& origin,
                     uint64_t max_nodes = kMaxYamlNodes, int max_depth = kMaxYamlDepth);

}  // namespace vigil::internal
