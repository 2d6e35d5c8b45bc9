// A tokenizer.json tokenizer whose ids match Hugging Face `tokenizers` (0.20.3).
//
// Pipeline (as in tokenizers' TokenizerImpl::encode): split the raw text on non-normalized added
// tokens, normalize the other pieces, split them on normalized added tokens, pre-tokenize, run the
// BPE model on each piece, then (with add_special_tokens) apply the post-processor.
// Every component or option that is not implemented is rejected at load time with its JSON path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ftcore::tok {

class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Encoding {
  std::vector<std::int32_t> ids;
  std::vector<std::string> tokens;
};

class Tokenizer {
 public:
  // Errors name the file (and the JSON path of the offending component).
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  static Tokenizer from_json(const nlohmann::json& document, const std::string& source_name);

  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Thread-safe. Special tokens written in the text are recognised whatever add_special_tokens says;
  // add_special_tokens only controls the post-processor (e.g. a BOS from TemplateProcessing).
  // Throws TokenizerError when the text is not valid UTF-8.
  Encoding encode(std::string_view text, bool add_special_tokens) const;
  std::vector<std::int32_t> encode_ids(std::string_view text, bool add_special_tokens) const;
  // Unknown ids are skipped, as tokenizers does.
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens) const;

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(std::int32_t id) const;  // "" when out of range
  std::size_t vocab_size() const;                  // distinct tokens, including added tokens
  bool is_special(std::int32_t id) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ftcore::tok
