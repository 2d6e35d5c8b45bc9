// tokenizers' AddedVocabulary: added tokens are cut out of the raw text first (those with
// normalized=false), the remaining pieces are normalized, then cut again on the normalized
// tokens. Matching is leftmost-longest, with single_word / lstrip / rstrip as in added_vocabulary.rs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/vocab.hpp"

namespace ftcore::tok {

struct AddedToken {
  std::string content;
  std::int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// Leftmost-longest matcher over a set of byte strings.
class TokenTrie {
 public:
  void add(std::string_view pattern, std::int32_t value);  // the first value of a pattern wins
  // The longest pattern starting at `pos`: returns its value and sets `len`, or -1.
  std::int32_t longest_at(std::string_view text, std::size_t pos, std::size_t& len) const;
  bool can_start(unsigned char byte) const { return first_[byte]; }
  bool empty() const { return terminal_.size() <= 1 && terminal_[0] < 0; }

 private:
  std::unordered_map<std::uint64_t, std::int32_t> edges_;  // (node << 8 | byte) -> child
  std::vector<std::int32_t> terminal_{-1};                  // node -> value, -1 = none
  std::array<bool, 256> first_{};
};

class AddedVocabulary {
 public:
  // Registers `tokens` in order as tokenizers' add_tokens does: the id of a token is that of the
  // same content already added or in the model vocabulary, else the next free id after the model
  // vocabulary (the "id" written in tokenizer.json is not used). `normalizer` (may be null) is
  // applied to the content of normalized tokens.
  AddedVocabulary(const std::vector<AddedToken>& tokens, const Vocab& model_vocab, const Normalizer* normalizer);

  // With `track`, the pieces carry their alignments (Piece::align).
  void extract_and_normalize(std::string_view text, const Normalizer* normalizer, bool track, Pieces& out) const;

  std::int32_t token_to_id(std::string_view content) const;  // -1 when not an added token
  const std::string* id_to_token(std::int32_t id) const;     // nullptr when not an added token
  bool is_special_token(const std::string& content) const { return special_contents_.count(content) != 0; }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Splits `piece` on the tokens of `trie`; appends non-empty pieces (slices) to `out`.
  void split_on(Piece&& piece, const TokenTrie& trie, Pieces& out) const;
  void add(AddedToken token, const Vocab& model_vocab);

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, std::int32_t> by_content_;
  std::unordered_map<std::int32_t, std::size_t> by_id_;  // id -> index in tokens_
  std::unordered_set<std::string> special_contents_;
  std::int32_t max_id_ = -1;  // the largest id in by_content_
  TokenTrie raw_trie_;         // values: index in tokens_
  TokenTrie normalized_trie_;  // values: index in tokens_
};

}  // namespace ftcore::tok
