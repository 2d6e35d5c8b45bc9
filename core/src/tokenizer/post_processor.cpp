// Post-processors (a single sequence): TemplateProcessing, BertProcessing, RobertaProcessing,
// ByteLevel (no effect on ids; trim_offsets moves offsets) and Sequence.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

struct SpecialPiece {
  std::vector<std::int32_t> ids;
  std::vector<std::string> tokens;
};

// A template is a list of pieces: special tokens (several ids each) or the sequence itself.
class TemplateProcessor final : public PostProcessor {
 public:
  struct Item {
    bool is_sequence = false;
    SpecialPiece special;
  };
  explicit TemplateProcessor(std::vector<Item> items) : items_(std::move(items)) {}

  // The special tokens get the offsets (0, 0).
  void process(Encoded& enc, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<std::int32_t> out_ids;
    std::vector<std::string> out_tokens;
    Offsets out_offsets;
    for (const auto& item : items_) {
      if (item.is_sequence) {
        out_ids.insert(out_ids.end(), enc.ids.begin(), enc.ids.end());
        if (enc.tokens != nullptr) out_tokens.insert(out_tokens.end(), enc.tokens->begin(), enc.tokens->end());
        if (enc.offsets != nullptr) out_offsets.insert(out_offsets.end(), enc.offsets->begin(), enc.offsets->end());
        continue;
      }
      out_ids.insert(out_ids.end(), item.special.ids.begin(), item.special.ids.end());
      if (enc.tokens != nullptr) {
        out_tokens.insert(out_tokens.end(), item.special.tokens.begin(), item.special.tokens.end());
      }
      if (enc.offsets != nullptr) out_offsets.insert(out_offsets.end(), item.special.ids.size(), {0, 0});
    }
    enc.ids = std::move(out_ids);
    if (enc.tokens != nullptr) *enc.tokens = std::move(out_tokens);
    if (enc.offsets != nullptr) *enc.offsets = std::move(out_offsets);
  }

 private:
  std::vector<Item> items_;
};

class NoOpProcessor final : public PostProcessor {
 public:
  void process(Encoded&, bool) const override {}
};

// trim_offsets of ByteLevel and RobertaProcessing: tokenizers' process_offsets
// (pre_tokenizers/byte_level.rs), which works on character offsets: the leading and trailing
// spaces ('Ġ' or whitespace) of a token move its offsets inward by as many characters, except the
// one leading space of a first token when add_prefix_space says it was added.
class TrimOffsets final : public PostProcessor {
 public:
  explicit TrimOffsets(bool add_prefix_space) : add_prefix_space_(add_prefix_space) {}
  void process(Encoded& enc, bool) const override {
    if (enc.offsets == nullptr || enc.tokens == nullptr) return;
    for (std::size_t i = 0; i < enc.offsets->size() && i < enc.tokens->size(); ++i) {
      trim((*enc.tokens)[i], i, enc.text, (*enc.offsets)[i]);
    }
  }

 private:
  static bool is_space(char32_t c) { return c == 0x120 || uni::is_whitespace(c); }

  void trim(std::string_view token, std::size_t index, std::string_view text, std::pair<std::size_t, std::size_t>& o) const {
    std::size_t leading = 0;
    std::size_t i = 0;
    while (i < token.size()) {
      std::size_t len = 0;
      if (!is_space(uni::decode_at(token, i, len))) break;
      ++leading;
      i += len;
    }
    std::size_t trailing = 0;
    std::size_t end = token.size();
    while (end > 0) {
      std::size_t start = end - 1;
      while (start > 0 && (static_cast<unsigned char>(token[start]) & 0xC0) == 0x80) --start;
      std::size_t len = 0;
      if (!is_space(uni::decode_at(token, start, len))) break;
      ++trailing;
      end = start;
    }
    if (leading > 0) {
      const bool is_first = index == 0 || o.first == 0;
      if (is_first && add_prefix_space_ && leading == 1) leading = 0;
      // start = min(start + leading, end), in characters
      for (std::size_t k = 0; k < leading && o.first < o.second && o.first < text.size(); ++k) {
        o.first += uni::char_len(static_cast<unsigned char>(text[o.first]));
      }
      o.first = std::min(o.first, o.second);
    }
    if (trailing > 0) {
      // if end >= trailing: end = max(end - trailing, start), in characters
      std::size_t pos = std::min(o.second, text.size());
      std::size_t k = 0;
      while (k < trailing && pos > 0) {
        --pos;
        while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
        ++k;
      }
      if (k == trailing) o.second = std::max(pos, o.first);
    }
  }

  bool add_prefix_space_;
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(Encoded& enc, bool add_special_tokens) const override {
    for (const auto& p : parts_) p->process(enc, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

SpecialPiece read_special(const nlohmann::json& spec, const JsonPath& at) {
  SpecialPiece piece;
  const auto& ids = require(spec, "ids", at);
  const auto& tokens = require(spec, "tokens", at);
  if (!ids.is_array() || !tokens.is_array() || ids.size() != tokens.size()) {
    fail(at, "a special token needs 'ids' and 'tokens' arrays of the same length");
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_number_integer() || !tokens[i].is_string()) fail(at, "bad special token ids/tokens");
    piece.ids.push_back(ids[i].get<std::int32_t>());
    piece.tokens.push_back(tokens[i].get<std::string>());
  }
  return piece;
}

std::unique_ptr<PostProcessor> make_template(const nlohmann::json& spec, const JsonPath& at) {
  const auto& single = require(spec, "single", at);
  const auto& specials = require(spec, "special_tokens", at);
  if (!single.is_array()) fail(at.child("single"), "expected an array of template pieces");
  if (!specials.is_object()) fail(at.child("special_tokens"), "expected an object");
  std::vector<TemplateProcessor::Item> items;
  for (std::size_t i = 0; i < single.size(); ++i) {
    const JsonPath where = at.child("single").index(i);
    const auto& piece = single[i];
    TemplateProcessor::Item item;
    if (piece.is_object() && piece.contains("Sequence")) {
      const std::string id = get_string(piece["Sequence"], "id", where.child("Sequence"));
      if (id != "A") fail(where, "the single template may only use sequence A, not '" + id + "'");
      item.is_sequence = true;
    } else if (piece.is_object() && piece.contains("SpecialToken")) {
      const std::string id = get_string(piece["SpecialToken"], "id", where.child("SpecialToken"));
      if (!specials.contains(id)) fail(where, "special token '" + id + "' is missing from special_tokens");
      item.special = read_special(specials[id], at.child("special_tokens").child(id));
    } else {
      fail(where, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    items.push_back(std::move(item));
  }
  return std::make_unique<TemplateProcessor>(std::move(items));
}

// BertProcessing / RobertaProcessing: cls A sep, with "cls": [token, id] and "sep": [token, id];
// RobertaProcessing trims offsets first (trim_offsets and add_prefix_space, both true by default).
std::unique_ptr<PostProcessor> make_cls_sep(const nlohmann::json& spec, const JsonPath& at, bool roberta) {
  auto read = [&](const std::string& key) {
    const auto& v = require(spec, key, at);
    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer()) {
      fail(at.child(key), "expected [token, id]");
    }
    TemplateProcessor::Item item;
    item.special.tokens.push_back(v[0].get<std::string>());
    item.special.ids.push_back(v[1].get<std::int32_t>());
    return item;
  };
  std::vector<TemplateProcessor::Item> items;
  items.push_back(read("cls"));
  TemplateProcessor::Item seq;
  seq.is_sequence = true;
  items.push_back(seq);
  items.push_back(read("sep"));
  auto cls_sep = std::make_unique<TemplateProcessor>(std::move(items));
  if (!roberta || !get_bool(spec, "trim_offsets", at, true)) return cls_sep;
  std::vector<std::unique_ptr<PostProcessor>> parts;
  parts.push_back(std::make_unique<TrimOffsets>(get_bool(spec, "add_prefix_space", at, true)));
  parts.push_back(std::move(cls_sep));
  return std::make_unique<SequenceProcessor>(std::move(parts));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const JsonPath& at) {
  const std::string type = type_of(spec, at);
  if (type == "TemplateProcessing") return make_template(spec, at);
  if (type == "ByteLevel") {
    if (!get_bool(spec, "trim_offsets", at, true)) return std::make_unique<NoOpProcessor>();
    return std::make_unique<TrimOffsets>(get_bool(spec, "add_prefix_space", at, true));
  }
  if (type == "BertProcessing") return make_cls_sep(spec, at, false);
  if (type == "RobertaProcessing") return make_cls_sep(spec, at, true);
  if (type == "Sequence") {
    check_nesting(at, "post_processor");
    const auto& list = require(spec, "processors", at);
    if (!list.is_array()) fail(at.child("processors"), "expected an array");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (std::size_t i = 0; i < list.size(); ++i) {
      parts.push_back(make_post_processor(list[i], at.part("processors", i)));
    }
    return std::make_unique<SequenceProcessor>(std::move(parts));
  }
  unsupported(at, "post_processor", type);
}

}  // namespace ftcore::tok
