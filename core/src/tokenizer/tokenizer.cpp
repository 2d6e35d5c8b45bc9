#include "tokenizer/tokenizer.hpp"

#include "ftcore/files.hpp"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/alignment.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {

struct Tokenizer::Impl {
  std::string source;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<BpeModel> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<AddedVocabulary> added;
  std::size_t vocab_size = 0;

  // `offsets` (with `tokens`) only when asked for.
  void run(std::string_view text, bool add_special_tokens, std::vector<std::int32_t>& ids,
           std::vector<std::string>* tokens, Offsets* offsets) const;
};

namespace {

AddedToken read_added_token(const nlohmann::json& spec, const JsonPath& at) {
  if (!spec.is_object()) fail(at, "an added token must be an object");
  AddedToken t;
  const std::int64_t id = get_int(spec, "id", at);  // checked, but ids are assigned as tokenizers does
  if (id < 0 || id > 0x7FFFFFFF) fail(at.child("id"), "expected a non-negative 32-bit id");
  t.id = static_cast<std::int32_t>(id);
  t.content = get_string(spec, "content", at);
  t.special = get_bool(spec, "special", at, false);
  t.single_word = get_bool(spec, "single_word", at, false);
  t.lstrip = get_bool(spec, "lstrip", at, false);
  t.rstrip = get_bool(spec, "rstrip", at, false);
  t.normalized = get_bool(spec, "normalized", at, !t.special);
  return t;
}

std::vector<AddedToken> read_added_tokens(const nlohmann::json& doc, const JsonPath& root) {
  std::vector<AddedToken> tokens;
  const auto it = doc.find("added_tokens");
  if (it == doc.end() || it->is_null()) return tokens;
  if (!it->is_array()) fail(root.child("added_tokens"), "expected an array");
  for (std::size_t i = 0; i < it->size(); ++i) {
    tokens.push_back(read_added_token((*it)[i], root.child("added_tokens").index(i)));
  }
  return tokens;
}

std::unique_ptr<BpeModel> read_model(const nlohmann::json& doc, const JsonPath& root) {
  const auto it = doc.find("model");
  if (it == doc.end() || it->is_null()) fail(root, "missing 'model'");
  const JsonPath at = root.child("model");
  if (!it->is_object()) fail(at, "expected an object");
  const std::string type = optional_string(*it, "type", at, "BPE");
  if (type != "BPE") unsupported(at, "model", type);
  return BpeModel::from_json(*it, at);
}

// Null or absent components are skipped.
template <typename Factory>
auto optional_component(const nlohmann::json& doc, const std::string& key, const JsonPath& root, Factory make)
    -> decltype(make(doc, root)) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return nullptr;
  return make(*it, root.child(key));
}

void reject_if_set(const nlohmann::json& doc, const std::string& key, const JsonPath& root) {
  const auto it = doc.find(key);
  if (it != doc.end() && !it->is_null()) {
    fail(root.child(key), "'" + key + "' is not supported; set it to null (ftcore truncates and pads itself)");
  }
}

std::size_t count_vocab(const BpeModel& model, const AddedVocabulary& added) {
  std::unordered_set<std::string> extra;
  for (const auto& t : added.tokens()) {
    if (model.vocab().find(t.content) < 0) extra.insert(t.content);
  }
  return model.vocab().size() + extra.size();
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  const std::string source = tokenizer_json.string();
  std::string content;
  try {
    content = files::read_regular(tokenizer_json, "tokenizer file");  // a FIFO is refused, not waited on
  } catch (const std::exception& e) {
    throw TokenizerError(e.what());
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(source + ": invalid JSON: " + e.what());
  }
  return from_json(doc, source);
}

Tokenizer Tokenizer::from_json(const nlohmann::json& document, const std::string& source_name) {
  const JsonPath root{source_name, ""};
  if (!document.is_object()) fail(root, "the top level must be a JSON object");
  reject_if_set(document, "truncation", root);
  reject_if_set(document, "padding", root);
  auto impl = std::make_unique<Impl>();
  impl->source = source_name;
  impl->model = read_model(document, root);
  impl->normalizer = optional_component(document, "normalizer", root, make_normalizer);
  impl->pre_tokenizer = optional_component(document, "pre_tokenizer", root, make_pre_tokenizer);
  impl->post_processor = optional_component(document, "post_processor", root, make_post_processor);
  impl->decoder = optional_component(document, "decoder", root, make_decoder);
  impl->added = std::make_unique<AddedVocabulary>(read_added_tokens(document, root), impl->model->vocab(),
                                                  impl->normalizer.get());
  impl->vocab_size = count_vocab(*impl->model, *impl->added);
  return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::run(std::string_view text, bool add_special_tokens, std::vector<std::int32_t>& ids,
                          std::vector<std::string>* tokens, Offsets* offsets) const {
  const std::size_t bad = uni::find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    throw TokenizerError("cannot encode text that is not valid UTF-8 (invalid byte at offset " +
                         std::to_string(bad) + ")");
  }
  if (offsets != nullptr && text.size() > 0xFFFFFFFFu) {
    throw TokenizerError("cannot track the offsets of a text over 4 GiB");
  }
  Pieces pieces = take_pieces();
  added->extract_and_normalize(text, normalizer.get(), offsets != nullptr, pieces);
  if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
  std::vector<std::uint32_t> lens;
  for (const auto& piece : pieces) {
    const std::size_t first = ids.size();
    if (piece.token_id >= 0) {
      ids.push_back(piece.token_id);
    } else {
      lens.clear();
      model->tokenize(piece.text, ids, offsets != nullptr ? &lens : nullptr);
    }
    if (tokens == nullptr) continue;
    if (piece.token_id >= 0) {
      tokens->push_back(piece.text);
      if (offsets != nullptr) offsets->push_back(original_range(piece, 0, piece.text.size()));
      continue;
    }
    for (std::size_t k = first; k < ids.size(); ++k) {
      const std::string* t = model->vocab().token(ids[k]);
      tokens->push_back(t != nullptr ? *t : std::string());
    }
    if (offsets == nullptr) continue;
    std::size_t pos = 0;
    for (const std::uint32_t len : lens) {
      offsets->push_back(original_range(piece, pos, pos + len));
      pos += len;
    }
  }
  if (post_processor) {
    Encoded enc{ids, tokens, offsets, text};
    post_processor->process(enc, add_special_tokens);
  }
  recycle_pieces(std::move(pieces));
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens, bool with_offsets) const {
  Encoding enc;
  impl_->run(text, add_special_tokens, enc.ids, &enc.tokens, with_offsets ? &enc.offsets : nullptr);
  return enc;
}

std::vector<std::int32_t> Tokenizer::encode_ids(std::string_view text, bool add_special_tokens) const {
  std::vector<std::int32_t> ids;
  impl_->run(text, add_special_tokens, ids, nullptr, nullptr);
  return ids;
}

std::optional<std::size_t> char_to_token(const Encoding& encoding, std::size_t byte_offset) {
  for (std::size_t i = 0; i < encoding.offsets.size(); ++i) {
    const auto& [begin, end] = encoding.offsets[i];
    if (byte_offset >= begin && byte_offset < end) return i;
  }
  return std::nullopt;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const std::int32_t id : ids) {
    const std::string* t = impl_->added->id_to_token(id);
    if (t == nullptr) t = impl_->model->vocab().token(id);
    if (t == nullptr) continue;
    if (skip_special_tokens) {
      if (impl_->added->is_special_token(*t)) continue;
    }
    tokens.push_back(*t);
  }
  if (!impl_->decoder) {
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::optional<std::int32_t> Tokenizer::token_to_id(std::string_view token) const {
  std::int32_t id = impl_->added->token_to_id(token);
  if (id < 0) id = impl_->model->vocab().find(token);
  if (id < 0) return std::nullopt;
  return id;
}

std::string Tokenizer::id_to_token(std::int32_t id) const {
  const std::string* t = impl_->added->id_to_token(id);
  if (t == nullptr) t = impl_->model->vocab().token(id);
  return t != nullptr ? *t : std::string();
}

std::size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

bool Tokenizer::is_special(std::int32_t id) const {
  const std::string* t = impl_->added->id_to_token(id);
  return t != nullptr && impl_->added->is_special_token(*t);
}

}  // namespace ftcore::tok
