// A tokenizer.json tokenizer whose ids match Hugging Face `tokenizers` (0.20.3).
//
// Pipeline (as in tokenizers' TokenizerImpl::encode): split the raw text on non-normalized added
// tokens, normalize the other pieces, split them on normalized added tokens, pre-tokenize, run the
// BPE model on each piece, then apply the post-processor (special tokens with add_special_tokens).
// Every component or option that is not implemented is rejected at load time with its JSON path.
//
// Offsets (encode with with_offsets = true) follow tokenizers' NormalizedString alignments through
// every component, so that they equal `tokenizers.Tokenizer.encode(text).offsets` converted from
// characters to UTF-8 bytes, quirks included: a token made of inserted characters points where
// tokenizers says (a Prepend / Metaspace "▁" to the first character, a Replace result to the last
// matched one), several tokens of one character (byte_fallback <0xXX>, ByteLevel bytes) all cover
// that whole character, a composed NFC character only the first of its sources, added tokens
// include the spaces that lstrip / rstrip took, and ByteLevel / RobertaProcessing trim_offsets
// moves offsets off leading and trailing spaces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
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
  // Only with encode(..., with_offsets = true), else empty: per token, the [begin, end) bytes of
  // the original UTF-8 text it comes from; (0, 0) for the tokens the post-processor adds.
  std::vector<std::pair<std::size_t, std::size_t>> offsets;
};

// tokenizers' Encoding.char_to_token, in bytes: the first token whose offsets contain
// `byte_offset` (begin <= byte_offset < end); none for positions in no token (e.g. whitespace a
// pre-tokenizer removed) or when `encoding` has no offsets.
std::optional<std::size_t> char_to_token(const Encoding& encoding, std::size_t byte_offset);

class Tokenizer {
 public:
  // Errors name the file (and the JSON path of the offending component).
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  static Tokenizer from_json(const nlohmann::json& document, const std::string& source_name);

  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Thread-safe. Special tokens written in the text are recognised whatever add_special_tokens says;
  // add_special_tokens only controls the special tokens of the post-processor (e.g. a BOS from
  // TemplateProcessing). with_offsets also fills Encoding::offsets (tracking them costs time and
  // memory, so it is off by default; ids and tokens are the same either way).
  // Throws TokenizerError when the text is not valid UTF-8 (or, with offsets, over 4 GiB).
  Encoding encode(std::string_view text, bool add_special_tokens, bool with_offsets = false) const;
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
