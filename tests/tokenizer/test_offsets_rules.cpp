// Offsets by hand: small documents whose expected offsets are worked out from tokenizers'
// alignment rules (the generated test_offsets.cpp checks the same rules against tokenizers'
// own output), and the normalization that offset tracking re-implements.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

using OffsetList = std::vector<std::pair<std::size_t, std::size_t>>;

Tokenizer load(const std::string& doc) { return Tokenizer::from_json(nlohmann::json::parse(doc), "test.json"); }

// Llama-2's scheme: Prepend "▁", Replace " " -> "▁", no pre-tokenizer, byte_fallback, a BOS.
const char* const kSentencePiece = R"({
  "added_tokens": [{"id": 7, "content": "<s>", "special": true, "normalized": false}],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}},
  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "\u2581": 1, "a": 2, "b": 3, "\u2581a": 4, "<0xC3>": 5, "<0xB1>": 6, "<s>": 7},
    "merges": ["\u2581 a"]}
})";

TEST(OffsetRules, PrependReplaceAndByteFallback) {
  const Tokenizer tok = load(kSentencePiece);
  // "a b ñ" normalizes to "▁a▁b▁ñ". The prepended "▁" points where "a" does, each replacing "▁"
  // where its space does; both <0xXX> tokens of "ñ" cover the whole character (bytes 4-6).
  const Encoding enc = tok.encode("a b \xC3\xB1", true, true);
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"<s>", "\xE2\x96\x81" "a", "\xE2\x96\x81", "b", "\xE2\x96\x81",
                                                  "<0xC3>", "<0xB1>"}));
  EXPECT_EQ(enc.offsets, (OffsetList{{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 6}, {4, 6}}));
  // The BOS (0, 0) contains nothing; every byte belongs to the first token that covers it.
  EXPECT_EQ(char_to_token(enc, 0), std::optional<std::size_t>(1));
  EXPECT_EQ(char_to_token(enc, 1), std::optional<std::size_t>(2));
  EXPECT_EQ(char_to_token(enc, 4), std::optional<std::size_t>(5));
  EXPECT_EQ(char_to_token(enc, 5), std::optional<std::size_t>(5));
  EXPECT_EQ(char_to_token(enc, 6), std::nullopt);
  // A leading space: " a" becomes "▁▁a" where both "▁" point at the space; the tokens are "▁" and
  // "▁a" (the merge "▁ a" applies to the second one), which spans the space and the "a".
  EXPECT_EQ(tok.encode(" a", true, true).offsets, (OffsetList{{0, 0}, {0, 1}, {0, 2}}));
}

TEST(OffsetRules, OffsetsOnlyWhenAsked) {
  const Tokenizer tok = load(kSentencePiece);
  EXPECT_TRUE(tok.encode("a b", true).offsets.empty());
  EXPECT_EQ(char_to_token(tok.encode("a b", true), 0), std::nullopt);
  const Encoding plain = tok.encode("a b", false, true);
  EXPECT_EQ(plain.offsets, (OffsetList{{0, 1}, {1, 2}, {2, 3}}));
}

// NFC with every byte a token of its own (ByteLevel alphabet, no merges).
std::string nfc_byte_level_doc() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[uni::byte_to_unicode()[static_cast<std::size_t>(b)]] = b;
  nlohmann::json doc = {
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  return doc.dump();
}

TEST(OffsetRules, ComposedCharacterPointsToItsFirstSource) {
  const Tokenizer tok = load(nfc_byte_level_doc());
  // "e" + U+0301 composes to "é" (2 bytes, 2 tokens), which tokenizers aligns to the "e" only: the
  // accent (bytes 1-3) is in no token.
  const Encoding enc = tok.encode("e\xCC\x81x", false, true);
  EXPECT_EQ(enc.offsets, (OffsetList{{0, 1}, {0, 1}, {3, 4}}));
  EXPECT_EQ(char_to_token(enc, 1), std::nullopt);
  EXPECT_EQ(char_to_token(enc, 3), std::optional<std::size_t>(2));
}

// The text that offset tracking builds for the unicode normalizers (normalize_changes) is the one
// the fast path builds (normalize): checked on every code point between marks and letters.
TEST(OffsetRules, NormalizeChangesGiveTheNormalizedText) {
  using uni::NormalForm;
  std::vector<uni::CharChange> changes;
  std::size_t checked = 0;
  for (char32_t cp = 0xA0; cp < 0x30000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    std::string s = "a";
    uni::append_utf8(s, cp);
    s += "\xCC\x81\xCC\xA7";  // U+0301 U+0327: a reordering and a composition candidate
    uni::append_utf8(s, cp);
    s += "\xE1\x84\x80\xE1\x85\xA1";  // Hangul L + V
    for (const NormalForm form : {NormalForm::NFC, NormalForm::NFD, NormalForm::NFKC, NormalForm::NFKD}) {
      uni::normalize_changes(s, form, changes);
      std::string built;
      for (const auto& c : changes) uni::append_utf8(built, c.c);
      ASSERT_EQ(built, uni::normalize(s, form)) << "code point " << static_cast<unsigned>(cp) << ", form "
                                                << static_cast<int>(form);
      ++checked;
    }
  }
  EXPECT_GT(checked, 700000u);
}

}  // namespace
}  // namespace ftcore::tok
