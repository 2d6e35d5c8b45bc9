// Pre-tokenizers: Sequence, Split, ByteLevel, Metaspace, Digits, WhitespaceSplit, Whitespace,
// Punctuation, BertPreTokenizer, CharDelimiterSplit.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/alignment.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

// GPT-2's pre-tokenization regex (tokenizers' pre_tokenizers/byte_level.rs), Onig syntax.
constexpr const char* kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Whitespace's `\w+|[^\w\s]+` in the Rust `regex` crate's meaning of \w and \s.
constexpr const char* kWhitespaceRegex =
    R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}\t-\r\x{85}\p{Z}]+)";

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(Pieces& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

// Splits every piece by a pattern with a fixed behavior.
class PatternSplit final : public PreTokenizer {
 public:
  PatternSplit(std::unique_ptr<Pattern> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(Pieces& pieces) const override {
    split_each(pieces, [&](Piece&& p, Pieces& out) { split_piece(std::move(p), *pattern_, behavior_, invert_, out); });
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_ = std::make_unique<RegexPattern>(kGpt2Regex, Regex::Syntax::Onig);
  }
  void pre_tokenize(Pieces& pieces) const override {
    split_each(pieces, [&](Piece&& p, Pieces& out) {
      if (add_prefix_space_ && (p.text.empty() || p.text[0] != ' ')) {
        if (p.tracked()) {
          prepend_aligned(p, " ");
        } else {
          p.text.insert(0, 1, ' ');
        }
      }
      const std::size_t first = out.size();
      if (regex_) {
        split_piece(std::move(p), *regex_, SplitBehavior::Isolated, false, out);
      } else if (!p.text.empty()) {
        out.push_back(std::move(p));
      }
      for (std::size_t i = first; i < out.size(); ++i) map_bytes(out[i]);
    });
  }

 private:
  static void map_bytes(Piece& piece) {
    if (piece.tracked()) {
      map_chars(piece, [](char32_t, std::string_view bytes, std::string& out) { uni::append_byte_chars(out, bytes); });
      return;
    }
    std::string mapped;
    mapped.reserve(piece.text.size() * 2);
    uni::append_byte_chars(mapped, piece.text);
    piece.text = std::move(mapped);
  }

  bool add_prefix_space_;
  std::unique_ptr<RegexPattern> regex_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(char32_t replacement, Prepend scheme, bool split)
      : scheme_(scheme), split_(split), splitter_(replacement) {
    uni::append_utf8(replacement_, replacement);
  }
  void pre_tokenize(Pieces& pieces) const override {
    split_each(pieces, [&](Piece&& p, Pieces& out) {
      if (p.tracked()) {
        // NormalizedString::replace(' ', ...) then prepend: each replacement points at its space.
        map_chars(p, [&](char32_t c, std::string_view bytes, std::string& text) {
          if (c == ' ') {
            text += replacement_;
          } else {
            text.append(bytes);
          }
        });
        if (needs_prefix(p)) prepend_aligned(p, replacement_);
      } else {
        std::string replaced;
        replaced.reserve(p.text.size() + 8);
        for (char ch : p.text) {
          if (ch == ' ') {
            replaced += replacement_;
          } else {
            replaced.push_back(ch);
          }
        }
        p.text = std::move(replaced);
        if (needs_prefix(p)) p.text.insert(0, replacement_);
      }
      if (split_) {
        split_piece(std::move(p), splitter_, SplitBehavior::MergedWithNext, false, out);
      } else if (!p.text.empty()) {
        out.push_back(std::move(p));
      }
    });
  }

 private:
  bool needs_prefix(const Piece& p) const {
    const bool starts = p.text.compare(0, replacement_.size(), replacement_) == 0;
    return !starts && (scheme_ == Prepend::Always || (scheme_ == Prepend::First && p.at_origin));
  }

  std::string replacement_;
  Prepend scheme_;
  bool split_;
  CharPattern splitter_;
};

// Bert: whitespace removed, then punctuation isolated.
class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(Pieces& pieces) const override {
    split_each(pieces, [&](Piece&& p, Pieces& out) {
      Pieces words;
      split_piece(std::move(p), space_, SplitBehavior::Removed, false, words);
      for (auto& w : words) split_piece(std::move(w), punct_, SplitBehavior::Isolated, false, out);
    });
  }

 private:
  CharPattern space_{&uni::is_whitespace};
  CharPattern punct_{&uni::is_punctuation};
};

std::unique_ptr<PreTokenizer> make_sequence(const nlohmann::json& spec, const JsonPath& at) {
  check_nesting(at, "pre_tokenizer");
  const auto& list = require(spec, "pretokenizers", at);
  if (!list.is_array()) fail(at.child("pretokenizers"), "expected an array");
  std::vector<std::unique_ptr<PreTokenizer>> parts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    parts.push_back(make_pre_tokenizer(list[i], at.part("pretokenizers", i)));
  }
  return std::make_unique<SequencePreTokenizer>(std::move(parts));
}

char32_t single_char(const std::string& s, const JsonPath& at) {
  std::size_t len = 0;
  if (s.empty() || uni::find_invalid_utf8(s) != std::string::npos) fail(at, "expected a single character");
  const char32_t c = uni::decode_at(s, 0, len);
  if (len != s.size()) fail(at, "expected a single character, got '" + s + "'");
  return c;
}

std::unique_ptr<PreTokenizer> make_metaspace(const nlohmann::json& spec, const JsonPath& at) {
  const char32_t replacement = single_char(get_string(spec, "replacement", at), at.child("replacement"));
  MetaspacePreTokenizer::Prepend scheme = get_bool(spec, "add_prefix_space", at, true)
                                              ? MetaspacePreTokenizer::Prepend::Always
                                              : MetaspacePreTokenizer::Prepend::Never;
  const std::string name = optional_string(spec, "prepend_scheme", at, "");
  if (name == "always") {
    scheme = MetaspacePreTokenizer::Prepend::Always;
  } else if (name == "first") {
    scheme = MetaspacePreTokenizer::Prepend::First;
  } else if (name == "never") {
    scheme = MetaspacePreTokenizer::Prepend::Never;
  } else if (!name.empty()) {
    fail(at.child("prepend_scheme"), "prepend_scheme '" + name + "' is not supported");
  }
  return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, get_bool(spec, "split", at, true));
}

std::unique_ptr<PreTokenizer> char_split(CharPattern::Predicate pred, SplitBehavior behavior) {
  return std::make_unique<PatternSplit>(std::make_unique<CharPattern>(pred), behavior, false);
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec, const JsonPath& at) {
  const std::string type = type_of(spec, at);
  if (type == "Sequence") return make_sequence(spec, at);
  if (type == "Split") {
    return std::make_unique<PatternSplit>(make_pattern(require(spec, "pattern", at), at.child("pattern")),
                                          parse_behavior(require(spec, "behavior", at), at.child("behavior")),
                                          get_bool(spec, "invert", at, false));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(get_bool(spec, "add_prefix_space", at, true),
                                                   get_bool(spec, "use_regex", at, true));
  }
  if (type == "Metaspace") return make_metaspace(spec, at);
  if (type == "Digits") {
    const bool individual = get_bool(spec, "individual_digits", at, false);
    return char_split(&uni::is_numeric, individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
  }
  if (type == "WhitespaceSplit") return char_split(&uni::is_whitespace, SplitBehavior::Removed);
  if (type == "Whitespace") {
    return std::make_unique<PatternSplit>(std::make_unique<RegexPattern>(kWhitespaceRegex, Regex::Syntax::Pcre2),
                                          SplitBehavior::Removed, true);
  }
  if (type == "Punctuation") {
    const auto it = spec.find("behavior");
    const SplitBehavior behavior = it == spec.end() || it->is_null()
                                       ? SplitBehavior::Isolated
                                       : parse_behavior(*it, at.child("behavior"));
    return char_split(&uni::is_punctuation, behavior);
  }
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "CharDelimiterSplit") {
    const char32_t c = single_char(get_string(spec, "delimiter", at), at.child("delimiter"));
    return std::make_unique<PatternSplit>(std::make_unique<CharPattern>(c), SplitBehavior::Removed, false);
  }
  unsupported(at, "pre_tokenizer", type);
}

}  // namespace ftcore::tok
