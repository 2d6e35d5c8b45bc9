// Internal interfaces of the tokenizer pipeline and the factories that build each component from
// its tokenizer.json object. Only ids (and token strings) are tracked, not offsets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ftcore::tok {

// A piece of the text travelling through the pipeline.
struct Piece {
  std::string text;
  std::int32_t token_id = -1;  // >= 0: an added token already resolved; the model skips it
  bool at_origin = false;      // starts at offset 0 of the original text (Metaspace "first")
};
using Pieces = std::vector<Piece>;

// Where a component sits in tokenizer.json, for error messages.
struct JsonPath {
  std::string source;  // e.g. "/models/x/tokenizer.json"
  std::string path;    // e.g. "normalizer.normalizers[1]"
  JsonPath child(const std::string& key) const { return {source, path.empty() ? key : path + "." + key}; }
  JsonPath index(std::size_t i) const { return {source, path + "[" + std::to_string(i) + "]"}; }
};

[[noreturn]] void fail(const JsonPath& at, const std::string& message);
[[noreturn]] void unsupported(const JsonPath& at, const std::string& kind, const std::string& type);

// Typed field access; a missing key or wrong type names the path. Optional getters accept null.
const nlohmann::json& require(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
std::string get_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
bool get_bool(const nlohmann::json& obj, const std::string& key, const JsonPath& at, bool fallback);
std::int64_t get_int(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
std::string optional_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at,
                            const std::string& fallback);
std::string type_of(const nlohmann::json& obj, const JsonPath& at);

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits/transforms the pieces that are not added tokens; drops pieces that become empty.
  virtual void pre_tokenize(Pieces& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Wraps the ids of one sequence (add_special_tokens=true); `tokens` may be null.
  virtual void process(std::vector<std::int32_t>& ids, std::vector<std::string>* tokens) const = 0;
};

// Factories: `spec` may not be null (the caller handles a null component).
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const JsonPath& at);

}  // namespace ftcore::tok
