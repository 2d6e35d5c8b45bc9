// Decoders: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

// Maps each token's chars back to bytes (a token with a char outside the table keeps its own
// bytes), then reads all bytes as lossy UTF-8 into a single string.
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      const std::size_t mark = bytes.size();
      std::size_t i = 0;
      bool mapped = true;
      while (i < t.size()) {
        std::size_t len = 0;
        const int b = uni::unicode_to_byte(uni::decode_at(t, i, len));
        if (b < 0) {
          mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(b));
        i += len;
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens.assign(1, uni::from_utf8_lossy(bytes));
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) t = replace_all(t, *pattern_, content_);
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  std::string content_;
};

// "<0xXX>" tokens become bytes; each run is emitted as UTF-8, or one U+FFFD per byte if invalid.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string bytes;
    std::size_t count = 0;
    auto flush = [&] {
      if (count == 0) return;
      if (uni::find_invalid_utf8(bytes) == std::string::npos) {
        out.push_back(bytes);
      } else {
        for (std::size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (auto& t : tokens) {
      int value = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') value = parse_hex_byte(t.substr(3, 2));
      if (value >= 0) {
        bytes.push_back(static_cast<char>(value));
        ++count;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // Rust's u8::from_str_radix(s, 16): an optional '+' then hex digits.
  static int parse_hex_byte(const std::string& s) {
    if (s[0] == '+') return hex(s[1]);
    const int hi = hex(s[0]);
    const int lo = hex(s[1]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing `content` chars from each token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, std::size_t start, std::size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::pair<std::size_t, char32_t>> chars;  // byte offset, char
    for (auto& t : tokens) {
      chars.clear();
      for (std::size_t i = 0; i < t.size();) {
        std::size_t len = 0;
        chars.emplace_back(i, uni::decode_at(t, i, len));
        i += len;
      }
      std::size_t start_cut = 0;
      while (start_cut < start_ && start_cut < chars.size() && chars[start_cut].second == content_) ++start_cut;
      std::size_t stop_cut = chars.size();
      for (std::size_t k = 0; k < stop_ && stop_cut > 0 && chars[stop_cut - 1].second == content_; ++k) --stop_cut;
      if (stop_cut <= start_cut) {
        t.clear();
        continue;
      }
      const std::size_t from = chars[start_cut].first;
      const std::size_t to = stop_cut == chars.size() ? t.size() : chars[stop_cut].first;
      t = t.substr(from, to - from);
    }
  }

 private:
  char32_t content_;
  std::size_t start_;
  std::size_t stop_;
};

// Replacement chars become spaces; in the first token they are dropped unless prepend_scheme is never.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool drop_in_first) : replacement_(replacement), drop_in_first_(drop_in_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      const std::string& t = tokens[k];
      std::string out;
      out.reserve(t.size());
      for (std::size_t i = 0; i < t.size();) {
        std::size_t len = 0;
        const char32_t c = uni::decode_at(t, i, len);
        if (c != replacement_) {
          out.append(t, i, len);
        } else if (!(k == 0 && drop_in_first_)) {
          out.push_back(' ');
        }
        i += len;
      }
      tokens[k] = std::move(out);
    }
  }

 private:
  char32_t replacement_;
  bool drop_in_first_;
};

char32_t one_char(const std::string& s, const JsonPath& at) {
  std::size_t len = 0;
  if (s.empty() || uni::find_invalid_utf8(s) != std::string::npos) fail(at, "expected a single character");
  const char32_t c = uni::decode_at(s, 0, len);
  if (len != s.size()) fail(at, "expected a single character, got '" + s + "'");
  return c;
}

std::size_t get_count(const nlohmann::json& spec, const std::string& key, const JsonPath& at) {
  const std::int64_t v = get_int(spec, key, at);
  if (v < 0) fail(at.child(key), "expected a non-negative integer");
  return static_cast<std::size_t>(v);
}

std::unique_ptr<Decoder> make_metaspace(const nlohmann::json& spec, const JsonPath& at) {
  const char32_t replacement = one_char(get_string(spec, "replacement", at), at.child("replacement"));
  bool drop = get_bool(spec, "add_prefix_space", at, true);
  const std::string scheme = optional_string(spec, "prepend_scheme", at, "");
  if (scheme == "always" || scheme == "first") {
    drop = true;
  } else if (scheme == "never") {
    drop = false;
  } else if (!scheme.empty()) {
    fail(at.child("prepend_scheme"), "prepend_scheme '" + scheme + "' is not supported");
  }
  return std::make_unique<MetaspaceDecoder>(replacement, drop);
}

std::unique_ptr<Decoder> make_sequence(const nlohmann::json& spec, const JsonPath& at) {
  check_nesting(at, "decoder");
  const auto& list = require(spec, "decoders", at);
  if (!list.is_array()) fail(at.child("decoders"), "expected an array");
  std::vector<std::unique_ptr<Decoder>> parts;
  for (std::size_t i = 0; i < list.size(); ++i) parts.push_back(make_decoder(list[i], at.part("decoders", i)));
  return std::make_unique<SequenceDecoder>(std::move(parts));
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const JsonPath& at) {
  const std::string type = type_of(spec, at);
  if (type == "Sequence") return make_sequence(spec, at);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(make_pattern(require(spec, "pattern", at), at.child("pattern")),
                                            get_string(spec, "content", at));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(one_char(get_string(spec, "content", at), at.child("content")),
                                          get_count(spec, "start", at), get_count(spec, "stop", at));
  }
  if (type == "Metaspace") return make_metaspace(spec, at);
  unsupported(at, "decoder", type);
}

}  // namespace ftcore::tok
