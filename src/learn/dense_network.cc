#include "learn/dense_network.h"

#include <cmath>
#include <utility>

#include "learn/random.h"

namespace vigil::internal {

size_t DenseNetwork::ParameterCount(const std::vector<int>& widths) {
  size_t n = 0;
  for (size_t l = 1; l < widths.size(); ++l) {
    n += static_cast<size_t>(widths[l]) * (static_cast<size_t>(widths[l - 1]) + 1);
  }
  return n;
}

DenseNetwork::DenseNetwork(std::vector<int> widths) : widths_(std::move(widths)) {
  size_t offset = 0;
  for (size_t l = 1; l < widths_.size(); ++l) {
    offsets_.push_back(offset);
    offset += static_cast<size_t>(widths_[l]) * (static_cast<size_t>(widths_[l - 1]) + 1);
  }
  parameters_.assign(offset, 0.0);
}

void DenseNetwork::Initialize(uint64_t seed) {
  for (size_t l = 1; l < widths_.size(); ++l) {
    const auto in = static_cast<size_t>(widths_[l - 1]), out = static_cast<size_t>(widths_[l]);
    // Glorot: keeps the variance of activations and gradients about equal across tanh layers.
    const double limit = std::sqrt(6.0 / static_cast<double>(in + out));
    Random rng(seed, l);
    double* w = parameters_.data() + offsets_[l - 1];
    for (size_t i = 0; i < in * out; ++i) w[i] = rng.Uniform(-limit, limit);
    for (size_t i = 0; i < out; ++i) w[in * out + i] = 0;
  }
}

DenseNetwork::Scratch DenseNetwork::MakeScratch() const {
  Scratch s;
  for (int w : widths_) {
    s.activations.emplace_back(static_cast<size_t>(w), 0.0);
    s.deltas.emplace_back(static_cast<size_t>(w), 0.0);
  }
  return s;
}

const double* DenseNetwork::Forward(const double* input, Scratch* scratch) const {
  std::vector<double>& first = scratch->activations[0];
  first.assign(input, input + widths_[0]);
  const size_t layers = widths_.size() - 1;
  for (size_t l = 1; l <= layers; ++l) {
    const auto in = static_cast<size_t>(widths_[l - 1]), out = static_cast<size_t>(widths_[l]);
    const double* w = parameters_.data() + offsets_[l - 1];
    const double* b = w + in * out;
    const std::vector<double>& a = scratch->activations[l - 1];
    std::vector<double>& z = scratch->activations[l];
    for (size_t o = 0; o < out; ++o) {
      double sum = b[o];
      const double* row = w + o * in;
      for (size_t i = 0; i < in; ++i) sum += row[i] * a[i];
      z[o] = l == layers ? sum : std::tanh(sum);
    }
  }
  return scratch->activations.back().data();
}

void DenseNetwork::AddGradient(const double* target, double weight, Scratch* scratch,
                               std::vector<double>* gradient) const {
  const size_t layers = widths_.size() - 1;
  {
    const std::vector<double>& y = scratch->activations[layers];
    std::vector<double>& delta = scratch->deltas[layers];
    for (size_t j = 0; j < y.size(); ++j) delta[j] = 2.0 * weight * (y[j] - target[j]);
  }
  for (size_t l = layers; l >= 1; --l) {
    const auto in = static_cast<size_t>(widths_[l - 1]), out = static_cast<size_t>(widths_[l]);
    const double* w = parameters_.data() + offsets_[l - 1];
    double* gw = gradient->data() + offsets_[l - 1];
    double* gb = gw + in * out;
    const std::vector<double>& a = scratch->activations[l - 1];
    const std::vector<double>& delta = scratch->deltas[l];
    for (size_t o = 0; o < out; ++o) {
      double* row = gw + o * in;
      for (size_t i = 0; i < in; ++i) row[i] += delta[o] * a[i];
      gb[o] += delta[o];
    }
    if (l == 1) break;
    // Through the tanh of layer l - 1: d tanh(z) / dz = 1 - tanh(z)^2.
    std::vector<double>& below = scratch->deltas[l - 1];
    for (size_t i = 0; i < in; ++i) {
      double sum = 0;
      for (size_t o = 0; o < out; ++o) sum += w[o * in + i] * delta[o];
      below[i] = sum * (1.0 - a[i] * a[i]);
    }
  }
}

Adam::Adam(size_t parameters, double learning_rate)
    : rate_(learning_rate), m_(parameters, 0.0), v_(parameters, 0.0) {}

void Adam::Step(const std::vector<double>& gradient, std::vector<double>* parameters) {
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
  beta1_power_ *= kBeta1;
  beta2_power_ *= kBeta2;
  const double c1 = 1.0 / (1.0 - beta1_power_), c2 = 1.0 / (1.0 - beta2_power_);
  for (size_t i = 0; i < gradient.size(); ++i) {
    m_[i] = kBeta1 * m_[i] + (1 - kBeta1) * gradient[i];
    v_[i] = kBeta2 * v_[i] + (1 - kBeta2) * gradient[i] * gradient[i];
    (*parameters)[i] -= rate_ * (m_[i] * c1) / (std::sqrt(v_[i] * c2) + kEpsilon);
  }
}

}  // namespace vigil::internal
