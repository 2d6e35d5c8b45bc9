// tokenizers' Pattern (regex, literal or char predicate) and SplitDelimiterBehavior, applied to
// one piece of text.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/regex.hpp"

namespace ftcore::tok {

struct Span {
  std::size_t start;
  std::size_t end;
  bool is_match;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parse_behavior(const nlohmann::json& value, const JsonPath& at);

class Pattern {
 public:
  virtual ~Pattern() = default;
  // Spans that cover `text` in order, each flagged as a match or not.
  virtual void find_matches(std::string_view text, std::vector<Span>& out) const = 0;
};

class RegexPattern final : public Pattern {
 public:
  RegexPattern(const std::string& pattern, Regex::Syntax syntax) : regex_(pattern, syntax) {}
  void find_matches(std::string_view text, std::vector<Span>& out) const override;

 private:
  Regex regex_;
};

// Each char satisfying the predicate (or equal to `ch` when pred is null) is a match of its own.
class CharPattern final : public Pattern {
 public:
  using Predicate = bool (*)(char32_t);
  explicit CharPattern(Predicate pred) : pred_(pred) {}
  explicit CharPattern(char32_t ch) : ch_(ch) {}
  void find_matches(std::string_view text, std::vector<Span>& out) const override;

 private:
  Predicate pred_ = nullptr;
  char32_t ch_ = 0;
};

// Builds the pattern of a Split / Replace: {"String": s} or {"Regex": r}.
std::unique_ptr<Pattern> make_pattern(const nlohmann::json& spec, const JsonPath& at);

// Splits `piece` by `pattern`; appends the non-empty results (slices, alignments kept) to `out`.
void split_piece(Piece&& piece, const Pattern& pattern, SplitBehavior behavior, bool invert, Pieces& out);

// Replaces every match of `pattern` in `text` with `content`.
std::string replace_all(std::string_view text, const Pattern& pattern, const std::string& content);
// The same on a tracked piece (NormalizedString::replace): the content points where the last
// byte of the match does ((shift, shift) for an empty match at the start).
void replace_all_aligned(Piece& piece, const Pattern& pattern, const std::string& content);

// Runs `fn(Piece&&, Pieces& out)` on each non-empty piece that is not an added token, keeping the
// added tokens and dropping empty pieces.
template <typename Fn>
void split_each(Pieces& pieces, Fn&& fn) {
  Pieces out = take_pieces();
  out.reserve(pieces.size() * 2);
  for (auto& piece : pieces) {
    if (piece.token_id >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    if (!piece.text.empty()) fn(std::move(piece), out);
  }
  pieces.swap(out);
  recycle_pieces(std::move(out));
}

}  // namespace ftcore::tok
