#include "cube/dictionary.h"

#include "vigil/cube.h"

namespace vigil::internal {

int64_t Dictionary::FindHashed(std::string_view value, uint64_t hash, size_t* slot) const {
  size_t mask = slot_code_.size() - 1;
  size_t i = hash & mask;
  while (uint32_t c = slot_code_[i]) {
    if (slot_hash_[i] == hash && values_[c - 1] == value) return c - 1;
    i = (i + 1) & mask;
  }
  *slot = i;
  return -1;
}

void Dictionary::Insert(std::string value, uint64_t hash, size_t slot) {
  uint32_t code = static_cast<uint32_t>(values_.size());
  if (value == kOtherValue) other_code_ = code;
  values_.push_back(std::move(value));
  slot_hash_[slot] = hash;
  slot_code_[slot] = code + 1;
  if (values_.size() * 2 > slot_code_.size()) {
    std::vector<uint64_t> hashes(slot_code_.size() * 2, 0);
    std::vector<uint32_t> codes(slot_code_.size() * 2, 0);
    size_t mask = codes.size() - 1;
    for (size_t i = 0; i < slot_code_.size(); ++i) {
      if (!slot_code_[i]) continue;
      size_t j = slot_hash_[i] & mask;
      while (codes[j]) j = (j + 1) & mask;
      hashes[j] = slot_hash_[i];
      codes[j] = slot_code_[i];
    }
    slot_hash_.swap(hashes);
    slot_code_.swap(codes);
  }
}

uint32_t Dictionary::Encode(std::string_view value) {
  uint64_t hash = Hash64(value);
  size_t slot;
  int64_t code = FindHashed(value, hash, &slot);
  if (code >= 0) return static_cast<uint32_t>(code);
  int64_t real_values = static_cast<int64_t>(values_.size()) - (other_code_ >= 0 ? 1 : 0);
  if (real_values >= limit_) {
    ++folded_events_;
    if (other_code_ < 0) {
      uint64_t other_hash = Hash64(kOtherValue);
      size_t other_slot;
      FindHashed(kOtherValue, other_hash, &other_slot);
      Insert(std::string(kOtherValue), other_hash, other_slot);
    }
    return static_cast<uint32_t>(other_code_);
  }
  Insert(std::string(value), hash, slot);
  return static_cast<uint32_t>(values_.size() - 1);
}

int64_t Dictionary::Find(std::string_view value) const {
  size_t slot;
  return FindHashed(value, Hash64(value), &slot);
}

bool Dictionary::Append(std::string value) {
  uint64_t hash = Hash64(value);
  size_t slot;
  if (FindHashed(value, hash, &slot) >= 0) return false;
  Insert(std::move(value), hash, slot);
  return true;
}

}  // namespace vigil::internal
