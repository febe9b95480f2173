#include "vigil/status.h"

#include <cstdio>

namespace vigil {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kConfig:
      return "config";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kIoError:
      return "io";
    case StatusCode::kDataError:
      return "data";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kLimitExceeded:
      return "limit exceeded";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kConfig:
    case StatusCode::kNotFound:
      return 2;
    default:
      return 1;
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

namespace internal {
void CheckFailed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "vigil: internal check failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}
}  // namespace internal

}  // namespace vigil
