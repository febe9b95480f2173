// vigil.IsolationForest and vigil.Autoencoder: the outlier models of learn.h on numpy arrays,
// in scikit-learn's shape (fit, then scores of new rows), with per-feature attributions.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bind_common.h"
#include "vigil/learn.h"

namespace vigil::python {
namespace {

using Rows = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A 2-D array as rows; the array must outlive the view (the callers hold it).
RowsView RowsOf(const Rows& x, const char* method) {
  if (x.ndim() != 2) {
    throw StatusError(InvalidArgument(std::string(method) + ": X must be 2-dimensional (rows x " +
                                      "features), not " + std::to_string(x.ndim()) + "-D"));
  }
  return RowsView(x.data(), static_cast<size_t>(x.shape(0)), static_cast<size_t>(x.shape(1)));
}

py::array_t<double> Vector(const std::vector<double>& v) {
  return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array_t<double> Matrix(const std::vector<double>& v, size_t rows, size_t cols) {
  return py::array_t<double>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)},
                             v.data());
}

std::string_view BytesOf(const py::buffer& data, py::buffer_info* info) {
  *info = data.request();  // holds the buffer while it is read
  if (info->ndim > 1 || (info->ndim == 1 && info->strides[0] != info->itemsize)) {
    throw StatusError(InvalidArgument("from_bytes: expected contiguous bytes"));
  }
  return {static_cast<const char*>(info->ptr), static_cast<size_t>(info->size * info->itemsize)};
}

// The Python object: its options and, once fitted, an immutable model. fit() swaps in a new
// model, so a call that released the GIL keeps scoring with the model it started with.
template <typename Model, typename Options>
struct PyModel {
  explicit PyModel(const char* n) : name(n) {}

  const char* name;
  Options options;
  std::shared_ptr<const Model> model;

  std::shared_ptr<const Model> Fitted() const {
    if (!model) throw StatusError(InvalidArgument(std::string(name) + ": call fit(X) first"));
    return model;
  }

  void Fit(const Rows& x) {
    RowsView rows = RowsOf(x, "fit");
    Result<Model> fitted = InvalidArgument("");
    {
      py::gil_scoped_release nogil;
      fitted = Model::Fit(rows, options);
    }
    model = std::make_shared<const Model>(ValueOrThrow(std::move(fitted)));
  }

  py::array_t<double> Score(const Rows& x) const {
    auto m = Fitted();
    RowsView rows = RowsOf(x, "anomaly_score");
    Result<std::vector<double>> scores = InvalidArgument("");
    {
      py::gil_scoped_release nogil;
      scores = m->Score(rows);
    }
    return Vector(ValueOrThrow(std::move(scores)));
  }

  py::array_t<double> Attributions(const Rows& x) const {
    auto m = Fitted();
    RowsView rows = RowsOf(x, "attributions");
    Result<std::vector<double>> phi = InvalidArgument("");
    {
      py::gil_scoped_release nogil;
      phi = m->Attributions(rows);
    }
    return Matrix(ValueOrThrow(std::move(phi)), rows.rows, rows.cols);
  }

  py::bytes ToBytes() const {
    std::string out;
    Fitted()->Serialize(&out);
    return py::bytes(out);
  }

  void FromBytes(const py::buffer& data) {
    py::buffer_info info;
    std::string_view in = BytesOf(data, &info);
    Result<Model> read = Model::Deserialize(&in);
    Model m = ValueOrThrow(std::move(read));
    if (!in.empty()) {
      throw StatusError(Corruption(std::string(name) + ": " + std::to_string(in.size()) +
                                   " bytes after the model"));
    }
    m.set_threads(options.threads);
    model = std::make_shared<const Model>(std::move(m));
  }
};

using PyForest = PyModel<IsolationForest, IsolationForestOptions>;
using PyAutoencoder = PyModel<Autoencoder, AutoencoderOptions>;

template <typename T>
void DefineCommon(py::class_<T, std::shared_ptr<T>>* c, const char* score_doc,
                  const char* attribution_doc) {
  c->def(
       "fit",
       [](const std::shared_ptr<T>& self, const Rows& x) {
         self->Fit(x);
         return self;
       },
       py::arg("X"),
       "Fits the model on X (rows x features, finite floats) and returns self. Releases the GIL.")
      .def("anomaly_score", &T::Score, py::arg("X"), score_doc)
      .def("attributions", &T::Attributions, py::arg("X"), attribution_doc)
      .def_property_readonly(
          "n_features_in_", [](const T& self) { return self.Fitted()->features(); },
          "Features the model was fitted on.")
      .def("to_bytes", &T::ToBytes,
           "The fitted model's versioned binary form (from_bytes reads it back).");
}

}  // namespace

void init_learn(py::module_& m) {
  py::class_<PyForest, std::shared_ptr<PyForest>> forest(
      m, "IsolationForest",
      "Isolation forest (Liu, Ting & Zhou), scikit-learn's algorithm with max_features=1.0; "
      "extension_level > 0 makes it an extended isolation forest (random hyperplanes through "
      "extension_level + 1 coordinates). Seeded: the same random_state gives the same scores "
      "bit for bit, whatever n_jobs.");
  forest
      .def(py::init([](int n_estimators, int max_samples, uint64_t random_state,
                       int extension_level, int n_jobs) {
             auto self = std::make_shared<PyForest>("IsolationForest");
             self->options.n_estimators = n_estimators;
             self->options.max_samples = max_samples;
             self->options.seed = random_state;
             self->options.extension_level = extension_level;
             self->options.threads = n_jobs;
             return self;
           }),
           py::arg("n_estimators") = 100, py::arg("max_samples") = 256, py::arg("random_state") = 0,
           py::arg("extension_level") = 0, py::arg("n_jobs") = 1,
           "n_jobs: threads (0: one per core). max_samples: points per tree, at most the rows.")
      .def_property_readonly(
          "base_score", [](const PyForest& self) { return self.Fitted()->base_score(); },
          "The score of the training subsamples' mean path length: attributions of a row sum to "
          "its anomaly_score minus this.");
  DefineCommon(&forest,
               "Scores of the rows of X: 2^(-mean path length / c(psi)) in (0, 1], higher is "
               "more abnormal (the opposite of scikit-learn's score_samples). Releases the GIL.",
               "Exact TreeSHAP attributions of each row's score (rows x features): what the "
               "feature adds to the score, summing to anomaly_score(X) - base_score (see "
               "vigil/learn.h). Positive: the feature made the row look abnormal. Raises "
               "InvalidArgumentError for extended forests. Releases the GIL.");
  forest.def_static(
      "from_bytes",
      [](const py::buffer& data) {
        auto self = std::make_shared<PyForest>("IsolationForest");
        self->FromBytes(data);
        return self;
      },
      py::arg("data"), "Reads a model written by to_bytes; CorruptionError for damaged bytes.");

  py::class_<PyAutoencoder, std::shared_ptr<PyAutoencoder>> autoencoder(
      m, "Autoencoder",
      "A small dense autoencoder on robustly standardized features (median, 1.4826 MAD), "
      "trained with Adam on mini-batches, stopping early on the last validation_fraction of "
      "the rows. Seeded: the same random_state gives the same model bit for bit.");
  autoencoder
      .def(py::init([](std::optional<std::vector<int>> hidden, int epochs, int batch_size,
                       double learning_rate, double validation_fraction, int patience,
                       uint64_t random_state, int n_jobs) {
             auto self = std::make_shared<PyAutoencoder>("Autoencoder");
             if (hidden) self->options.hidden = *hidden;
             self->options.epochs = epochs;
             self->options.batch_size = batch_size;
             self->options.learning_rate = learning_rate;
             self->options.validation_fraction = validation_fraction;
             self->options.patience = patience;
             self->options.seed = random_state;
             self->options.threads = n_jobs;
             return self;
           }),
           py::arg("hidden") = py::none(), py::arg("epochs") = 100, py::arg("batch_size") = 64,
           py::arg("learning_rate") = 1e-3, py::arg("validation_fraction") = 0.1,
           py::arg("patience") = 10, py::arg("random_state") = 0, py::arg("n_jobs") = 1,
           "hidden: widths of the hidden layers (None: [h, b, h] with h = clamp(features, 4, "
           "64), b = max(1, features // 3)). n_jobs: threads for scoring (0: one per core).")
      .def_property_readonly(
          "epochs_run", [](const PyAutoencoder& self) { return self.Fitted()->epochs_run(); },
          "Epochs trained before early stopping.");
  DefineCommon(&autoencoder,
               "Mean squared reconstruction error of each row in standardized units; higher is "
               "more abnormal. Releases the GIL.",
               "Each feature's squared reconstruction error divided by the number of features "
               "(rows x features): non-negative, summing to anomaly_score(X). Releases the GIL.");
  autoencoder.def_static(
      "from_bytes",
      [](const py::buffer& data) {
        auto self = std::make_shared<PyAutoencoder>("Autoencoder");
        self->FromBytes(data);
        return self;
      },
      py::arg("data"), "Reads a model written by to_bytes; CorruptionError for damaged bytes.");
}

}  // namespace vigil::python
