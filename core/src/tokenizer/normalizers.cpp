// Normalizers: Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents,
// ByteLevel.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/alignment.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_) p->normalize(text);
  }
  void normalize_aligned(Piece& piece) const override {
    for (const auto& p : parts_) p->normalize_aligned(piece);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }
  void normalize_aligned(Piece& piece) const override { prepend_aligned(piece, prefix_); }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = replace_all(text, *pattern_, content_); }
  void normalize_aligned(Piece& piece) const override { replace_all_aligned(piece, *pattern_, content_); }

 private:
  std::unique_ptr<Pattern> pattern_;
  std::string content_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(uni::NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = uni::normalize(text, form_); }
  void normalize_aligned(Piece& piece) const override {
    if (std::all_of(piece.text.begin(), piece.text.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; })) {
      return;
    }
    thread_local std::vector<uni::CharChange> changes;
    uni::normalize_changes(piece.text, form_, changes);
    transform_range(piece, 0, piece.text.size(), changes, 0);
  }

 private:
  uni::NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = uni::lowercase(text); }
  void normalize_aligned(Piece& piece) const override {
    map_chars(piece, [](char32_t c, std::string_view, std::string& out) { uni::append_lowercase(out, c); });
  }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    const auto [begin, end] = kept(text);
    text = text.substr(begin, end - begin);
  }
  // Stripping keeps the alignments of what remains (NormalizedString::lrstrip).
  void normalize_aligned(Piece& piece) const override {
    const auto [begin, end] = kept(piece.text);
    piece.text = piece.text.substr(begin, end - begin);
    std::vector<Align>& align = piece.align->bytes;
    align.erase(align.begin() + static_cast<std::ptrdiff_t>(end), align.end());
    align.erase(align.begin(), align.begin() + static_cast<std::ptrdiff_t>(begin));
  }

 private:
  // The bytes [begin, end) left after stripping.
  std::pair<std::size_t, std::size_t> kept(std::string_view text) const {
    std::size_t begin = 0;
    std::size_t end = text.size();
    if (left_) {
      while (begin < end) {
        std::size_t len = 0;
        if (!uni::is_whitespace(uni::decode_at(text, begin, len))) break;
        begin += len;
      }
    }
    if (right_) {
      while (end > begin) {
        std::size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        std::size_t len = 0;
        if (!uni::is_whitespace(uni::decode_at(text, start, len))) break;
        end = start;
      }
    }
    return {begin, end};
  }

  bool left_;
  bool right_;
};

// Removes non-spacing marks (meant to follow NFD / NFKD).
class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t len = 0;
      const char32_t c = uni::decode_at(text, i, len);
      if (!uni::is_mark_nonspacing(c)) out.append(text, i, len);
      i += len;
    }
    text = std::move(out);
  }
  void normalize_aligned(Piece& piece) const override {
    map_chars(piece, [](char32_t c, std::string_view bytes, std::string& out) {
      if (!uni::is_mark_nonspacing(c)) out.append(bytes);
    });
  }
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size() * 2);
    uni::append_byte_chars(out, text);
    text = std::move(out);
  }
  void normalize_aligned(Piece& piece) const override {
    map_chars(piece, [](char32_t, std::string_view bytes, std::string& out) { uni::append_byte_chars(out, bytes); });
  }
};

std::unique_ptr<Normalizer> make_sequence(const nlohmann::json& spec, const JsonPath& at) {
  check_nesting(at, "normalizer");
  const auto& list = require(spec, "normalizers", at);
  if (!list.is_array()) fail(at.child("normalizers"), "expected an array");
  std::vector<std::unique_ptr<Normalizer>> parts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    parts.push_back(make_normalizer(list[i], at.part("normalizers", i)));
  }
  return std::make_unique<SequenceNormalizer>(std::move(parts));
}

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const JsonPath& at) {
  const std::string type = type_of(spec, at);
  if (type == "Sequence") return make_sequence(spec, at);
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(get_string(spec, "prepend", at));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(make_pattern(require(spec, "pattern", at), at.child("pattern")),
                                               get_string(spec, "content", at));
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(uni::NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(uni::NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(uni::NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(uni::NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(get_bool(spec, "strip_left", at, true),
                                             get_bool(spec, "strip_right", at, true));
  }
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  unsupported(at, "normalizer", type);
}

}  // namespace ftcore::tok
