// Errors as values: every fallible engine call returns a Status or a Result<T>.
// Front ends map codes to exit codes (CLI), HTTP status (server) or exceptions (Python).
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

/// The one table of error codes. The CLI maps kInvalidArgument, kConfig and kNotFound to exit
/// code 2 (bad usage or config) and every other failure to exit code 1.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  ///< bad usage: a flag, a slice, a time range
  kConfig,           ///< the configuration file is invalid
  kNotFound,         ///< a named file, metric or dimension does not exist
  kIoError,          ///< a file or database could not be read or written
  kDataError,        ///< input data unusable as a whole (empty, every line bad)
  kCorruption,       ///< serialized bytes failed validation
  kLimitExceeded,    ///< a configured limit was reached
  kInternal,         ///< a bug: an invariant did not hold
};

/// Short lowercase name of a code ("config", "io", ...).
const char* StatusCodeName(StatusCode code);

/// The CLI exit code for a status: 0 ok, 2 bad usage or config, 1 any other failure.
int ExitCodeFor(StatusCode code);

/// Outcome of an operation: ok, or a code with a message meant for a person.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "code: message", for logs.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status ConfigError(std::string m) { return {StatusCode::kConfig, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status DataError(std::string m) { return {StatusCode::kDataError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

/// A value or the Status that explains why there is none (g++ 12 has no std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    if (std::get<Status>(data_).ok())
      data_ = Status(StatusCode::kInternal, "Result from ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace vigil

#define VIGIL_CONCAT_INNER_(a, b) a##b
#define VIGIL_CONCAT_(a, b) VIGIL_CONCAT_INNER_(a, b)

/// Returns the Status of `expr` from the enclosing function when it is not ok.
// The temporary is named by line so that a nested use (an `expr` that itself expands this
// macro, e.g. inside a lambda) does not shadow the outer one.
#define VIGIL_RETURN_IF_ERROR(expr) \
  VIGIL_RETURN_IF_ERROR_IMPL_(VIGIL_CONCAT_(vigil_status_, __COUNTER__), expr)
// `tmp` names a variable: it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define VIGIL_RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                         \
    ::vigil::Status tmp = (expr);              \
    if (!tmp.ok()) return tmp;                 \
  } while (0)
// NOLINTEND(bugprone-macro-parentheses)

/// `VIGIL_ASSIGN_OR_RETURN(auto x, MakeX())`: binds the value or returns the error.
#define VIGIL_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL_(VIGIL_CONCAT_(vigil_result_, __LINE__), lhs, expr)
// `tmp` is an identifier and `lhs` a declaration (`auto x`): neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define VIGIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

/// An invariant of the engine (a bug if false); never used for input validation.
#define VIGIL_CHECK(cond)                                                   \
  do {                                                                      \
    if (!(cond)) ::vigil::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace vigil::internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}  // namespace vigil::internal
