// The trained autoencoder: the standardization and the network, shared by fitting, scoring and
// the serialized form.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "learn/dense_network.h"

namespace vigil::internal {

struct AutoencoderModel {
  explicit AutoencoderModel(std::vector<int> widths) : network(std::move(widths)) {}

  size_t features() const { return center.size(); }
  /// Squared reconstruction errors of one raw row, in standardized units, into errors[0, d).
  void SquaredErrors(const double* row, DenseNetwork::Scratch* scratch,
                     std::vector<double>* standardized, double* errors) const;

  std::vector<double> center;  // per feature: the median
  std::vector<double> scale;   // per feature: the robust scale (> 0)
  DenseNetwork network;
  int epochs_run = 0;
};

}  // namespace vigil::internal
