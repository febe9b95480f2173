// The YAML reading shared by the config and the simulator's scenarios: loading under the size
// guard, typed scalars, and unknown-key checks, every error a kConfig Status that reads
// `FILE:LINE: key 'a.b': why`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "vigil/status.h"

namespace vigil::internal {

/// Parses YAML text that passes CheckYamlSize (bounded alias expansion and nesting, see
/// config/yaml_guard.h). Text that is not YAML is a kConfig error `ORIGIN:LINE: invalid YAML: why`.
Result<YAML::Node> LoadYaml(std::string_view text, const std::string& origin);

/// `path.key`, or `key` at the top (empty path).
std::string JoinKey(const std::string& path, const std::string& key);

/// `; did you mean 'x'?` when a candidate is a likely typo of `word`, else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

/// The names separated by ", ".
std::string JoinNames(const std::vector<std::string>& names);

/// Reads the nodes of one document named `origin` (a file path or "<config>"). Every method
/// returns the first problem as a kConfig error at the node's line; none throws, except that
/// yaml-cpp throws YAML::Exception on a malformed tree such as a map key that is itself a map,
/// which callers catch once around the whole document (see Guard).
class YamlReader {
 public:
  explicit YamlReader(std::string origin) : origin_(std::move(origin)) {}

  const std::string& origin() const { return origin_; }

  /// `ORIGIN:LINE: key 'KEY': WHY` at the node's line; without the line for a missing node.
  Status Error(const YAML::Node& node, const std::string& key, const std::string& why) const;
  /// The same at a 1-based line remembered from a node (no line when 0).
  Status ErrorAtLine(int line, const std::string& key, const std::string& why) const;

  /// Runs `read` (a callable returning Status) and turns a yaml-cpp exception into a kConfig
  /// error `ORIGIN:LINE: PREFIXwhy`.
  template <typename Read>
  Status Guard(std::string_view prefix, Read&& read) const {
    try {
      return read();
    } catch (const YAML::Exception& e) {
      return ExceptionError(prefix, e);
    }
  }

  /// Ok when `map` is a map whose every key is in `allowed`; else `expected a mapping`, or
  /// `unknown key (expected one of: a, b)` at the first other key (named `path.key`).
  Status CheckKeys(const YAML::Node& map, const std::string& path,
                   std::initializer_list<const char*> allowed) const;

  /// A scalar converted by yaml-cpp's rules (`1e3`, `.inf`, `yes`): `expected a single value`
  /// for a list or map, `expected an integer, got 'x'` (or a number, true or false) otherwise.
  template <typename T>
  Status Scalar(const YAML::Node& node, const std::string& key, T* out) const {
    if (!node.IsScalar()) return Error(node, key, "expected a single value");
    try {
      *out = node.as<T>();
    } catch (const YAML::Exception&) {
      return Error(node, key,
                   std::string("expected ") + TypeName<T>() + ", got '" + node.Scalar() + "'");
    }
    return Status::Ok();
  }
  /// A list of scalars (replacing `out`'s contents): `expected a list` otherwise.
  Status StringList(const YAML::Node& node, const std::string& key,
                    std::vector<std::string>* out) const;
  /// A duration such as `5m` or `1h` (ParseDuration: one number and unit, positive).
  Status Duration(const YAML::Node& node, const std::string& key, int64_t* out) const;
  /// A scalar integer above 0.
  Status Positive(const YAML::Node& node, const std::string& key, int64_t* out) const;

  /// A finite decimal number in [lo, hi], read strictly (no `.inf`, no hexadecimal):
  /// `expected a number` for a list or map, `value V out of range [lo, hi]`.
  Status Number(const YAML::Node& node, const std::string& key, double lo, double hi,
                double* out) const;
  /// A whole decimal number in [lo, hi] (read as Number, then `expected an integer`).
  Status Integer(const YAML::Node& node, const std::string& key, int64_t lo, int64_t hi,
                 int64_t* out) const;

 private:
  template <typename T>
  static const char* TypeName() {
    if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else if constexpr (std::is_same_v<T, bool>)
      return "true or false";
    else if constexpr (std::is_integral_v<T>)
      return "an integer";
    else
      return "a number";
  }
  Status ExceptionError(std::string_view prefix, const YAML::Exception& e) const;

  std::string origin_;
};

}  // namespace vigil::internal
