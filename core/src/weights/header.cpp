#include "weights/header.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "errors.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::weights {
namespace {

using nlohmann::json;

UsageError bad_file(const std::string& file, const std::string& what) { return UsageError(file + ": " + what); }

UsageError bad_tensor(const std::string& file, const std::string& name, const std::string& what) {
  return UsageError(file + ": tensor '" + name + "': " + what);
}

std::string list_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

std::string range_text(const TensorInfo& t) {
  return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
}

std::string all_dtype_names() {
  std::string out;
  for (int i = 0; i <= static_cast<int>(DType::U64); ++i) out += (i ? ", " : "") + std::string(dtype_name(DType(i)));
  return out;
}

std::uint64_t read_le64(const char* p) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

const json& field(const json& entry, const char* key, const std::string& file, const std::string& name) {
  auto it = entry.find(key);
  if (it == entry.end()) throw bad_tensor(file, name, std::string("missing \"") + key + "\"");
  return *it;
}

DType parse_dtype(const json& value, const std::string& file, const std::string& name) {
  if (!value.is_string()) throw bad_tensor(file, name, std::string("\"dtype\" must be a string, got ") + value.type_name());
  auto dtype = dtype_from_name(value.get<std::string>());
  if (!dtype)
    throw bad_tensor(file, name, "unknown dtype '" + value.get<std::string>() + "' (safetensors has " + all_dtype_names() + ")");
  return *dtype;
}

std::vector<std::int64_t> parse_shape(const json& value, const std::string& file, const std::string& name) {
  const std::string expected = "\"shape\" must be a list of integers, got ";
  if (!value.is_array()) throw bad_tensor(file, name, expected + value.type_name());
  std::vector<std::int64_t> shape;
  for (const json& dim : value) {
    if (!dim.is_number_integer()) throw bad_tensor(file, name, expected + "a list holding " + dim.dump());
    if (dim.is_number_unsigned() && dim.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
      throw bad_tensor(file, name, "shape dimension " + dim.dump() + " is too large");
    shape.push_back(dim.get<std::int64_t>());
  }
  if (std::any_of(shape.begin(), shape.end(), [](std::int64_t d) { return d < 0; }))
    throw bad_tensor(file, name, "shape " + list_text(shape) + " has a negative dimension");
  return shape;
}

void parse_offsets(const json& value, const std::string& file, const std::string& name, TensorInfo& info) {
  bool ok = value.is_array() && value.size() == 2 && value[0].is_number_unsigned() && value[1].is_number_unsigned();
  if (!ok) throw bad_tensor(file, name, "\"data_offsets\" must be [begin, end] with non-negative integers, got " + value.dump());
  info.begin = value[0].get<std::uint64_t>();
  info.end = value[1].get<std::uint64_t>();
  if (info.end < info.begin) throw bad_tensor(file, name, "data_offsets " + range_text(info) + " end before they begin");
}

// product(shape) * dtype size, checking every step for overflow.
void check_byte_size(const TensorInfo& info, const std::string& file) {
  std::uint64_t bytes = dtype_size(info.dtype);
  for (std::int64_t dim : info.shape) {
    auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / d)
      throw bad_tensor(file, info.name, "shape " + list_text(info.shape) + " is too large: its byte size overflows 64 bits");
    bytes *= d;
  }
  if (info.end - info.begin != bytes)
    throw bad_tensor(file, info.name,
                     "data_offsets " + range_text(info) + " span " + std::to_string(info.end - info.begin) +
                         " bytes, but " + dtype_name(info.dtype) + " " + list_text(info.shape) + " needs " +
                         std::to_string(bytes));
}

TensorInfo parse_entry(const std::string& name, const json& entry, const std::string& file) {
  if (!entry.is_object())
    throw bad_tensor(file, name, std::string("expected an object with dtype, shape and data_offsets, got ") + entry.type_name());
  TensorInfo info;
  info.name = name;
  info.dtype = parse_dtype(field(entry, "dtype", file, name), file, name);
  info.shape = parse_shape(field(entry, "shape", file, name), file, name);
  parse_offsets(field(entry, "data_offsets", file, name), file, name, info);
  check_byte_size(info, file);
  return info;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& file) {
  std::map<std::string, std::string> metadata;
  if (value.is_null()) return metadata;
  if (!value.is_object())
    throw bad_file(file, std::string("__metadata__ must be an object mapping strings to strings, got ") + value.type_name());
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string())
      throw bad_file(file, "__metadata__ must map strings to strings, but '" + key + "' is " + item.type_name());
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

// Sorted by offset, each tensor must start where the previous one ended and the first at 0.
// Returns where the last one ends.
std::uint64_t check_contiguous(const std::vector<TensorInfo>& tensors, const std::string& file) {
  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* t : by_offset) {
    std::uint64_t expected = previous ? previous->end : 0;
    if (!previous && t->begin != 0)
      throw bad_tensor(file, t->name, "data starts at offset " + std::to_string(t->begin) +
                                          ", but the first tensor's data must start at 0 (a gap at the start of the data)");
    if (t->begin > expected)
      throw bad_file(file, "gap of " + std::to_string(t->begin - expected) + " bytes in the data between tensor '" +
                               previous->name + "' " + range_text(*previous) + " and tensor '" + t->name + "' " +
                               range_text(*t));
    if (t->begin < expected)
      throw bad_file(file, "tensors '" + previous->name + "' " + range_text(*previous) + " and '" + t->name + "' " +
                               range_text(*t) + " overlap");
    previous = t;
  }
  return previous ? previous->end : 0;
}

void check_file_length(std::uint64_t data_end, std::uint64_t data_start, std::uint64_t file_size, const std::string& file) {
  std::uint64_t data_size = file_size - data_start;
  if (data_end == data_size) return;
  std::string where = "the tensors' data ends at byte " + std::to_string(data_end) + " of the data buffer, but the file holds " +
                      std::to_string(data_size) + " bytes of data after its " + std::to_string(data_start - 8) + "-byte header";
  throw bad_file(file, where + (data_end > data_size ? ": the file is truncated" : ": trailing bytes after the last tensor"));
}

std::string json_quoted(const std::string& s) { return json(s).dump(); }

}  // namespace

json parse_json_strict(std::string_view text, const std::string& where) {
  std::vector<std::set<std::string>> keys_per_object;
  auto reject_repeats = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys_per_object.emplace_back();
    if (event == json::parse_event_t::object_end) keys_per_object.pop_back();
    if (event == json::parse_event_t::key && !keys_per_object.back().insert(parsed.get<std::string>()).second)
      throw UsageError(where + ": key '" + parsed.get<std::string>() +
                       "' appears twice in one JSON object; readers disagree on which one counts, so ftcore rejects it");
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), reject_repeats);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    auto at = what.find("parse error");
    throw UsageError(where + " is not valid JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
}

Header parse_header(std::string_view bytes, const std::string& file) {
  if (bytes.size() < 8)
    throw bad_file(file, "is " + std::to_string(bytes.size()) +
                             " bytes long: too short for a safetensors file, which starts with an 8-byte header length");
  std::uint64_t n = read_le64(bytes.data());
  if (n > kMaxHeaderBytes)
    throw bad_file(file, "header length " + std::to_string(n) + " is over the limit of " + std::to_string(kMaxHeaderBytes) +
                             " bytes: not a safetensors file, or a corrupt one");
  if (n > bytes.size() - 8)
    throw bad_file(file, "header length " + std::to_string(n) + " runs past the end of the file (" +
                             std::to_string(bytes.size()) + " bytes): the file is truncated or not a safetensors file");
  std::string_view text = bytes.substr(8, n);
  if (auto bad = tok::uni::find_invalid_utf8(text); bad != std::string_view::npos)
    throw bad_file(file, "header is not valid UTF-8 (byte " + std::to_string(bad) + " of the header)");
  json root = parse_json_strict(text, file + ": header");
  if (!root.is_object()) throw bad_file(file, std::string("header must be a JSON object, got ") + root.type_name());

  Header header;
  header.data_start = 8 + n;
  for (const auto& [key, value] : root.items()) {  // std::map order: by name
    if (key == "__metadata__") header.metadata = parse_metadata(value, file);
    else header.tensors.push_back(parse_entry(key, value, file));
  }
  check_file_length(check_contiguous(header.tensors, file), header.data_start, bytes.size(), file);
  return header;
}

std::string encode_header(const std::vector<TensorInfo>& tensors, const std::map<std::string, std::string>& metadata) {
  std::string text = "{";
  if (!metadata.empty()) text += "\"__metadata__\":" + json(metadata).dump();
  for (const TensorInfo& t : tensors) {
    if (text.size() > 1) text += ',';
    text += json_quoted(t.name) + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":" + json(t.shape).dump() +
            ",\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  text += '}';
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
  return out + text;
}

}  // namespace ftcore::weights
