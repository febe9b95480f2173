#include "config/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <unordered_map>
#include <vector>

namespace vigil::internal {
namespace {

// Thrown from the event handler to stop the parser at the first crossed bound.
struct BoundCrossed {
  int line;
  std::string why;
};

// Counts the nodes of the expanded tree from the parser's events: every collection adds its own
// size to its parent's, and an alias adds the size of the node its anchor named.
class ExpansionCounter : public YAML::EventHandler {
 public:
  ExpansionCounter(uint64_t max_nodes, int max_depth)
      : max_nodes_(max_nodes), max_depth_(max_depth) {}

  void OnDocumentStart(const YAML::Mark&) override { anchor_nodes_.clear(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchor_nodes_.find(anchor);
    Add(mark.line + 1, it == anchor_nodes_.end() ? 1 : it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Collection {
    YAML::anchor_t anchor;
    uint64_t nodes;
    int line;
  };

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchor_nodes_[anchor] = 1;
    Add(mark.line + 1, 1);
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(open_.size()) >= max_depth_) {
      throw BoundCrossed{mark.line + 1,
                         "nested more than " + std::to_string(max_depth_) + " levels deep"};
    }
    open_.push_back({anchor, 1, mark.line + 1});
  }
  void Close() {
    Collection c = open_.back();
    open_.pop_back();
    if (c.anchor != YAML::NullAnchor) anchor_nodes_[c.anchor] = c.nodes;
    Add(c.line, c.nodes);
  }
  // Sizes saturate at the bound, so no count overflows however deep the aliases go.
  void Add(int line, uint64_t n) {
    total_ = std::min(total_ + std::min(n, max_nodes_ + 1), max_nodes_ + 1);
    if (!open_.empty()) {
      uint64_t& size = open_.back().nodes;
      size = std::min(size + std::min(n, max_nodes_ + 1), max_nodes_ + 1);
    }
    if (total_ > max_nodes_ || (!open_.empty() && open_.back().nodes > max_nodes_)) {
      throw BoundCrossed{
          line, "more than " + std::to_string(max_nodes_) + " nodes once its aliases are expanded"};
    }
  }

  uint64_t max_nodes_;
  int max_depth_;
  uint64_t total_ = 0;
  std::vector<Collection> open_;
  std::unordered_map<YAML::anchor_t, uint64_t> anchor_nodes_;
};

}  // namespace

Status CheckYamlSize(std::string_view text, const std::string& origin, uint64_t max_nodes,
                     int max_depth) {
  std::istringstream in{std::string(text)};
  ExpansionCounter counter(max_nodes, max_depth);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const BoundCrossed& b) {
    return ConfigError(origin + ":" + std::to_string(b.line) + ": the YAML document is " + b.why);
  } catch (const YAML::Exception&) {
    return Status::Ok();  // the loader reports invalid YAML with its own message
  }
  return Status::Ok();
}

}  // namespace vigil::internal
