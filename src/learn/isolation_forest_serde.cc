// The isolation forest's versioned binary form.
//
// Version 1:
//   u8 tag 'F', u8 version,
//   varint features, varint psi, varint extension level, varint trees;
//   per tree, its nodes breadth-first (the k-th split node's children are the tree's nodes
//   2k + 1 and 2k + 2, so no links are stored; the tree ends when every child has been read):
//     varint size (training points that reached the node), u8 kind (0 leaf, 1 split);
//     a split: axis: varint feature, f64 threshold;
//              extended: f64 threshold, then `features` f64 normal components.
// Leaf values, depths and the base path length are recomputed from the structure on reading,
// so they cannot disagree with it.
#include <cmath>
#include <string>

#include "common/bytes.h"
#include "learn/forest_model.h"
#include "learn/model_bytes.h"
#include "vigil/learn.h"

namespace vigil {
namespace {

constexpr uint8_t kForestTag = 0x46;  // 'F'
constexpr uint8_t kForestVersion = 1;
// Far above any forest Fit makes (psi <= 2^31, 100,000 trees), low enough that counts cannot
// overflow the arithmetic below.
constexpr uint64_t kMaxFeatures = 1 << 20;
constexpr uint64_t kMaxTrees = 100000;
constexpr uint64_t kMaxSamples = uint64_t{1} << 31;

Status ReadTree(internal::ByteReader* r, const internal::ForestModel& forest,
                internal::GrownTree* tree) {
  const bool extended = forest.extension_level > 0;
  const int limit = internal::HeightLimit(forest.samples);
  std::vector<int> depth = {0};
  uint32_t splits = 0;
  for (size_t i = 0; i < depth.size(); ++i) {
    uint64_t size = 0;
    uint8_t kind = 0;
    VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(r, &size));
    VIGIL_RETURN_IF_ERROR(r->U8(&kind));
    if (size > static_cast<uint64_t>(forest.samples)) return r->Error("node size exceeds psi");
    internal::IsolationNode node;
    node.size = static_cast<uint32_t>(size);
    if (kind > 1) return r->Error("unknown node kind " + std::to_string(kind));
    if (kind == 1) {
      if (depth[i] >= limit) return r->Error("split below the height limit");
      if (extended) {
        VIGIL_RETURN_IF_ERROR(r->F64(&node.threshold));
        if (r->remaining() < 8 * forest.features) return r->Error("hyperplane truncated");
        node.feature = static_cast<int32_t>(tree->normals.size() / forest.features);
        for (size_t j = 0; j < forest.features; ++j) {
          double w = 0;
          VIGIL_RETURN_IF_ERROR(r->F64(&w));
          if (!std::isfinite(w)) return r->Error("hyperplane component not finite");
          tree->normals.push_back(w);
        }
      } else {
        uint64_t feature = 0;
        VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(r, &feature));
        if (feature >= forest.features) return r->Error("split feature out of range");
        node.feature = static_cast<int32_t>(feature);
        VIGIL_RETURN_IF_ERROR(r->F64(&node.threshold));
      }
      if (!std::isfinite(node.threshold)) return r->Error("threshold not finite");
      node.left = 2 * splits + 1;
      ++splits;
      depth.push_back(depth[i] + 1);
      depth.push_back(depth[i] + 1);
    }
    tree->nodes.push_back(node);
  }
  // Sizes add up: the root holds psi points, a split node's children hold all of its points,
  // and axis-parallel children are never empty (TreeSHAP divides by them).
  if (tree->nodes[0].size != static_cast<uint32_t>(forest.samples)) {
    return r->Error("root size differs from psi");
  }
  for (const internal::IsolationNode& n : tree->nodes) {
    if (n.feature < 0) {
      if (!extended && n.size == 0) return r->Error("empty leaf");
      continue;
    }
    const uint64_t l = tree->nodes[n.left].size, rr = tree->nodes[n.left + 1].size;
    if (l + rr != n.size) return r->Error("children sizes do not add up");
    if (!extended && (l == 0 || rr == 0)) return r->Error("empty child of an axis split");
  }
  return Status::Ok();
}

}  // namespace

void IsolationForest::Serialize(std::string* out) const {
  const internal::ForestModel& f = *model_;
  internal::ByteWriter w(out);
  w.U8(kForestTag);
  w.U8(kForestVersion);
  w.Varint(f.features);
  w.Varint(static_cast<uint64_t>(f.samples));
  w.Varint(static_cast<uint64_t>(f.extension_level));
  w.Varint(f.roots.size());
  for (const internal::IsolationNode& n : f.nodes) {
    w.Varint(n.size);
    w.U8(n.feature >= 0 ? 1 : 0);
    if (n.feature < 0) continue;
    if (f.extension_level > 0) {
      w.F64(n.threshold);
      const double* normal = f.normals.data() + static_cast<size_t>(n.feature) * f.features;
      for (size_t j = 0; j < f.features; ++j) w.F64(normal[j]);
    } else {
      w.Varint(static_cast<uint64_t>(n.feature));
      w.F64(n.threshold);
    }
  }
}

Result<IsolationForest> IsolationForest::Deserialize(std::string_view* in) {
  internal::ByteReader r(*in, "isolation forest");
  uint8_t tag = 0, version = 0;
  VIGIL_RETURN_IF_ERROR(r.U8(&tag));
  if (tag != kForestTag) return r.Error("wrong type tag " + std::to_string(tag));
  VIGIL_RETURN_IF_ERROR(r.U8(&version));
  if (version != kForestVersion) return r.Error("unsupported version " + std::to_string(version));
  uint64_t features = 0, samples = 0, extension = 0, trees = 0;
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &features));
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &samples));
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &extension));
  VIGIL_RETURN_IF_ERROR(internal::ReadShortestVarint(&r, &trees));
  if (features == 0 || features > kMaxFeatures) return r.Error("feature count out of range");
  if (samples < 2 || samples > kMaxSamples) return r.Error("psi out of range");
  if (extension >= features) return r.Error("extension level out of range");
  // Every tree takes at least 2 bytes: a count beyond the bytes left is corrupt, not a reason
  // to reserve memory.
  if (trees == 0 || trees > kMaxTrees || trees > r.remaining() / 2) {
    return r.Error("tree count out of range");
  }
  auto model = std::make_shared<internal::ForestModel>();
  model->features = features;
  model->samples = static_cast<int>(samples);
  model->extension_level = static_cast<int>(extension);
  for (uint64_t t = 0; t < trees; ++t) {
    internal::GrownTree tree;
    VIGIL_RETURN_IF_ERROR(ReadTree(&r, *model, &tree));
    model->Append(tree);
  }
  model->Finish();
  in->remove_prefix(r.position());
  return IsolationForest(std::move(model), 1);
}

}  // namespace vigil
