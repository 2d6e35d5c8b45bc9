#include "tokenizer/added_vocabulary.hpp"

#include <algorithm>

#include "tokenizer/alignment.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {

// ---- TokenTrie ------------------------------------------------------------------------------

void TokenTrie::add(std::string_view pattern, std::int32_t value) {
  if (pattern.empty()) return;
  std::int32_t node = 0;
  for (char ch : pattern) {
    const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(ch);
    const auto it = edges_.find(key);
    if (it != edges_.end()) {
      node = it->second;
    } else {
      const auto child = static_cast<std::int32_t>(terminal_.size());
      terminal_.push_back(-1);
      edges_.emplace(key, child);
      node = child;
    }
  }
  if (terminal_[static_cast<std::size_t>(node)] < 0) terminal_[static_cast<std::size_t>(node)] = value;
  first_[static_cast<unsigned char>(pattern[0])] = true;
}

std::int32_t TokenTrie::longest_at(std::string_view text, std::size_t pos, std::size_t& len) const {
  std::int32_t node = 0;
  std::int32_t best = -1;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(text[i]);
    const auto it = edges_.find(key);
    if (it == edges_.end()) break;
    node = it->second;
    if (terminal_[static_cast<std::size_t>(node)] >= 0) {
      best = terminal_[static_cast<std::size_t>(node)];
      len = i + 1 - pos;
    }
  }
  return best;
}

// ---- helpers (added_vocabulary.rs) ----------------------------------------------------------

namespace {

char32_t last_char(std::string_view s) {
  std::size_t start = s.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  std::size_t len = 0;
  return uni::decode_at(s, start, len);
}

bool ends_with_word(std::string_view s) { return !s.empty() && uni::is_regex_word_char(last_char(s)); }

bool starts_with_word(std::string_view s) {
  std::size_t len = 0;
  return !s.empty() && uni::is_regex_word_char(uni::decode_at(s, 0, len));
}

// Start of the whitespace run that ends `s` (s.size() when none).
std::size_t space_leftmost_at_end(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::size_t len = 0;
    if (!uni::is_whitespace(uni::decode_at(s, start, len))) return end;
    end = start;
  }
  return 0;
}

// Length of the whitespace run that starts `s`.
std::size_t space_rightmost_at_start(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = 0;
    if (!uni::is_whitespace(uni::decode_at(s, i, len))) return i;
    i += len;
  }
  return s.size();
}

}  // namespace

// ---- AddedVocabulary ------------------------------------------------------------------------

static bool same_token(const AddedToken& a, const AddedToken& b) {
  return a.content == b.content && a.single_word == b.single_word && a.lstrip == b.lstrip && a.rstrip == b.rstrip &&
         a.normalized == b.normalized && a.special == b.special;
}

void AddedVocabulary::add(AddedToken token, const Vocab& model_vocab) {
  if (token.content.empty()) return;
  std::int32_t id = -1;
  const auto known = by_content_.find(token.content);
  if (known != by_content_.end()) {
    const auto slot = by_id_.find(known->second);
    if (slot != by_id_.end() && same_token(tokens_[slot->second], token)) return;
    id = known->second;
  } else {
    id = model_vocab.find(token.content);
  }
  if (id < 0) {
    const auto size = static_cast<std::int32_t>(model_vocab.size());
    id = size;
    if (!by_content_.empty() && (max_id_ >= size || size == 0)) id = max_id_ + 1;
  }
  by_content_[token.content] = id;
  max_id_ = std::max(max_id_, id);
  token.id = id;
  const auto slot = by_id_.find(id);
  if (slot != by_id_.end()) {
    tokens_[slot->second] = std::move(token);
  } else {
    by_id_[id] = tokens_.size();
    tokens_.push_back(std::move(token));
  }
}

AddedVocabulary::AddedVocabulary(const std::vector<AddedToken>& tokens, const Vocab& model_vocab,
                                 const Normalizer* normalizer) {
  std::vector<AddedToken> specials;
  for (const auto& t : tokens) {
    if (t.special && !t.content.empty() && special_contents_.insert(t.content).second) specials.push_back(t);
  }
  for (const auto& t : tokens) add(t, model_vocab);
  // Tries: special tokens first (in order), then the other added tokens, as refresh_added_tokens.
  std::vector<const AddedToken*> order;
  for (const auto& t : specials) order.push_back(&t);
  for (const auto& t : tokens) {
    if (!t.content.empty() && special_contents_.count(t.content) == 0) order.push_back(&t);
  }
  for (const AddedToken* t : order) {
    const std::int32_t id = by_content_.at(t->content);
    const auto index = static_cast<std::int32_t>(by_id_.at(id));
    if (!t->normalized) {
      raw_trie_.add(t->content, index);
      continue;
    }
    std::string content = t->content;
    if (normalizer != nullptr) normalizer->normalize(content);
    normalized_trie_.add(content, index);
  }
}

std::int32_t AddedVocabulary::token_to_id(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? -1 : it->second;
}

const std::string* AddedVocabulary::id_to_token(std::int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second].content;
}

void AddedVocabulary::split_on(Piece&& piece, const TokenTrie& trie, Pieces& out) const {
  const std::string_view s = piece.text;
  std::size_t start_offset = 0;
  const std::size_t first_out = out.size();
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (!trie.can_start(static_cast<unsigned char>(s[pos]))) {
      ++pos;
      continue;
    }
    std::size_t len = 0;
    const std::int32_t index = trie.longest_at(s, pos, len);
    if (index < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[static_cast<std::size_t>(index)];
    std::size_t start = pos;
    std::size_t stop = pos + len;
    pos = stop;  // the matcher resumes after the raw match
    if (token.single_word) {
      const bool start_space = start == 0 || !ends_with_word(s.substr(0, start));
      const bool stop_space = stop == s.size() || !starts_with_word(s.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (token.lstrip) start = std::max(space_leftmost_at_end(s.substr(0, start)), start_offset);
    if (token.rstrip) stop += space_rightmost_at_start(s.substr(stop));
    if (start_offset < start) {
      slice_into(out, piece, start_offset, start, -1, piece.at_origin && start_offset == 0);
    }
    slice_into(out, piece, start, stop, token.id, false);
    start_offset = stop;
  }
  if (start_offset == 0 && out.size() == first_out) {
    if (piece.text.empty()) return;
    reslice(piece);
    out.push_back(std::move(piece));
    return;
  }
  if (start_offset < s.size()) {
    slice_into(out, piece, start_offset, s.size(), -1, false);
  }
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer, bool track,
                                            Pieces& out) const {
  Pieces raw = take_pieces();
  Piece whole;
  whole.text = std::string(text);
  whole.at_origin = true;
  if (track) whole.align = identity_alignment(text);
  split_on(std::move(whole), raw_trie_, raw);
  for (auto& piece : raw) {
    if (piece.token_id >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    if (normalizer != nullptr) {
      if (piece.tracked()) {
        normalizer->normalize_aligned(piece);
      } else {
        normalizer->normalize(piece.text);
      }
    }
    if (normalized_trie_.empty()) {
      if (piece.text.empty()) continue;
      reslice(piece);
      out.push_back(std::move(piece));
    } else {
      split_on(std::move(piece), normalized_trie_, out);
    }
  }
  recycle_pieces(std::move(raw));
}

}  // namespace ftcore::tok
