// A small fully connected network on plain vectors: tanh hidden layers, a linear output layer,
// per-row forward and backward passes, and the Adam optimizer. The autoencoder's layers are a
// few dozen units wide, where a matrix library buys nothing over these loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vigil::internal {

class DenseNetwork {
 public:
  /// Widths of every layer, input first and output last (at least two).
  explicit DenseNetwork(std::vector<int> widths);

  const std::vector<int>& widths() const { return widths_; }
  /// Every weight and bias: per layer, the out x in weights row-major, then the out biases.
  std::vector<double>& parameters() { return parameters_; }
  const std::vector<double>& parameters() const { return parameters_; }
  /// Parameters a network of these widths has.
  static size_t ParameterCount(const std::vector<int>& widths);

  /// Glorot-uniform weights and zero biases from the stream (seed, layer).
  void Initialize(uint64_t seed);

  /// Per-row scratch: the activations of every layer and the back-propagated errors.
  struct Scratch {
    std::vector<std::vector<double>> activations;
    std::vector<std::vector<double>> deltas;
  };
  Scratch MakeScratch() const;

  /// Output for `input` (widths().front() values); returns a pointer into `scratch`.
  const double* Forward(const double* input, Scratch* scratch) const;

  /// Adds the gradient of weight * sum_j (output_j - target_j)^2 for one row (after Forward of
  /// that row into `scratch`) to `gradient` (ParameterCount values).
  void AddGradient(const double* target, double weight, Scratch* scratch,
                   std::vector<double>* gradient) const;

 private:
  std::vector<int> widths_;
  std::vector<double> parameters_;
  std::vector<size_t> offsets_;  // first parameter of each layer
};

/// Adam (Kingma & Ba 2015) over a flat parameter vector.
class Adam {
 public:
  Adam(size_t parameters, double learning_rate);
  /// One step against `gradient`.
  void Step(const std::vector<double>& gradient, std::vector<double>* parameters);

 private:
  double rate_;
  double beta1_power_ = 1, beta2_power_ = 1;
  std::vector<double> m_, v_;
};

}  // namespace vigil::internal
