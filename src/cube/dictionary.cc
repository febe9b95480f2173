#include "cube/dictionary.h"

#include "vigil/cube.h"

namespace vigil::internal {

uint32_t Dictionary::Encode(std::string_view value) {
  auto it = codes_.find(value);
  if (it != codes_.end()) return it->second;
  int64_t real_values = static_cast<int64_t>(values_.size()) - (other_code_ >= 0 ? 1 : 0);
  if (real_values >= limit_) {
    ++folded_events_;
    if (other_code_ < 0) {
      other_code_ = static_cast<int64_t>(values_.size());
      values_.emplace_back(kOtherValue);
      codes_.emplace(std::string(kOtherValue), static_cast<uint32_t>(other_code_));
    }
    return static_cast<uint32_t>(other_code_);
  }
  uint32_t code = static_cast<uint32_t>(values_.size());
  values_.emplace_back(value);
  codes_.emplace(std::string(value), code);
  if (value == kOtherValue) other_code_ = code;
  return code;
}

int64_t Dictionary::Find(std::string_view value) const {
  auto it = codes_.find(value);
  return it == codes_.end() ? -1 : static_cast<int64_t>(it->second);
}

bool Dictionary::Append(std::string value) {
  if (codes_.count(value)) return false;
  uint32_t code = static_cast<uint32_t>(values_.size());
  if (value == kOtherValue) other_code_ = code;
  codes_.emplace(value, code);
  values_.push_back(std::move(value));
  return true;
}

}  // namespace vigil::internal
