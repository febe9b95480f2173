// The autoencoder's versioned binary form.
//
// Version 1:
//   u8 tag 'A', u8 version,
//   varint features, varint hidden layers, varint width of each hidden layer,
//   f64 median per feature, f64 scale per feature (finite, > 0),
//   f64 parameters (per layer: out x in weights row-major, then out biases; all finite),
//   varint epochs run.
#include <cmath>
#include <string>

#include "common/bytes.h"
#include "learn/autoencoder_model.h"
#include "learn/model_bytes.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

constexpr uint8_t kAutoencoderTag = 0x41;  // 'A'
constexpr uint8_t kAutoencoderVersion = 1;
constexpr uint64_t kMaxWidth = 4096;
constexpr uint64_t kMaxHiddenLayers = 16;

Status ReadFinite(internal::ByteReader* r, size_t n, std::vector<double>* out, const char* what) {
  if (r->remaining() / 8 < n) return r->Error(std::string(what) + " truncated");
  out->resize(n);
  for (double& v : *out) {
    VIGIL_RETURN_IF_ERROR(r->F64(&v));
    if (!std::isfinite(v)) return r->Error(std::string(what) + " not finite");
  }
  return Status::Ok();
}

}  // namespace

void Autoencoder::Serialize(std::string* out) const {
  const internal::AutoencoderModel& m = *model_;
  internal::ByteWriter w(out);
  w.U8(kAutoencoderTag);
  w.U8(kAutoencoderVersion);
  const std::vector<int>& widths = m.network.widths();
  w.Varint(m.features());
  w.Varint(widths.size() - 2);
  for (size_t l = 1; l + 1 < widths.size(); ++l) w.Varint(static_cast<uint64_t>(widths[l]));
  for (double v : m.center) w.F64(v);
  for (double v : m.scale) w.F64(v);
  for (double v : m.network.parameters()) w.F64(v);
  w.Varint(static_cast<uint64_t>(m.epochs_run));
}

Result<Autoencoder> Autoencoder::Deserialize(std::string_view* in) {
  internal::ByteReader r(*in, "autoencoder");
  uint8_t tag = 0, version = 0;
  VIGIL_RETURN_IF_ERROR(r.U8(&tag));
  if (tag != kAutoencoderTag) return r.Error("wrong type tag " + std::to_string(tag));
  VIGIL_RETURN_IF_ERROR(r.U8(&version));
  if (version != kAutoencoderVersion) {
    return r.Error("unsupported version " + std::to_string(version));
  }
  uint64_t features = 0, hidden = 0;
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &features));
  if (features == 0 || features > kMaxWidth) return r.Error("feature count out of range");
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &hidden));
  if (hidden == 0 || hidden > kMaxHiddenLayers) return r.Error("hidden layer count out of range");
  std::vector<int> widths = {static_cast<int>(features)};
  for (uint64_t l = 0; l < hidden; ++l) {
    uint64_t width = 0;
    VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &width));
    if (width == 0 || width > kMaxWidth) return r.Error("layer width out of range");
    widths.push_back(static_cast<int>(width));
  }
  widths.push_back(static_cast<int>(features));
  // Checked before the network allocates its parameters: a count beyond the bytes left is
  // corrupt, not a reason to reserve memory.
  const size_t parameters = internal::DenseNetwork::ParameterCount(widths);
  if (r.remaining() / 8 < parameters + 2 * features) return r.Error("parameters truncated");
  auto model = std::make_shared<internal::AutoencoderModel>(widths);
  VIGIL_RETURN_IF_ERROR(ReadFinite(&r, features, &model->center, "medians"));
  VIGIL_RETURN_IF_ERROR(ReadFinite(&r, features, &model->scale, "scales"));
  for (double s : model->scale) {
    if (!(s > 0)) return r.Error("scale not positive");
  }
  VIGIL_RETURN_IF_ERROR(ReadFinite(&r, parameters, &model->network.parameters(), "parameters"));
  uint64_t epochs = 0;
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &epochs));
  if (epochs > INT32_MAX) return r.Error("epoch count out of range");
  model->epochs_run = static_cast<int>(epochs);
  in->remove_prefix(r.position());
  return Autoencoder(std::move(model), 1);
}

}  // namespace vigil
