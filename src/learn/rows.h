// Input checks shared by the models: rows must match the fitted width and be finite.
#pragma once

#include <cstddef>

#include "vigil/learn.h"
#include "vigil/status.h"

namespace vigil::internal {

/// kInvalidArgument naming the first row and feature that is NaN or infinite.
Status CheckFinite(RowsView x, const char* what);

/// kInvalidArgument when the rows do not have `features` columns.
Status CheckColumns(RowsView x, size_t features, const char* what);

}  // namespace vigil::internal
