#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {

struct JsonPath::Node {
  std::shared_ptr<const Node> parent;
  std::string key;  // a key, or the root path text; empty for an index
  std::size_t index = 0;
  bool is_index = false;
  std::size_t count = 1;  // parts up to this one
};

JsonPath::JsonPath(std::string source, std::string path)
    : source_(std::make_shared<const std::string>(std::move(source))) {
  if (!path.empty()) node_ = std::make_shared<const Node>(Node{nullptr, std::move(path), 0, false, 1});
}

JsonPath JsonPath::child(const std::string& key) const {
  return JsonPath(source_, std::make_shared<const Node>(Node{node_, key, 0, false, node_ ? node_->count + 1 : 1}),
                  nesting_);
}

JsonPath JsonPath::index(std::size_t i) const {
  return JsonPath(source_, std::make_shared<const Node>(Node{node_, "", i, true, node_ ? node_->count + 1 : 1}),
                  nesting_);
}

JsonPath JsonPath::part(const std::string& key, std::size_t i) const {
  JsonPath p = child(key).index(i);
  p.nesting_ = nesting_ + 1;
  return p;
}

std::string JsonPath::path() const {
  constexpr std::size_t kEnds = 6;  // parts kept at each end of a long path
  std::vector<const Node*> parts;
  for (const Node* n = node_.get(); n; n = n->parent.get()) parts.push_back(n);
  std::reverse(parts.begin(), parts.end());
  auto join = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t k = from; k < to; ++k) {
      if (parts[k]->is_index) {
        out += "[" + std::to_string(parts[k]->index) + "]";
      } else {
        if (!out.empty()) out += '.';
        out += parts[k]->key;
      }
    }
    return out;
  };
  if (parts.size() <= 3 * kEnds) return join(0, parts.size());
  // Cut between whole parts: never between a key and its [index].
  std::size_t head = kEnds, tail = parts.size() - kEnds;
  while (head < tail && parts[head]->is_index) ++head;
  while (tail > head && parts[tail]->is_index) --tail;
  return join(0, head) + " ... (" + std::to_string(tail - head) + " more parts) ... " + join(tail, parts.size());
}

void check_nesting(const JsonPath& at, const std::string& kind) {
  if (at.nesting() >= kMaxComponentNesting) {
    fail(at, "Sequence " + kind + "s nest more than " + std::to_string(kMaxComponentNesting) +
                 " levels deep (ftcore's limit; real tokenizer.json files nest 2 or 3)");
  }
}

void fail(const JsonPath& at, const std::string& message) {
  const std::string path = at.path();
  std::string where = path.empty() ? std::string() : " (at " + path + ")";
  throw TokenizerError(at.source() + ": " + message + where);
}

void unsupported(const JsonPath& at, const std::string& kind, const std::string& type) {
  fail(at, kind + " type '" + type + "' is not supported");
}

const nlohmann::json& require(const nlohmann::json& obj, const std::string& key, const JsonPath& at) {
  if (!obj.is_object()) fail(at, "expected an object");
  const auto it = obj.find(key);
  if (it == obj.end()) fail(at, "missing field '" + key + "'");
  return *it;
}

std::string get_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at) {
  const auto& v = require(obj, key, at);
  if (!v.is_string()) fail(at.child(key), "expected a string");
  return v.get<std::string>();
}

std::string optional_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at,
                            const std::string& fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(at.child(key), "expected a string");
  return it->get<std::string>();
}

bool get_bool(const nlohmann::json& obj, const std::string& key, const JsonPath& at, bool fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(at.child(key), "expected true or false");
  return it->get<bool>();
}

std::int64_t get_int(const nlohmann::json& obj, const std::string& key, const JsonPath& at) {
  const auto& v = require(obj, key, at);
  if (!v.is_number_integer()) fail(at.child(key), "expected an integer");
  return v.get<std::int64_t>();
}

std::string type_of(const nlohmann::json& obj, const JsonPath& at) {
  if (!obj.is_object()) fail(at, "expected an object with a 'type' field");
  return get_string(obj, "type", at);
}

}  // namespace ftcore::tok
