#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "learn/autoencoder_model.h"
#include "learn/parallel.h"
#include "learn/random.h"
#include "learn/robust_scale.h"
#include "learn/rows.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

// Training inputs are clipped to this many robust units: a handful of rows 1e6 MADs out would
// otherwise dominate the squared loss and the fit of the ordinary rows.
constexpr double kTrainingClip = 10;
constexpr int kMaxWidth = 4096;
constexpr size_t kMaxHiddenLayers = 16;

// Streams of the random generator: the layers' initial weights use (seed, layer >= 1).
constexpr uint64_t kShuffleStream = 1000000;

Status CheckOptions(const AutoencoderOptions& o) {
  if (o.hidden.size() > kMaxHiddenLayers) {
    return InvalidArgument("autoencoder: at most 16 hidden layers");
  }
  for (int w : o.hidden) {
    if (w < 1 || w > kMaxWidth) {
      return InvalidArgument("autoencoder: hidden layer widths must be in [1, 4096]");
    }
  }
  if (o.epochs < 1) return InvalidArgument("autoencoder: epochs must be at least 1");
  if (o.batch_size < 1) return InvalidArgument("autoencoder: batch_size must be at least 1");
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) {
    return InvalidArgument("autoencoder: learning_rate must be positive");
  }
  if (!(o.validation_fraction >= 0 && o.validation_fraction <= 0.5)) {
    return InvalidArgument("autoencoder: validation_fraction must be in [0, 0.5]");
  }
  if (o.patience < 1) return InvalidArgument("autoencoder: patience must be at least 1");
  return Status::Ok();
}

std::vector<int> Widths(size_t d, const std::vector<int>& hidden) {
  std::vector<int> widths = {static_cast<int>(d)};
  if (hidden.empty()) {
    const int h = static_cast<int>(std::clamp<size_t>(d, 4, 64));
    const int b = static_cast<int>(std::max<size_t>(1, d / 3));
    widths.insert(widths.end(), {h, b, h});
  } else {
    widths.insert(widths.end(), hidden.begin(), hidden.end());
  }
  widths.push_back(static_cast<int>(d));
  return widths;
}

// Mean over rows [begin, end) of the mean squared error of reconstructing `z` (standardized).
double MeanLoss(const internal::DenseNetwork& net, const std::vector<double>& z, size_t d,
                size_t begin, size_t end, internal::DenseNetwork::Scratch* scratch) {
  double total = 0;
  for (size_t i = begin; i < end; ++i) {
    const double* x = z.data() + i * d;
    const double* y = net.Forward(x, scratch);
    double row = 0;
    for (size_t j = 0; j < d; ++j) row += (y[j] - x[j]) * (y[j] - x[j]);
    total += row / static_cast<double>(d);
  }
  return total / static_cast<double>(end - begin);
}

}  // namespace

namespace internal {

void AutoencoderModel::SquaredErrors(const double* row, DenseNetwork::Scratch* scratch,
                                     std::vector<double>* standardized, double* errors) const {
  const size_t d = features();
  standardized->resize(d);
  for (size_t j = 0; j < d; ++j) (*standardized)[j] = (row[j] - center[j]) / scale[j];
  const double* y = network.Forward(standardized->data(), scratch);
  for (size_t j = 0; j < d; ++j) {
    const double e = y[j] - (*standardized)[j];
    errors[j] = e * e;
  }
}

}  // namespace internal

Result<Autoencoder> Autoencoder::Fit(RowsView x, const AutoencoderOptions& options) {
  if (x.rows < 2 || x.cols == 0) {
    return InvalidArgument("autoencoder: needs at least 2 rows and 1 feature, got " +
                           std::to_string(x.rows) + " x " + std::to_string(x.cols));
  }
  if (x.cols > static_cast<size_t>(kMaxWidth)) {
    return InvalidArgument("autoencoder: at most 4096 features");
  }
  VIGIL_RETURN_IF_ERROR(CheckOptions(options));
  VIGIL_RETURN_IF_ERROR(internal::CheckFinite(x, "autoencoder"));
  const size_t n = x.rows, d = x.cols;
  auto model = std::make_shared<internal::AutoencoderModel>(Widths(d, options.hidden));

  // Robust standardization from every row (as the scores will see them).
  std::vector<double> column(n);
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) column[i] = x.row(i)[j];
    const double center = internal::MedianOf(&column);
    column.resize(n);
    for (size_t i = 0; i < n; ++i) column[i] = x.row(i)[j];
    model->center.push_back(center);
    model->scale.push_back(internal::RobustScaleOf(&column, center));
    column.resize(n);
  }
  std::vector<double> z(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      const double v = (x.row(i)[j] - model->center[j]) / model->scale[j];
      z[i * d + j] = std::clamp(v, -kTrainingClip, kTrainingClip);
    }
  }

  // The held-out slice is the last rows, as given: with time-ordered rows it checks that the
  // model generalizes forward in time.
  auto held_out = static_cast<size_t>(std::floor(options.validation_fraction * n));
  if (held_out >= n) held_out = n - 1;
  const size_t train = n - held_out;

  internal::DenseNetwork& net = model->network;
  net.Initialize(options.seed);
  internal::Adam adam(net.parameters().size(), options.learning_rate);
  auto scratch = net.MakeScratch();
  std::vector<double> gradient(net.parameters().size());
  std::vector<double> best = net.parameters();
  double best_loss = std::numeric_limits<double>::infinity();
  int since_best = 0;
  std::vector<uint32_t> order(train);
  for (size_t i = 0; i < train; ++i) order[i] = static_cast<uint32_t>(i);
  internal::Random shuffle(options.seed, kShuffleStream);
  const auto batch = static_cast<size_t>(options.batch_size);

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    for (size_t i = train; i > 1; --i) std::swap(order[i - 1], order[shuffle.Below(i)]);
    for (size_t b = 0; b < train; b += batch) {
      const size_t e = std::min(train, b + batch);
      std::fill(gradient.begin(), gradient.end(), 0.0);
      // The loss is the batch mean of each row's mean squared error.
      const double weight = 1.0 / static_cast<double>((e - b) * d);
      for (size_t k = b; k < e; ++k) {
        const double* row = z.data() + static_cast<size_t>(order[k]) * d;
        net.Forward(row, &scratch);
        net.AddGradient(row, weight, &scratch, &gradient);
      }
      adam.Step(gradient, &net.parameters());
    }
    model->epochs_run = epoch;
    if (held_out == 0) continue;
    const double loss = MeanLoss(net, z, d, train, n, &scratch);
    if (loss < best_loss) {
      best_loss = loss;
      best = net.parameters();
      since_best = 0;
    } else if (++since_best >= options.patience) {
      break;
    }
  }
  if (held_out > 0) net.parameters() = best;
  for (double p : net.parameters()) {
    if (!std::isfinite(p)) {
      return DataError("autoencoder: training diverged (try a smaller learning_rate)");
    }
  }
  return Autoencoder(std::move(model), options.threads);
}

Result<std::vector<double>> Autoencoder::Attributions(RowsView x) const {
  const size_t d = model_->features();
  VIGIL_RETURN_IF_ERROR(internal::CheckColumns(x, d, "autoencoder"));
  VIGIL_RETURN_IF_ERROR(internal::CheckFinite(x, "autoencoder"));
  std::vector<double> out(x.rows * d);
  internal::ParallelFor(x.rows, threads_, [&](size_t begin, size_t end) {
    auto scratch = model_->network.MakeScratch();
    std::vector<double> standardized;
    for (size_t i = begin; i < end; ++i) {
      double* errors = out.data() + i * d;
      model_->SquaredErrors(x.row(i), &scratch, &standardized, errors);
      for (size_t j = 0; j < d; ++j) errors[j] /= static_cast<double>(d);
    }
  });
  return out;
}

Result<std::vector<double>> Autoencoder::Score(RowsView x) const {
  const size_t d = model_->features();
  VIGIL_RETURN_IF_ERROR(internal::CheckColumns(x, d, "autoencoder"));
  VIGIL_RETURN_IF_ERROR(internal::CheckFinite(x, "autoencoder"));
  std::vector<double> scores(x.rows);
  internal::ParallelFor(x.rows, threads_, [&](size_t begin, size_t end) {
    auto scratch = model_->network.MakeScratch();
    std::vector<double> standardized, errors(d);
    for (size_t i = begin; i < end; ++i) {
      model_->SquaredErrors(x.row(i), &scratch, &standardized, errors.data());
      // The same sum as the attributions', so they add up to the score.
      double sum = 0;
      for (size_t j = 0; j < d; ++j) sum += errors[j] / static_cast<double>(d);
      scores[i] = sum;
    }
  });
  return scores;
}

size_t Autoencoder::features() const { return model_->features(); }
int Autoencoder::epochs_run() const { return model_->epochs_run; }

bool Autoencoder::operator==(const Autoencoder& other) const {
  const internal::AutoencoderModel& a = *model_;
  const internal::AutoencoderModel& b = *other.model_;
  auto same = [](const std::vector<double>& p, const std::vector<double>& q) {
    return std::equal(p.begin(), p.end(), q.begin(), q.end(), [](double u, double v) {
      return std::bit_cast<uint64_t>(u) == std::bit_cast<uint64_t>(v);
    });
  };
  return a.network.widths() == b.network.widths() && a.epochs_run == b.epochs_run &&
         same(a.center, b.center) && same(a.scale, b.scale) &&
         same(a.network.parameters(), b.network.parameters());
}

}  // namespace vigil
