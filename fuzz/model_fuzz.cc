// The outlier models' deserializers: IsolationForest (even first byte) and Autoencoder (odd).
// Properties of an accepted model: a refusal leaves the input view as it was; the model
// re-serializes to exactly the bytes it was read from (one canonical form) and reads back
// equal; it scores a few rows without crashing: forest scores in (0, 1], attributions of an
// axis-parallel forest that sum to the score minus the base score; autoencoder attributions
// that are not negative and add up to the score.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "vigil/learn.h"

namespace {

// Rows to score: zeros, ones, a ramp and large values, in the model's width.
std::vector<double> ProbeRows(size_t features) {
  std::vector<double> rows;
  for (double scale : {0.0, 1.0, -3.5, 1e6}) {
    for (size_t j = 0; j < features; ++j) rows.push_back(scale * (1 + static_cast<double>(j)));
  }
  return rows;
}

template <typename Model>
void CheckRoundTrip(const Model& model, std::string_view read) {
  std::string bytes;
  model.Serialize(&bytes);
  VIGIL_FUZZ_CHECK(bytes == read, "the model re-serializes to other bytes (%zu, read %zu)",
                   bytes.size(), read.size());
  std::string_view view = bytes;
  auto back = Model::Deserialize(&view);
  VIGIL_FUZZ_CHECK(back.ok(), "a serialized model does not read back: %s",
                   back.status().message().c_str());
  VIGIL_FUZZ_CHECK(view.empty(), "reading back left %zu bytes", view.size());
  VIGIL_FUZZ_CHECK(*back == model, "the model read back differs");
}

void CheckForest(std::string_view bytes) {
  using vigil::IsolationForest;
  std::string_view view = bytes;
  auto forest = IsolationForest::Deserialize(&view);
  if (!forest.ok()) {
    VIGIL_FUZZ_CHECK(view.size() == bytes.size(), "a refusal advanced the input");
    return;
  }
  CheckRoundTrip(*forest, bytes.substr(0, bytes.size() - view.size()));
  if (forest->features() > 64) return;  // scoring wide models only costs time
  const std::vector<double> values = ProbeRows(forest->features());
  const vigil::RowsView rows(values, forest->features());
  auto scores = forest->Score(rows);
  VIGIL_FUZZ_CHECK(scores.ok(), "scoring failed: %s", scores.status().message().c_str());
  for (double s : *scores) VIGIL_FUZZ_CHECK(s > 0 && s <= 1, "score %.17g outside (0, 1]", s);
  if (forest->extension_level() > 0) return;
  auto phi = forest->Attributions(rows);
  VIGIL_FUZZ_CHECK(phi.ok(), "attributions failed: %s", phi.status().message().c_str());
  for (size_t r = 0; r < rows.rows; ++r) {
    double sum = 0;
    for (size_t j = 0; j < rows.cols; ++j) sum += (*phi)[r * rows.cols + j];
    const double expected = (*scores)[r] - forest->base_score();
    VIGIL_FUZZ_CHECK(std::abs(sum - expected) <= 1e-9, "attributions sum to %.17g, not %.17g", sum,
                     expected);
  }
}

void CheckAutoencoder(std::string_view bytes) {
  using vigil::Autoencoder;
  std::string_view view = bytes;
  auto model = Autoencoder::Deserialize(&view);
  if (!model.ok()) {
    VIGIL_FUZZ_CHECK(view.size() == bytes.size(), "a refusal advanced the input");
    return;
  }
  CheckRoundTrip(*model, bytes.substr(0, bytes.size() - view.size()));
  if (model->features() > 64) return;
  const std::vector<double> values = ProbeRows(model->features());
  const vigil::RowsView rows(values, model->features());
  auto scores = model->Score(rows);
  auto phi = model->Attributions(rows);
  VIGIL_FUZZ_CHECK(scores.ok() && phi.ok(), "scoring failed");
  for (size_t r = 0; r < rows.rows; ++r) {
    double sum = 0;
    for (size_t j = 0; j < rows.cols; ++j) {
      const double a = (*phi)[r * rows.cols + j];
      VIGIL_FUZZ_CHECK(!(a < 0), "negative attribution %.17g", a);
      sum += a;
    }
    // Finite weights can still overflow to infinity (then NaN): the same in both.
    const double s = (*scores)[r];
    VIGIL_FUZZ_CHECK(sum == s || (std::isnan(sum) && std::isnan(s)),
                     "attributions sum to %.17g, the score is %.17g", sum, s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint8_t selector = vigil::fuzz::TakeSelector(&input);
  if (selector % 2 == 0) {
    CheckForest(input);
  } else {
    CheckAutoencoder(input);
  }
  return 0;
}
