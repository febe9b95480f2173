// Multivariate outlier models over rows of numeric features: an isolation forest (with exact
// Shapley attributions), a small dense autoencoder, and a seasonal robust standardization that
// turns raw per-bucket features into residuals these models can compare across the day.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

/// Rows of feature vectors, borrowed, row-major: row i is data[i * cols, (i + 1) * cols).
struct RowsView {
  const double* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;

  RowsView() = default;
  RowsView(const double* d, size_t n, size_t c) : data(d), rows(n), cols(c) {}
  /// A view of a row-major vector holding `c` columns (its size must be a multiple of c).
  RowsView(const std::vector<double>& values, size_t c)
      : data(values.data()), rows(c == 0 ? 0 : values.size() / c), cols(c) {}
  const double* row(size_t i) const { return data + i * cols; }
};

namespace internal {
struct ForestModel;
struct AutoencoderModel;
}  // namespace internal

/// Options of IsolationForest::Fit.
struct IsolationForestOptions {
  /// Trees in the forest.
  int n_estimators = 100;
  /// Points drawn (without replacement) for each tree: psi = min(max_samples, rows).
  int max_samples = 256;
  /// Seed of every random choice; the same seed and data give bit-identical models and scores.
  uint64_t seed = 0;
  /// 0: axis-parallel splits (Liu, Ting & Zhou). k in [1, cols - 1]: extended isolation forest
  /// (Hariri et al.): each split is a random hyperplane through k + 1 of the coordinates.
  int extension_level = 0;
  /// Threads for fitting, scoring and attributions; 0: one per hardware thread. Results do not
  /// depend on it.
  int threads = 1;
};

/// Isolation forest: random trees grown to height ceil(log2(psi)) on subsamples; a point that
/// is isolated after few splits is unusual. Expected path length of a point,
/// E[h(x)] = mean over trees of (depth of the leaf reached + c(size of that leaf)), with
/// c(n) = 2 H(n - 1) - 2 (n - 1) / n the mean path length of an unsuccessful search in a binary
/// search tree of n points (c(1) = 0, c(2) = 1). Score s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1]:
/// higher is more abnormal, about 0.5 and below is ordinary. The algorithm is that of
/// scikit-learn's IsolationForest with max_features = 1.0 (features tried in random order until
/// one is not constant in the node, threshold uniform in [min, max) of the node's points).
///
/// Cost: fit O(n_estimators * psi * log psi); scoring O(rows * n_estimators * log psi);
/// attributions O(rows * n_estimators * leaves * depth^2), depth <= 8 at psi = 256.
/// Nodes of all trees are kept in one flat array (no pointers). Input must be finite.
class IsolationForest {
 public:
  /// Grows the forest on `x` (at least 1 row and 1 column, every value finite).
  static Result<IsolationForest> Fit(RowsView x, const IsolationForestOptions& options);

  /// Anomaly scores s(x) of each row; `x` must have features() columns. NaN is allowed at
  /// scoring and sends a point to the right of every split on that feature.
  Result<std::vector<double>> Score(RowsView x) const;

  /// Exact Shapley attributions of each row's score, rows × features, row-major.
  ///
  /// What is attributed: each tree's path length h_t(x) with the TreeSHAP value function
  /// v_t(S) = E[h_t(x) | x_S] (a split on a known feature follows x; a split on an unknown one
  /// averages both children weighted by the training points that reached them), so the forest's
  /// value function is v(S) = mean_t v_t(S), linear in the trees. Its exact Shapley values
  /// (PathLengthAttributions) are then mapped to score units by one factor per row,
  /// (s(x) - base_score()) / (E[h(x)] - base_path_length()), the secant of the monotone map
  /// h -> 2^(-h / c(psi)) (its derivative when the two path lengths coincide), so that
  ///   sum_i phi_i = Score(x) - base_score()      (to rounding; tested to 1e-9)
  /// where base_score() = 2^(-v(empty set) / c(psi)) is the score of the expected path length of
  /// the training subsamples (not the mean score). A positive phi_i says feature i made the point
  /// look more abnormal. The ranking of the features in a row is that of the path-length
  /// Shapley values. Extended forests (extension_level > 0): a hyperplane split uses several
  /// features at once, so there is no per-feature TreeSHAP; they return kInvalidArgument.
  Result<std::vector<double>> Attributions(RowsView x) const;

  /// The exact Shapley values of v(S) itself (path length units, rows × features): they sum to
  /// E[h(x)] - base_path_length(). Negative values make a point look more abnormal.
  Result<std::vector<double>> PathLengthAttributions(RowsView x) const;

  /// The value function v(S) of the attributions for one row: the expected path length when
  /// only the features with known[i] true are known. known.size() must be features().
  Result<double> ConditionalPathLength(const double* row, const std::vector<bool>& known) const;

  /// v(empty set): the mean path length of the training subsamples' points.
  double base_path_length() const;
  /// 2^(-base_path_length() / c(psi)).
  double base_score() const;

  size_t features() const;
  int n_estimators() const;
  /// psi, the points each tree was grown on.
  int samples_per_tree() const;
  int extension_level() const;
  /// Threads used by Score and the attributions (0: one per hardware thread).
  void set_threads(int threads) { threads_ = threads; }

  /// Appends the versioned binary form (the trees, not the thread count) to `out`.
  void Serialize(std::string* out) const;
  /// Reads one model from the front of `*in` and advances it. Corrupted or truncated bytes give
  /// a kCorruption status, never a crash; `*in` is then left unchanged.
  static Result<IsolationForest> Deserialize(std::string_view* in);

  /// Same trees (bit-equal thresholds and hyperplanes, equal sizes) and psi.
  bool operator==(const IsolationForest& other) const;

 private:
  explicit IsolationForest(std::shared_ptr<const internal::ForestModel> model, int threads)
      : model_(std::move(model)), threads_(threads) {}
  std::shared_ptr<const internal::ForestModel> model_;
  int threads_ = 1;
};

/// Options of Autoencoder::Fit.
struct AutoencoderOptions {
  /// Widths of the hidden layers, encoder to decoder (tanh units; the output layer is linear).
  /// Empty: {h, b, h} with h = clamp(cols, 4, 64) and bottleneck b = max(1, cols / 3).
  std::vector<int> hidden;
  /// Passes over the training rows at most.
  int epochs = 100;
  int batch_size = 64;
  /// Adam's step size (beta1 0.9, beta2 0.999, epsilon 1e-8).
  double learning_rate = 1e-3;
  /// The last fraction of the rows (in the given order) is held out: training stops once the
  /// held-out loss has not improved for `patience` epochs and the best weights are kept.
  /// 0: no hold-out, every epoch runs.
  double validation_fraction = 0.1;
  int patience = 10;
  /// Seed of the initial weights and the batch order: same seed and data, bit-identical model.
  uint64_t seed = 0;
  /// Threads for scoring and attributions (training is sequential, for determinism).
  int threads = 1;
};

/// A small dense autoencoder on robustly standardized features (per feature: minus the median,
/// over 1.4826 MAD), trained with Adam on the mean squared reconstruction error over
/// mini-batches. Training inputs are clipped to +-10 robust units so a few extreme rows do not
/// dominate the fit; scoring uses the unclipped values.
///
/// Score of a row: the mean over features of the squared reconstruction error in standardized
/// units. Attributions: feature i's squared error divided by the number of features, so they
/// are non-negative and sum exactly (to rounding) to the score.
/// Cost: O(rows * epochs * weights) to fit, O(rows * weights) to score.
class Autoencoder {
 public:
  /// Trains on `x` (at least 2 rows and 1 column, every value finite).
  static Result<Autoencoder> Fit(RowsView x, const AutoencoderOptions& options);
  /// Mean squared reconstruction error of each row (finite input only).
  Result<std::vector<double>> Score(RowsView x) const;
  /// Per-feature squared reconstruction error / features, rows × features, row-major.
  Result<std::vector<double>> Attributions(RowsView x) const;

  size_t features() const;
  /// Epochs run before early stopping (or the limit).
  int epochs_run() const;
  void set_threads(int threads) { threads_ = threads; }

  /// Appends the versioned binary form (standardization and weights) to `out`.
  void Serialize(std::string* out) const;
  /// Reads one model from the front of `*in`; corrupted bytes give kCorruption and leave `*in`
  /// unchanged.
  static Result<Autoencoder> Deserialize(std::string_view* in);

  /// Bit-equal standardization and weights.
  bool operator==(const Autoencoder& other) const;

 private:
  explicit Autoencoder(std::shared_ptr<const internal::AutoencoderModel> model, int threads)
      : model_(std::move(model)), threads_(threads) {}
  std::shared_ptr<const internal::AutoencoderModel> model_;
  int threads_ = 1;
};

/// Robust standardization against a seasonal baseline: each timestamp falls in a slot of the
/// season (e.g. the 288 five-minute slots of a day); a feature's baseline in a slot is the
/// median of its values there, and its scale is 1.4826 times the median absolute residual over
/// all slots (pooled, since a slot holds few points). Residual = (x - slot median) / scale,
/// so a model sees "how unusual for this time of day" instead of the daily cycle.
class SeasonalBaseline {
 public:
  /// Learns the slot medians and the scales from rows with their times (epoch ms, any order).
  /// `season_ms` must be a positive multiple of `slot_ms`. NaN values are skipped; a slot with
  /// no value of a feature uses that feature's overall median; a zero scale becomes 1.
  static Result<SeasonalBaseline> Fit(const std::vector<int64_t>& times_ms, RowsView x,
                                      int64_t season_ms, int64_t slot_ms);
  /// Residuals of rows (rows × features, row-major); NaN stays NaN.
  Result<std::vector<double>> Residuals(const std::vector<int64_t>& times_ms, RowsView x) const;

  size_t features() const { return scales_.size(); }
  size_t slots() const { return features() == 0 ? 0 : medians_.size() / features(); }
  /// The baseline of `feature` in the slot of time `t_ms`.
  double Median(int64_t t_ms, size_t feature) const;
  /// The robust scale of `feature`.
  double Scale(size_t feature) const { return scales_[feature]; }

 private:
  SeasonalBaseline() = default;
  size_t SlotOf(int64_t t_ms) const;

  int64_t season_ms_ = 0;
  int64_t slot_ms_ = 0;
  std::vector<double> medians_;  // slots × features
  std::vector<double> scales_;
};

}  // namespace vigil
