#pragma once
// Helpers for writing DatasetFormat::convert and score: typed field access that throws
// FormatError with the field's path, and the tool-call parsing shared by chat formats.
// Header-only, so out-of-tree format plugins can use it without linking anything new.
//
// Paths look like "messages[1].tool_calls[0].function.arguments"; "" is the record itself.
// Error messages quote the full path: "'output' must be a string, got number".

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "ftcore/dataset_format.hpp"
#include "ftcore/sample.hpp"

namespace ftcore::format_util {

using json = nlohmann::json;

// ---- paths and messages ---------------------------------------------------------------------

/// JSON type of `value` as users know it: "object", "array", "string", "number", "boolean", "null".
inline std::string type_name(const json& value) { return value.type_name(); }

/// "prefix.key", or just "key" at the top of the record.
inline std::string field_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

/// "prefix[index]".
inline std::string index_path(const std::string& prefix, std::size_t index) {
  return prefix + "[" + std::to_string(index) + "]";
}

/// Throws FormatError(path, "'path' must be <expected>, got <type>"); `expected` reads
/// like "a string" or "an array of [user, assistant] pairs".
[[noreturn]] inline void throw_wrong_type(const std::string& path, const std::string& expected,
                                          const json& actual) {
  throw FormatError(path, "'" + path + "' must be " + expected + ", got " + type_name(actual));
}

/// Throws FormatError("", "<format> records must be JSON objects, got <type>") unless `record`
/// is an object.
inline void require_record_object(const json& record, const std::string& format) {
  if (!record.is_object()) {
    throw FormatError("", format + " records must be JSON objects, got " + type_name(record));
  }
}

/// Throws FormatError(path, "'path' must be an object, got <type>") unless `value` is an object.
inline void require_object_value(const json& value, const std::string& path) {
  if (!value.is_object()) throw_wrong_type(path, "an object", value);
}

// ---- messages -------------------------------------------------------------------------------

/// A message holding plain text; assistant turns train, the others do not.
inline Message text_message(Role role, std::string content) {
  Message message;
  message.role = role;
  message.content = std::move(content);
  message.train = role == Role::assistant;
  return message;
}

// ---- fields of an object --------------------------------------------------------------------

/// The member `key` of `object`, or nullptr when it is absent or null (optional fields treat
/// null as absent). `object` must be an object.
inline const json* find_member(const json& object, const std::string& key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

/// The member `key` of `object`; throws "missing required field 'path'" (followed by
/// " (hint)" when a hint is given) when absent. A null value counts as present, so the
/// caller's type check reports "got null".
inline const json& require_member(const json& object, const std::string& key,
                                  const std::string& prefix, const std::string& hint = "") {
  auto it = object.find(key);
  if (it == object.end()) {
    const std::string path = field_path(prefix, key);
    throw FormatError(path, "missing required field '" + path + "'" +
                                (hint.empty() ? "" : " (" + hint + ")"));
  }
  return *it;
}

/// The string member `key`; throws when absent or not a string.
inline std::string require_string(const json& object, const std::string& key,
                                  const std::string& prefix, const std::string& hint = "") {
  const json& value = require_member(object, key, prefix, hint);
  if (!value.is_string()) throw_wrong_type(field_path(prefix, key), "a string", value);
  return value.get<std::string>();
}

/// The string member `key`, std::nullopt when absent or null; throws when of another type.
inline std::optional<std::string> optional_string(const json& object, const std::string& key,
                                                  const std::string& prefix) {
  const json* value = find_member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw_wrong_type(field_path(prefix, key), "a string", *value);
  return value->get<std::string>();
}

/// The array member `key`; throws when absent or not an array.
inline const json& require_array(const json& object, const std::string& key,
                                 const std::string& prefix, const std::string& hint = "") {
  const json& value = require_member(object, key, prefix, hint);
  if (!value.is_array()) throw_wrong_type(field_path(prefix, key), "an array", value);
  return value;
}

/// The object member `key`; throws when absent or not an object.
inline const json& require_object(const json& object, const std::string& key,
                                  const std::string& prefix, const std::string& hint = "") {
  const json& value = require_member(object, key, prefix, hint);
  require_object_value(value, field_path(prefix, key));
  return value;
}

// ---- scoring --------------------------------------------------------------------------------

/// A key a format requires and the JSON type it must have.
struct KeySpec {
  const char* key;
  json::value_t type;
};

/// How well `record` carries the `required` keys, for DatasetFormat::score:
///   0    not an object, or none of the keys present;
///   0.3  some keys present, others missing (convert will name the missing one);
///   0.5  all present, some of the wrong type (convert will name the wrong one);
///   1    all present with the right types.
/// The middle values let auto-detection pick the intended format so that its convert()
/// reports the precise error. Never throws.
inline double score_keys(const json& record, std::initializer_list<KeySpec> required) {
  if (!record.is_object()) return 0.0;
  std::size_t present = 0;
  bool types_match = true;
  for (const KeySpec& spec : required) {
    auto it = record.find(spec.key);
    if (it == record.end()) continue;
    ++present;
    types_match = types_match && it->type() == spec.type;
  }
  if (present == 0) return 0.0;
  if (present < required.size()) return 0.3;
  return types_match ? 1.0 : 0.5;
}

// ---- tools and tool calls -------------------------------------------------------------------

/// Function-call arguments as JSON text. A string is kept exactly as written (the engine checks
/// that it parses); an object is serialised with dump(). Anything else throws.
inline std::string arguments_text(const json& arguments, const std::string& path) {
  if (arguments.is_string()) return arguments.get<std::string>();
  if (arguments.is_object()) return arguments.dump();
  throw_wrong_type(path, "a string of JSON or an object", arguments);
}

/// A ToolCall from a function object {"name": string, "arguments": string or object} at `path`.
inline ToolCall parse_function(const json& function, const std::string& path, std::string id) {
  require_object_value(function, path);
  ToolCall call;
  call.id = std::move(id);
  call.name = require_string(function, "name", path);
  call.arguments =
      arguments_text(require_member(function, "arguments", path), field_path(path, "arguments"));
  return call;
}

/// Tool definitions from the record's `tools`: [] when absent or null, an array as given, or a
/// string holding a JSON array (LLaMA-Factory writes them that way), parsed.
inline json parse_tools(const json& record) {
  const json* tools = find_member(record, "tools");
  if (!tools) return json::array();
  if (tools->is_array()) return *tools;
  if (!tools->is_string()) throw_wrong_type("tools", "an array or a string holding one", *tools);
  json parsed = json::parse(tools->get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw FormatError("tools", "'tools' is a string but not valid JSON; write a JSON array of "
                               "function definitions");
  }
  if (!parsed.is_array()) {
    throw FormatError("tools", "'tools' must hold a JSON array, got " + type_name(parsed));
  }
  return parsed;
}

}  // namespace ftcore::format_util
