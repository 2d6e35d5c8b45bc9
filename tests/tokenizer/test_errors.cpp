// Malformed or unsupported tokenizer.json documents: each error names the file, the JSON path and
// what was wrong. Also: invalid UTF-8 input, and concurrent encoding from several threads.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {
namespace {

nlohmann::json minimal_doc() {
  return nlohmann::json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
              "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
              "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
}

// Runs from_json and returns the error message ("" when it loads).
std::string load_error(const nlohmann::json& doc) {
  try {
    Tokenizer::from_json(doc, "bad/tokenizer.json");
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "";
}

void expect_error(const nlohmann::json& doc, const std::vector<std::string>& fragments) {
  const std::string message = load_error(doc);
  ASSERT_FALSE(message.empty()) << "the document loaded";
  EXPECT_EQ(message.rfind("bad/tokenizer.json: ", 0), 0u) << message;
  for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
}

TEST(TokenizerErrors, MinimalDocumentLoads) {
  const Tokenizer tok = Tokenizer::from_json(minimal_doc(), "ok.json");
  EXPECT_EQ(tok.encode_ids("ab", false), (std::vector<std::int32_t>{2}));
}

TEST(TokenizerErrors, UnsupportedNormalizerNamesTypeAndPath) {
  auto doc = minimal_doc();
  doc["normalizer"] = {{"type", "Sequence"},
                       {"normalizers", {{{"type", "NFC"}}, {{"type", "Precompiled"}, {"precompiled_charsmap", "x"}}}}};
  expect_error(doc, {"normalizer type 'Precompiled' is not supported", "(at normalizer.normalizers[1])"});
}

TEST(TokenizerErrors, UnsupportedComponentsOfEachKind) {
  auto doc = minimal_doc();
  doc["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  expect_error(doc, {"pre_tokenizer type 'UnicodeScripts'", "(at pre_tokenizer)"});
  doc = minimal_doc();
  doc["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "WordPiece"}, {"prefix", "##"}}}}};
  expect_error(doc, {"decoder type 'WordPiece'", "(at decoder.decoders[0])"});
  doc = minimal_doc();
  doc["post_processor"] = {{"type", "Mystery"}};
  expect_error(doc, {"post_processor type 'Mystery'", "(at post_processor)"});
  doc = minimal_doc();
  doc["model"]["type"] = "Unigram";
  expect_error(doc, {"model type 'Unigram'", "(at model)"});
}

TEST(TokenizerErrors, MissingModel) {
  auto doc = minimal_doc();
  doc.erase("model");
  expect_error(doc, {"missing 'model'"});
}

TEST(TokenizerErrors, VocabNotAnObject) {
  auto doc = minimal_doc();
  doc["model"]["vocab"] = nlohmann::json::array({"a", "b"});
  expect_error(doc, {"vocab must be an object", "(at model.vocab)"});
}

TEST(TokenizerErrors, MergeWithUnknownToken) {
  auto doc = minimal_doc();
  doc["model"]["merges"] = {"a b", "b c"};
  expect_error(doc, {"token 'c', which is not in the vocabulary", "(at model.merges[1])"});
  doc = minimal_doc();
  doc["model"]["merges"] = {"b a"};  // "ba" is not in the vocabulary
  expect_error(doc, {"token 'ba'", "(at model.merges[0])"});
}

TEST(TokenizerErrors, MalformedMerge) {
  auto doc = minimal_doc();
  doc["model"]["merges"] = {"ab"};
  expect_error(doc, {"merge 'ab' is not two tokens", "(at model.merges[0])"});
  doc["model"]["merges"] = nlohmann::json::array({nlohmann::json::array({"a"})});
  expect_error(doc, {"a merge must be", "(at model.merges[0])"});
}

TEST(TokenizerErrors, DropoutRejected) {
  auto doc = minimal_doc();
  doc["model"]["dropout"] = 0.1;
  expect_error(doc, {"dropout is not supported", "(at model.dropout)"});
  doc["model"]["dropout"] = 0.0;
  EXPECT_EQ(load_error(doc), "");
}

TEST(TokenizerErrors, BadRegexAndBehavior) {
  auto doc = minimal_doc();
  doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}, {"invert", false}};
  expect_error(doc, {"cannot compile regex '(unclosed'", "(at pre_tokenizer.pattern)"});
  doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}, {"invert", false}};
  expect_error(doc, {"split behavior 'Sideways'", "(at pre_tokenizer.behavior)"});
}

TEST(TokenizerErrors, WrongFieldTypes) {
  auto doc = minimal_doc();
  doc["normalizer"] = {{"type", "Strip"}, {"strip_left", "yes"}};
  expect_error(doc, {"expected true or false", "(at normalizer.strip_left)"});
  doc = minimal_doc();
  doc["added_tokens"] = {{{"id", 5}, {"content", 7}}};
  expect_error(doc, {"expected a string", "(at added_tokens[0].content)"});
  doc = minimal_doc();
  doc["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}}},
                           {"special_tokens", nlohmann::json::object()}};
  expect_error(doc, {"special token '<s>' is missing", "(at post_processor.single[0])"});
}

TEST(TokenizerErrors, TruncationAndPaddingRejected) {
  auto doc = minimal_doc();
  doc["truncation"] = {{"max_length", 8}};
  expect_error(doc, {"'truncation' is not supported", "(at truncation)"});
}

TEST(TokenizerErrors, BadJsonFileNamesLineAndColumn) {
  const auto path = std::filesystem::temp_directory_path() / "ftcore_tok_bad.json";
  {
    std::ofstream out(path);
    out << "{\n  \"model\": {\n    \"vocab\": [1,,2]\n  }\n}\n";
  }
  try {
    Tokenizer::from_file(path);
    FAIL() << "loaded";
  } catch (const TokenizerError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path.string()), std::string::npos) << m;
    EXPECT_NE(m.find("invalid JSON"), std::string::npos) << m;
    EXPECT_NE(m.find("line 3"), std::string::npos) << m;
  }
  std::filesystem::remove(path);
}

TEST(TokenizerErrors, MissingFile) {
  try {
    Tokenizer::from_file("/nonexistent/ftcore/tokenizer.json");
    FAIL() << "loaded";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ftcore/tokenizer.json: cannot open"), std::string::npos);
  }
}

TEST(TokenizerErrors, InvalidUtf8Input) {
  const Tokenizer tok = Tokenizer::from_json(minimal_doc(), "ok.json");
  EXPECT_THROW(tok.encode_ids(std::string("a\xC3(b"), false), TokenizerError);
  EXPECT_THROW(tok.encode_ids(std::string("\xED\xA0\x80"), false), TokenizerError);  // surrogate
}

TEST(TokenizerThreads, ConcurrentEncodeMatchesSerial) {
  auto doc = minimal_doc();
  doc["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  const Tokenizer tok = Tokenizer::from_json(doc, "ok.json");
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(std::string(static_cast<std::size_t>(i % 7), 'a') + " b ab" + std::string(static_cast<std::size_t>(i % 5), 'b'));
  std::vector<std::vector<std::int32_t>> serial;
  for (const auto& t : texts) serial.push_back(tok.encode_ids(t, false));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          if (tok.encode_ids(texts[i], false) != serial[i]) ++mismatches[static_cast<std::size_t>(w)];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(TokenizerMove, MovedTokenizerWorks) {
  Tokenizer a = Tokenizer::from_json(minimal_doc(), "ok.json");
  Tokenizer b = std::move(a);
  EXPECT_EQ(b.encode_ids("ab", false), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(b.vocab_size(), 3u);
}

}  // namespace
}  // namespace ftcore::tok
