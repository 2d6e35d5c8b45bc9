// Hostile tokenizer.json files: Sequence components nested thousands deep must end with a clear
// TokenizerError naming the file and a short JSON path, not a stack overflow (the builders recurse
// once per level) or gigabytes of error-path strings (each level used to copy the whole path).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {
namespace {

// A minimal tokenizer.json text with `component` set to `spec` (JSON text).
std::string document_with(const std::string& component, const std::string& spec) {
  std::string doc = R"({"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
              "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
              "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})";
  for (const char* key : {"normalizer", "pre_tokenizer", "post_processor", "decoder"})
    doc += std::string(", \"") + key + "\": " + (component == key ? spec : std::string("null"));
  return doc + "}";
}

// `depth` Sequence components of this kind, one inside the other, around `leaf`.
std::string nested(const std::string& list_key, std::size_t depth, const std::string& leaf) {
  std::string out;
  out.reserve(depth * (list_key.size() + 40) + leaf.size());
  for (std::size_t k = 0; k < depth; ++k) out += R"({"type": "Sequence", ")" + list_key + R"(": [)";
  out += leaf;
  for (std::size_t k = 0; k < depth; ++k) out += "]}";
  return out;
}

struct Kind {
  const char* component;  // the tokenizer.json key
  const char* list_key;   // the Sequence's list of parts
  const char* leaf;       // a supported component of that kind
};

const Kind kKinds[] = {
    {"normalizer", "normalizers", R"({"type": "Lowercase"})"},
    {"pre_tokenizer", "pretokenizers", R"({"type": "WhitespaceSplit"})"},
    {"decoder", "decoders", R"({"type": "Fuse"})"},
    {"post_processor", "processors", R"({"type": "ByteLevel", "trim_offsets": false})"},
};

// The TokenizerError of loading the document text ("" when it loads).
std::string load_error(const std::string& text) {
  try {
    Tokenizer::from_json(nlohmann::json::parse(text), "bad/tokenizer.json");
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "";
}

void expect_nesting_error(const std::string& message, const Kind& kind) {
  ASSERT_FALSE(message.empty()) << kind.component << ": the document loaded";
  EXPECT_EQ(message.rfind("bad/tokenizer.json: ", 0), 0u) << message;
  const std::string what = std::string("Sequence ") + kind.component + "s nest more than 64 levels deep";
  EXPECT_NE(message.find(what), std::string::npos) << message;
  const std::string at = std::string("(at ") + kind.component + "." + kind.list_key + "[0]." + kind.list_key + "[0]";
  EXPECT_NE(message.find(at), std::string::npos) << message;
  EXPECT_NE(message.find(" more parts) ... "), std::string::npos) << message;  // the middle is elided
  EXPECT_LT(message.size(), 600u) << message;
}

// Loads `kind` nested `depth` deep: a short error, fast.
void expect_deep_fails(const Kind& kind, std::size_t depth) {
  const auto start = std::chrono::steady_clock::now();
  expect_nesting_error(load_error(document_with(kind.component, nested(kind.list_key, depth, kind.leaf))), kind);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << kind.component;
}

// 20,000 levels used to overflow the stack (SIGSEGV) while the components were built; 10,000 took
// about 2.4 GB, copying the ever-longer error path at every level.
TEST(TokenizerLimits, NormalizerSequenceNested20000Deep) { expect_deep_fails(kKinds[0], 20000); }
TEST(TokenizerLimits, PreTokenizerSequenceNested20000Deep) { expect_deep_fails(kKinds[1], 20000); }
TEST(TokenizerLimits, DecoderSequenceNested20000Deep) { expect_deep_fails(kKinds[2], 20000); }
TEST(TokenizerLimits, PostProcessorSequenceNested20000Deep) { expect_deep_fails(kKinds[3], 20000); }

TEST(TokenizerLimits, SequencesNested10000DeepNeedNoQuadraticPathStrings) {
  for (const Kind& kind : kKinds) expect_deep_fails(kind, 10000);
}

TEST(TokenizerLimits, NestingLimitIsExact) {
  for (const Kind& kind : kKinds) {
    // 64 Sequences (the outermost one included) load; 65 do not.
    EXPECT_EQ(load_error(document_with(kind.component, nested(kind.list_key, kMaxComponentNesting, kind.leaf))), "")
        << kind.component;
    const std::string message =
        load_error(document_with(kind.component, nested(kind.list_key, kMaxComponentNesting + 1, kind.leaf)));
    EXPECT_NE(message.find("nest more than 64 levels deep"), std::string::npos) << message;
  }
}

TEST(TokenizerLimits, NestedNormalizersStillNormalize) {
  const Tokenizer tok = Tokenizer::from_json(
      nlohmann::json::parse(document_with("normalizer", nested("normalizers", 10, R"({"type": "Lowercase"})"))),
      "ok.json");
  EXPECT_EQ(tok.encode_ids("AB", false), (std::vector<std::int32_t>{2}));
}

TEST(TokenizerLimits, DeepFileFromDisk) {
  const std::filesystem::path file = std::filesystem::path(testing::TempDir()) / "ftcore_deep_tokenizer.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << document_with("normalizer", nested("normalizers", 20000, R"({"type": "NFC"})"));
  }
  try {
    Tokenizer::from_file(file);
    ADD_FAILURE() << "the deep file loaded";
  } catch (const TokenizerError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(file.string() + ": Sequence normalizers nest more than 64 levels deep", 0), 0u)
        << message;
  }
  std::filesystem::remove(file);
}

TEST(TokenizerLimits, ShortPathsAreUnchanged) {
  JsonPath root{"f.json", ""};
  EXPECT_EQ(root.path(), "");
  EXPECT_EQ(root.child("normalizer").part("normalizers", 1).child("pattern").path(),
            "normalizer.normalizers[1].pattern");
  EXPECT_EQ(JsonPath("f.json", "model").child("merges").index(7).path(), "model.merges[7]");
  EXPECT_EQ(root.child("normalizer").part("normalizers", 1).nesting(), 1u);
  EXPECT_EQ(root.source(), "f.json");
}

}  // namespace
}  // namespace ftcore::tok
