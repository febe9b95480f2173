#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <string>

#include "learn/forest_model.h"
#include "learn/parallel.h"
#include "learn/rows.h"
#include "vigil/learn.h"

namespace vigil {

using internal::CheckColumns;

Result<IsolationForest> IsolationForest::Fit(RowsView x, const IsolationForestOptions& options) {
  if (x.rows < 2 || x.cols == 0) {
    return InvalidArgument("isolation forest: needs at least 2 rows and 1 feature, got " +
                           std::to_string(x.rows) + " x " + std::to_string(x.cols));
  }
  if (x.rows > UINT32_MAX) return InvalidArgument("isolation forest: more than 2^32 rows");
  if (options.n_estimators < 1 || options.n_estimators > 100000) {
    return InvalidArgument("isolation forest: n_estimators must be in [1, 100000]");
  }
  if (options.max_samples < 2) {
    return InvalidArgument("isolation forest: max_samples must be at least 2");
  }
  if (options.extension_level < 0 ||
      static_cast<size_t>(options.extension_level) >= std::max<size_t>(x.cols, 1)) {
    return InvalidArgument("isolation forest: extension_level must be in [0, features - 1] = [0, " +
                           std::to_string(x.cols - 1) + "]");
  }
  VIGIL_RETURN_IF_ERROR(internal::CheckFinite(x, "isolation forest"));

  auto model = std::make_shared<internal::ForestModel>();
  model->features = x.cols;
  model->samples = static_cast<int>(std::min<size_t>(options.max_samples, x.rows));
  model->extension_level = options.extension_level;
  // Each tree draws from its own random stream (seed, tree), so the forest is the same on any
  // number of threads.
  std::vector<internal::GrownTree> trees(options.n_estimators);
  internal::ParallelFor(trees.size(), options.threads, [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      std::vector<uint32_t> sample = internal::DrawSample(x.rows, model->samples, options.seed, t);
      trees[t] = internal::GrowTree(x, &sample, options.extension_level, options.seed, t);
    }
  });
  for (const internal::GrownTree& tree : trees) model->Append(tree);
  model->Finish();
  return IsolationForest(std::move(model), options.threads);
}

Result<std::vector<double>> IsolationForest::Score(RowsView x) const {
  VIGIL_RETURN_IF_ERROR(CheckColumns(x, model_->features, "isolation forest score"));
  std::vector<double> scores(x.rows);
  internal::ParallelFor(x.rows, threads_, [&](size_t begin, size_t end) {
    model_->PathLengths(x, begin, end, scores.data());
    for (size_t i = begin; i < end; ++i) scores[i] = model_->ScoreOf(scores[i]);
  });
  return scores;
}

Result<std::vector<double>> IsolationForest::PathLengthAttributions(RowsView x) const {
  if (model_->extension_level > 0) {
    return InvalidArgument(
        "isolation forest: attributions need axis-parallel splits (extension_level 0); a "
        "hyperplane split uses several features at once");
  }
  VIGIL_RETURN_IF_ERROR(CheckColumns(x, model_->features, "isolation forest attributions"));
  const size_t d = model_->features;
  std::vector<double> phi(x.rows * d, 0.0);
  const double scale = 1.0 / static_cast<double>(model_->roots.size());
  internal::ParallelFor(x.rows, threads_, [&](size_t begin, size_t end) {
    std::vector<internal::ShapPathElement> buffer;
    for (size_t i = begin; i < end; ++i) {
      for (size_t t = 0; t < model_->roots.size(); ++t) {
        internal::AddTreeShap(*model_, t, x.row(i), scale, phi.data() + i * d, &buffer);
      }
    }
  });
  return phi;
}

Result<std::vector<double>> IsolationForest::Attributions(RowsView x) const {
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> phi, PathLengthAttributions(x));
  const size_t d = model_->features;
  const double base = model_->base_path_length;
  const double base_s = model_->ScoreOf(base);
  internal::ParallelFor(x.rows, threads_, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const double h = model_->PathLength(x.row(i));
      const double s = model_->ScoreOf(h);
      // The secant of h -> 2^(-h / c) between the base and this row: the factor that maps the
      // path-length attributions (summing to h - base) onto the score (summing to s - base_s).
      const double factor =
          h != base ? (s - base_s) / (h - base) : -std::numbers::ln2 / model_->normalizer * s;
      for (size_t j = 0; j < d; ++j) phi[i * d + j] *= factor;
    }
  });
  return phi;
}

Result<double> IsolationForest::ConditionalPathLength(const double* row,
                                                      const std::vector<bool>& known) const {
  if (known.size() != model_->features) {
    return InvalidArgument("isolation forest: `known` has " + std::to_string(known.size()) +
                           " entries for " + std::to_string(model_->features) + " features");
  }
  if (model_->extension_level > 0) {
    return InvalidArgument("isolation forest: the value function needs axis-parallel splits");
  }
  double sum = 0;
  for (size_t t = 0; t < model_->roots.size(); ++t) {
    sum += internal::ConditionalTreeValue(*model_, t, row, known);
  }
  return sum / static_cast<double>(model_->roots.size());
}

double IsolationForest::base_path_length() const { return model_->base_path_length; }
double IsolationForest::base_score() const { return model_->ScoreOf(model_->base_path_length); }
size_t IsolationForest::features() const { return model_->features; }
int IsolationForest::n_estimators() const { return static_cast<int>(model_->roots.size()); }
int IsolationForest::samples_per_tree() const { return model_->samples; }
int IsolationForest::extension_level() const { return model_->extension_level; }

bool IsolationForest::operator==(const IsolationForest& other) const {
  const internal::ForestModel& a = *model_;
  const internal::ForestModel& b = *other.model_;
  if (a.features != b.features || a.samples != b.samples ||
      a.extension_level != b.extension_level || a.roots != b.roots ||
      a.nodes.size() != b.nodes.size() || a.normals.size() != b.normals.size()) {
    return false;
  }
  auto same_bits = [](double p, double q) {
    return std::bit_cast<uint64_t>(p) == std::bit_cast<uint64_t>(q);
  };
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const internal::IsolationNode& m = a.nodes[i];
    const internal::IsolationNode& n = b.nodes[i];
    if (m.feature != n.feature || m.left != n.left || m.size != n.size ||
        !same_bits(m.threshold, n.threshold)) {
      return false;
    }
  }
  for (size_t i = 0; i < a.normals.size(); ++i) {
    if (!same_bits(a.normals[i], b.normals[i])) return false;
  }
  return true;
}

}  // namespace vigil
