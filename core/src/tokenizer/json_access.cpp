#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {

void fail(const JsonPath& at, const std::string& message) {
  std::string where = at.path.empty() ? std::string() : " (at " + at.path + ")";
  throw TokenizerError(at.source + ": " + message + where);
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
