#include "tokenizer/vocab.hpp"

#include <algorithm>
#include <functional>

namespace ftcore::tok {

void Vocab::build(std::vector<std::pair<std::string, std::int32_t>> entries) {
  std::size_t cap = 16;
  while (cap < entries.size() * 2) cap <<= 1;
  mask_ = cap - 1;
  table_.assign(cap, -1);
  entries_.clear();
  entries_.reserve(entries.size());
  std::int32_t max_id = -1;
  for (auto& e : entries) {
    std::size_t slot = std::hash<std::string_view>{}(e.first) & mask_;
    bool duplicate = false;
    while (table_[slot] >= 0) {
      if (entries_[static_cast<std::size_t>(table_[slot])].first == e.first) {
        duplicate = true;
        break;
      }
      slot = (slot + 1) & mask_;
    }
    if (duplicate) continue;
    table_[slot] = static_cast<std::int32_t>(entries_.size());
    max_id = std::max(max_id, e.second);
    entries_.push_back(std::move(e));
  }
  by_id_.assign(static_cast<std::size_t>(max_id + 1), -1);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto& slot = by_id_[static_cast<std::size_t>(entries_[i].second)];
    if (slot < 0) slot = static_cast<std::int32_t>(i);
  }
}

std::int32_t Vocab::find(std::string_view token) const {
  if (table_.empty()) return -1;
  std::size_t slot = std::hash<std::string_view>{}(token) & mask_;
  while (table_[slot] >= 0) {
    const auto& e = entries_[static_cast<std::size_t>(table_[slot])];
    if (e.first == token) return e.second;
    slot = (slot + 1) & mask_;
  }
  return -1;
}

const std::string* Vocab::token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= by_id_.size()) return nullptr;
  const std::int32_t idx = by_id_[static_cast<std::size_t>(id)];
  return idx < 0 ? nullptr : &entries_[static_cast<std::size_t>(idx)].first;
}

}  // namespace ftcore::tok
