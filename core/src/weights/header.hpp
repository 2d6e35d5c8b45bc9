#pragma once
// The safetensors header: parsed with every check the reference reader makes (and a few more),
// and encoded the way the reference writer does. Internal to the weights folder.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "weights/safetensors.hpp"

namespace ftcore::weights {

inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct Header {
  std::vector<TensorInfo> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
  std::uint64_t data_start = 0;  // 8 + header length: where the data buffer begins
};

/// Parses and checks a whole file's bytes; throws UsageError naming `file`.
Header parse_header(std::string_view file_bytes, const std::string& file);

/// The 8-byte length and the header, padded to a multiple of 8, for `tensors` in file order with
/// their offsets set.
std::string encode_header(const std::vector<TensorInfo>& tensors, const std::map<std::string, std::string>& metadata);

/// JSON that rejects a key repeated within one object (nlohmann keeps the last one silently, other
/// readers the first). UsageError starting with `where`.
nlohmann::json parse_json_strict(std::string_view text, const std::string& where);

}  // namespace ftcore::weights
