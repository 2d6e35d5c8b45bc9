// Internal interfaces of the tokenizer pipeline and the factories that build each component from
// its tokenizer.json object. Offsets are tracked only when asked for (Piece::align).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ftcore::tok {

// Where one byte of a piece comes from: the bytes [begin, end) of the original input text.
struct Align {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  bool operator==(const Align& o) const { return begin == o.begin && end == o.end; }
};

// Offset tracking of one piece (alignment.hpp): tokenizers' NormalizedString alignments, made
// absolute (relative to the whole input rather than to the piece).
struct Alignment {
  std::vector<Align> bytes;  // one per byte of the piece's text
  // Where the piece's original starts, which is where a character inserted at its very beginning
  // points (tokenizers' (0, 0) + original_shift).
  std::uint32_t shift = 0;
};

// A piece of the text travelling through the pipeline.
struct Piece {
  std::string text;
  std::int32_t token_id = -1;  // >= 0: an added token already resolved; the model skips it
  bool at_origin = false;      // starts at offset 0 of the original text (Metaspace "first")
  std::unique_ptr<Alignment> align;  // only when offsets are asked for (a pointer keeps Piece small)
  bool tracked() const { return align != nullptr; }
};
using Pieces = std::vector<Piece>;
// An empty vector of pieces with the capacity of earlier ones (kept per thread), so that splitting
// does not allocate and grow a new vector each time; hand it back with recycle_pieces.
Pieces take_pieces();
void recycle_pieces(Pieces&& spent);

// Per token, [begin, end) bytes of the original text (tok::Encoding::offsets).
using Offsets = std::vector<std::pair<std::size_t, std::size_t>>;

// Where a component sits in tokenizer.json, for error messages. A child shares its parent's
// path rather than copying it (the text is built only for an error), so descending a deeply nested
// document costs the same at every level.
class JsonPath {
 public:
  // source: e.g. "/models/x/tokenizer.json"; path: where the value sits, e.g. "normalizer" or "".
  JsonPath(std::string source, std::string path);
  JsonPath child(const std::string& key) const;
  JsonPath index(std::size_t i) const;
  // child(key).index(i) for a part of a Sequence component: one more level of nesting.
  JsonPath part(const std::string& key, std::size_t i) const;

  const std::string& source() const { return *source_; }
  // e.g. "normalizer.normalizers[1]"; the middle of a very long one is elided.
  std::string path() const;
  // Sequence components this one is nested in.
  std::size_t nesting() const { return nesting_; }

 private:
  struct Node;
  JsonPath(std::shared_ptr<const std::string> source, std::shared_ptr<const Node> node, std::size_t nesting)
      : source_(std::move(source)), node_(std::move(node)), nesting_(nesting) {}
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const Node> node_;  // the last part of the path; null for the document itself
  std::size_t nesting_ = 0;
};

// Sequence normalizers, pre-tokenizers, decoders and post-processors may nest this deep (real
// files nest 2-3 deep): building a component recurses once per level, so a hostile file nesting
// thousands deep must fail before it exhausts the stack.
constexpr std::size_t kMaxComponentNesting = 64;
// Fails when a `kind` component at `at` would nest more than kMaxComponentNesting deep.
void check_nesting(const JsonPath& at, const std::string& kind);

[[noreturn]] void fail(const JsonPath& at, const std::string& message);
[[noreturn]] void unsupported(const JsonPath& at, const std::string& kind, const std::string& type);

// Typed field access; a missing key or wrong type names the path. Optional getters accept null.
const nlohmann::json& require(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
std::string get_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
bool get_bool(const nlohmann::json& obj, const std::string& key, const JsonPath& at, bool fallback);
std::int64_t get_int(const nlohmann::json& obj, const std::string& key, const JsonPath& at);
std::string optional_string(const nlohmann::json& obj, const std::string& key, const JsonPath& at,
                            const std::string& fallback);
std::string type_of(const nlohmann::json& obj, const JsonPath& at);

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
  // The same on a tracked piece, updating its alignments as tokenizers' NormalizedString does.
  virtual void normalize_aligned(Piece& piece) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits/transforms the pieces that are not added tokens; drops pieces that become empty.
  // Tracked pieces keep their alignments up to date.
  virtual void pre_tokenize(Pieces& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// The encoding of one sequence as the post-processor sees it. `tokens` may be null; `offsets` is
// null unless offsets were asked for (then `tokens` is set too); `text` is the original input.
struct Encoded {
  std::vector<std::int32_t>& ids;
  std::vector<std::string>* tokens;
  Offsets* offsets;
  std::string_view text;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Called for every encoding, as tokenizers does: special tokens are added only with
  // add_special_tokens, while ByteLevel / RobertaProcessing trim_offsets applies either way.
  virtual void process(Encoded& enc, bool add_special_tokens) const = 0;
};

// Factories: `spec` may not be null (the caller handles a null component).
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const JsonPath& at);
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const JsonPath& at);

}  // namespace ftcore::tok
