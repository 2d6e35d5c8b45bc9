// Normalizers: Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents,
// ByteLevel.
#include <memory>
#include <string>
#include <vector>

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

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = replace_all(text, *pattern_, content_); }

 private:
  std::unique_ptr<Pattern> pattern_;
  std::string content_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(uni::NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = uni::normalize(text, form_); }

 private:
  uni::NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = uni::lowercase(text); }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
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
    text = text.substr(begin, end - begin);
  }

 private:
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
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    const auto& table = uni::byte_to_unicode();
    std::string out;
    out.reserve(text.size() * 2);
    for (char ch : text) out += table[static_cast<unsigned char>(ch)];
    text = std::move(out);
  }
};

std::unique_ptr<Normalizer> make_sequence(const nlohmann::json& spec, const JsonPath& at) {
  const auto& list = require(spec, "normalizers", at);
  if (!list.is_array()) fail(at.child("normalizers"), "expected an array");
  std::vector<std::unique_ptr<Normalizer>> parts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    parts.push_back(make_normalizer(list[i], at.child("normalizers").index(i)));
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
