// Token string <-> id table with allocation-free lookup by string_view.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ftcore::tok {

class Vocab {
 public:
  // Later duplicates of a token string are ignored; an id maps back to its first token.
  void build(std::vector<std::pair<std::string, std::int32_t>> entries);
  std::int32_t find(std::string_view token) const;  // -1 when absent
  const std::string* token(std::int32_t id) const;  // nullptr when absent
  std::size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, std::int32_t>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::int32_t>> entries_;
  std::vector<std::int32_t> table_;     // open addressing over entries_ indices, -1 = empty
  std::vector<std::int32_t> by_id_;     // id -> entries_ index, -1 = none
  std::size_t mask_ = 0;
};

}  // namespace ftcore::tok
