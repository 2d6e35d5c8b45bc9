// Post-processors (ids of a single sequence, add_special_tokens=true): TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel (no effect on ids) and Sequence.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"

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

  void process(std::vector<std::int32_t>& ids, std::vector<std::string>* tokens) const override {
    std::vector<std::int32_t> out_ids;
    std::vector<std::string> out_tokens;
    for (const auto& item : items_) {
      if (item.is_sequence) {
        out_ids.insert(out_ids.end(), ids.begin(), ids.end());
        if (tokens != nullptr) out_tokens.insert(out_tokens.end(), tokens->begin(), tokens->end());
      } else {
        out_ids.insert(out_ids.end(), item.special.ids.begin(), item.special.ids.end());
        if (tokens != nullptr) out_tokens.insert(out_tokens.end(), item.special.tokens.begin(), item.special.tokens.end());
      }
    }
    ids = std::move(out_ids);
    if (tokens != nullptr) *tokens = std::move(out_tokens);
  }

 private:
  std::vector<Item> items_;
};

class NoOpProcessor final : public PostProcessor {
 public:
  void process(std::vector<std::int32_t>&, std::vector<std::string>*) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(std::vector<std::int32_t>& ids, std::vector<std::string>* tokens) const override {
    for (const auto& p : parts_) p->process(ids, tokens);
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

// BertProcessing / RobertaProcessing: cls A sep, with "cls": [token, id] and "sep": [token, id].
std::unique_ptr<PostProcessor> make_cls_sep(const nlohmann::json& spec, const JsonPath& at) {
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
  return std::make_unique<TemplateProcessor>(std::move(items));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const JsonPath& at) {
  const std::string type = type_of(spec, at);
  if (type == "TemplateProcessing") return make_template(spec, at);
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();
  if (type == "BertProcessing" || type == "RobertaProcessing") return make_cls_sep(spec, at);
  if (type == "Sequence") {
    const auto& list = require(spec, "processors", at);
    if (!list.is_array()) fail(at.child("processors"), "expected an array");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (std::size_t i = 0; i < list.size(); ++i) {
      parts.push_back(make_post_processor(list[i], at.child("processors").index(i)));
    }
    return std::make_unique<SequenceProcessor>(std::move(parts));
  }
  unsupported(at, "post_processor", type);
}

}  // namespace ftcore::tok
