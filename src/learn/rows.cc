#include "learn/rows.h"

#include <cmath>
#include <string>

namespace vigil::internal {

Status CheckFinite(RowsView x, const char* what) {
  for (size_t i = 0; i < x.rows; ++i) {
    const double* row = x.row(i);
    for (size_t j = 0; j < x.cols; ++j) {
      if (!std::isfinite(row[j])) {
        return InvalidArgument(std::string(what) + ": row " + std::to_string(i) + ", feature " +
                               std::to_string(j) + " is not a finite number");
      }
    }
  }
  return Status::Ok();
}

Status CheckColumns(RowsView x, size_t features, const char* what) {
  if (x.cols != features) {
    return InvalidArgument(std::string(what) + ": rows have " + std::to_string(x.cols) +
                           " features, the model was fitted on " + std::to_string(features));
  }
  if (x.rows > 0 && x.data == nullptr) return InvalidArgument(std::string(what) + ": no data");
  return Status::Ok();
}

}  // namespace vigil::internal
