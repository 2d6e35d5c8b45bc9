// The byte-level BPE trainer: its tokenizer.json loads, round-trips text, has the requested size,
// handles special tokens and BOS, is deterministic, rejects bad options, and merges as computed by
// hand on toy corpora.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/train.hpp"

namespace ftcore::tok {
namespace {

// 280 short texts over a few sentences: English, punctuation, numbers, accents, CJK, emoji, code.
std::vector<std::string> corpus() {
  const std::vector<std::string> sentences = {
      "The quick brown fox jumps over the lazy dog.",
      "Hello, world! How are you today? I'm fine, thanks.",
      "Fine-tuning a model needs data; the data needs a tokenizer.",
      "Numbers like 12345 and 2024 appear in the text too.",
      "Caf\u00e9, na\u00efve r\u00e9sum\u00e9 \u2014 \u4f60\u597d\u4e16\u754c and \u65e5\u672c\u8a9e.",
      "Emoji: \U0001F600 \U0001F680 \u2764\ufe0f, all the way.",
      "def train(model):\n    return model.fit(data)\n\n\tdone",
  };
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 280; ++i) texts.push_back(sentences[i % sentences.size()] + " " + std::to_string(i));
  return texts;
}

BpeTrainingOptions options_with(std::size_t vocab_size, std::vector<std::string> specials = {},
                                std::optional<std::string> bos = std::nullopt) {
  BpeTrainingOptions o;
  o.vocab_size = vocab_size;
  o.special_tokens = std::move(specials);
  o.bos_token = std::move(bos);
  return o;
}

Tokenizer load(const nlohmann::json& doc) { return Tokenizer::from_json(doc, "trained/tokenizer.json"); }

std::vector<std::string> merges_of(const nlohmann::json& doc) {
  return doc.at("model").at("merges").get<std::vector<std::string>>();
}

std::string invalid_argument_message(const std::vector<std::string>& texts, const BpeTrainingOptions& o) {
  try {
    train_byte_level_bpe(texts, o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Train, RoundTripsSeenAndUnseenText) {
  const auto doc = train_byte_level_bpe(corpus(), options_with(600, {"<|endoftext|>", "<|bos|>"}, "<|bos|>"));
  const Tokenizer tok = load(doc);
  std::vector<std::string> inputs = {
      "",
      " ",
      "The quick brown fox jumps over the lazy dog. 17",
      "Zebras quietly vex xylophone jugglers",  // never seen
      "   leading and trailing   ",
      "\n\n\t\t  \r\n    \n",
      "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
      "\U0001F469\u200D\U0001F469\u200D\U0001F467 family \U0001F1EB\U0001F1F7",
      "I'LL've 'd 's it's",
      "0.5e-10 + 3,141,592 = \u00bd",
      "a<|endoftext|>b <|bos|>",
      "\xC3\xA9\xCC\x81 combining",
  };
  std::mt19937 rng(7);
  for (int n = 0; n < 50; ++n) {  // random printable ASCII with runs of spaces
    std::string s;
    const int len = static_cast<int>(rng() % 60);
    for (int i = 0; i < len; ++i) s.push_back(rng() % 5 == 0 ? ' ' : static_cast<char>(33 + rng() % 94));
    inputs.push_back(s);
  }
  for (const auto& s : inputs) {
    EXPECT_EQ(tok.decode(tok.encode_ids(s, false), false), s) << "input: " << s;
    EXPECT_EQ(tok.decode(tok.encode_ids(s, true), false), "<|bos|>" + s) << "input: " << s;
  }
}

TEST(Train, FrequentWordsBecomeSingleTokens) {
  const Tokenizer tok = load(train_byte_level_bpe(corpus(), options_with(1000)));
  EXPECT_EQ(tok.encode("The quick brown fox", false).tokens,
            (std::vector<std::string>{"The", "\u0120quick", "\u0120brown", "\u0120fox"}));
  EXPECT_EQ(tok.encode(" tokenizer", false).tokens, (std::vector<std::string>{"\u0120tokenizer"}));
  // The encoding of a training text is much shorter than its byte count.
  const std::string text = corpus()[1];
  EXPECT_LT(tok.encode_ids(text, false).size() * 3, text.size());
}

TEST(Train, VocabHasTheRequestedSize) {
  const auto doc = train_byte_level_bpe(corpus(), options_with(400, {"<s>", "</s>"}));
  EXPECT_EQ(doc["model"]["vocab"].size(), 400u);
  EXPECT_EQ(load(doc).vocab_size(), 400u);
  // No two merges of this corpus spell the same token, so each merge adds one token.
  EXPECT_EQ(merges_of(doc).size(), 400u - 2 - 256);
  // Ids are 0..size-1.
  std::vector<bool> seen(400, false);
  for (const auto& [token, id] : doc["model"]["vocab"].items()) seen.at(id.get<std::size_t>()) = true;
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
}

TEST(Train, StopsWhenTheCorpusRunsOutOfPairs) {
  // "ab ab ab" allows two merges, "a b" then "Ġ ab": the vocab stays far below 1000.
  BpeTrainingOptions o = options_with(1000);
  o.min_frequency = 1;
  const auto doc = train_byte_level_bpe({"ab ab ab"}, o);
  EXPECT_EQ(merges_of(doc), (std::vector<std::string>{"a b", "\u0120 ab"}));
  EXPECT_EQ(doc["model"]["vocab"].size(), 256u + 2);
  EXPECT_EQ(load(doc).encode_ids(" ab ab", false), (std::vector<std::int32_t>{257, 257}));
}

TEST(Train, SpecialTokensComeFirstAndStayWhole) {
  const std::vector<std::string> specials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  std::vector<std::string> texts = corpus();
  for (auto& t : texts) t = "<|im_start|>" + t + "<|im_end|><|endoftext|>";
  const auto doc = train_byte_level_bpe(texts, options_with(500, specials));
  ASSERT_EQ(doc["added_tokens"].size(), 3u);
  for (std::size_t i = 0; i < specials.size(); ++i) {
    const auto& added = doc["added_tokens"][i];
    EXPECT_EQ(added["id"], i);
    EXPECT_EQ(added["content"], specials[i]);
    EXPECT_EQ(added["special"], true);
    EXPECT_EQ(added["normalized"], false);
    EXPECT_EQ(doc["model"]["vocab"][specials[i]], i);
  }
  EXPECT_EQ(doc["model"]["vocab"]["\u0100"], 3);  // byte 0 right after the special tokens
  // The special tokens were cut out before counting: no merge holds their characters.
  for (const auto& m : merges_of(doc)) {
    EXPECT_EQ(m.find('|'), std::string::npos) << m;
    EXPECT_EQ(m.find("im"), std::string::npos) << m;
  }
  const Tokenizer tok = load(doc);
  for (std::int32_t i = 0; i < 3; ++i) EXPECT_TRUE(tok.is_special(i));
  const auto ids = tok.encode_ids("<|im_start|>Hello<|im_end|>", false);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(tok.decode(ids, true), "Hello");
  // Without a bos_token the post-processor is GPT-2's ByteLevel and adds nothing.
  EXPECT_EQ(doc["post_processor"]["type"], "ByteLevel");
  EXPECT_EQ(tok.encode_ids("Hello", true), tok.encode_ids("Hello", false));
}

TEST(Train, BosTokenIsAddedByThePostProcessor) {
  const auto doc = train_byte_level_bpe(corpus(), options_with(400, {"<|eot|>", "<|bos|>"}, "<|bos|>"));
  EXPECT_EQ(doc["post_processor"], nlohmann::json::parse(R"({
    "type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
             {"SpecialToken": {"id": "<|bos|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [1], "tokens": ["<|bos|>"]}}})"));
  const Tokenizer tok = load(doc);
  const auto plain = tok.encode_ids("Hello world", false);
  auto with_bos = plain;
  with_bos.insert(with_bos.begin(), 1);
  EXPECT_EQ(tok.encode_ids("Hello world", true), with_bos);
  EXPECT_EQ(tok.encode_ids("", true), (std::vector<std::int32_t>{1}));
  EXPECT_TRUE(tok.encode_ids("", false).empty());
}

TEST(Train, WritesTheFixedComponents) {
  const auto doc = train_byte_level_bpe({"hello hello"}, options_with(300));
  EXPECT_TRUE(doc["normalizer"].is_null());
  EXPECT_EQ(doc["pre_tokenizer"], nlohmann::json::parse(
      R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"));
  EXPECT_EQ(doc["decoder"], nlohmann::json::parse(
      R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})"));
  EXPECT_EQ(doc["post_processor"], nlohmann::json::parse(
      R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true})"));
  const auto& model = doc["model"];
  EXPECT_EQ(model["type"], "BPE");
  EXPECT_EQ(model["byte_fallback"], false);
  EXPECT_EQ(model["ignore_merges"], false);
  EXPECT_EQ(model["fuse_unk"], false);
  EXPECT_TRUE(model["unk_token"].is_null());
  EXPECT_TRUE(model["dropout"].is_null());
  EXPECT_TRUE(doc["added_tokens"].is_array());
  EXPECT_TRUE(doc["added_tokens"].empty());
}

TEST(Train, IsDeterministic) {
  const BpeTrainingOptions o = options_with(700, {"<|endoftext|>"});
  std::vector<std::string> texts = corpus();
  const std::string first = train_byte_level_bpe(texts, o).dump();
  EXPECT_EQ(train_byte_level_bpe(texts, o).dump(), first);
  // Only the word counts matter, not the order of the texts.
  std::reverse(texts.begin(), texts.end());
  EXPECT_EQ(train_byte_level_bpe(texts, o).dump(), first);
}

TEST(Train, RejectsBadOptions) {
  const std::vector<std::string> texts = {"some text"};
  EXPECT_EQ(invalid_argument_message(texts, options_with(257, {"<s>", "</s>"})),
            "vocab_size 257 is smaller than the 256 byte tokens plus 2 special tokens (258)");
  EXPECT_EQ(invalid_argument_message(texts, options_with(100)),
            "vocab_size 100 is smaller than the 256 byte tokens plus 0 special tokens (256)");
  EXPECT_EQ(invalid_argument_message(texts, options_with(300, {"<s>"}, "<bos>")),
            "bos_token '<bos>' is not one of the special_tokens");
  EXPECT_EQ(invalid_argument_message(texts, options_with(300, {}, "<s>")),
            "bos_token '<s>' is not one of the special_tokens");
  EXPECT_EQ(invalid_argument_message(texts, options_with(300, {"<s>", "</s>", "<s>"})),
            "duplicate special token '<s>'");
  EXPECT_EQ(invalid_argument_message(texts, options_with(300, {""})), "a special token is empty");
  EXPECT_EQ(invalid_argument_message(texts, options_with(300, {"!"})),
            "special token '!' is one of the 256 byte-level symbols");
  EXPECT_EQ(invalid_argument_message({"ok", "ab\xFF"}, options_with(300)),
            "training text 1 is not valid UTF-8 (invalid byte at offset 2)");
  EXPECT_EQ(invalid_argument_message(texts, options_with(258, {"<s>", "</s>"})), "");
}

// "abab cdcd" pre-tokenizes to "abab" and "Ġcdcd": pairs (a,b)=2 (b,a)=1 (Ġ,c)=1 (c,d)=2 (d,c)=1.
// (a,b) and (c,d) tie at 2: "a" < "c" puts (a,b) first. Then "ab ab" / "Ġ cd cd" leave only pairs
// seen once: with min_frequency 2 training stops; with 1 the ties go by the token strings ("ab" <
// "cd" < "Ġ", U+0120 sorting after ASCII), until "abab" and "Ġcdcd" are single tokens.
TEST(Train, HandComputedMerges) {
  BpeTrainingOptions o = options_with(1000);
  const auto doc = train_byte_level_bpe({"abab cdcd"}, o);
  EXPECT_EQ(merges_of(doc), (std::vector<std::string>{"a b", "c d"}));
  o.min_frequency = 1;
  const auto all = train_byte_level_bpe({"abab cdcd"}, o);
  EXPECT_EQ(merges_of(all), (std::vector<std::string>{"a b", "c d", "ab ab", "cd cd", "\u0120 cdcd"}));
  const auto& vocab = all["model"]["vocab"];
  EXPECT_EQ(vocab.size(), 261u);
  EXPECT_EQ(vocab["\u0100"], 0);  // byte 0
  EXPECT_EQ(vocab["\u0120"], 32);  // the space byte
  EXPECT_EQ(vocab["!"], 33);
  EXPECT_EQ(vocab["\u00ff"], 255);
  EXPECT_EQ(vocab["ab"], 256);
  EXPECT_EQ(vocab["cd"], 257);
  EXPECT_EQ(vocab["abab"], 258);
  EXPECT_EQ(vocab["cdcd"], 259);
  EXPECT_EQ(vocab["\u0120cdcd"], 260);
  EXPECT_EQ(load(all).encode_ids("abab cdcd cd", false), (std::vector<std::int32_t>{258, 260, 32, 257}));

  // "aaa aaa": (a,a) is counted twice per word (4 in all) and merged left to right ("aa a"); then
  // (aa,a)=2 beats (Ġ,aa)=1, and (Ġ,aaa)=1 is below min_frequency 2.
  EXPECT_EQ(merges_of(train_byte_level_bpe({"aaa aaa"}, options_with(1000))),
            (std::vector<std::string>{"a a", "aa a"}));
  // "zz zz zz ab ab": (z,z)=3 goes first although "a" < "z"; then (Ġ,zz), (Ġ,a) and (a,b) tie at 2
  // and "a b" wins.
  EXPECT_EQ(merges_of(train_byte_level_bpe({"zz zz zz ab ab"}, options_with(258))),
            (std::vector<std::string>{"z z", "a b"}));
}

TEST(Train, NeverMergesIntoASpecialToken) {
  // "h\u00e9" as a byte-level string is "h" then the byte 0xE9, which starts the UTF-8 of \u904b: the
  // pair (h, 0xE9) is the first choice on "h\u904b" but would spell the special token, so it is skipped.
  const std::string word = "h\u904b";
  const auto doc = train_byte_level_bpe({word, word, word}, options_with(300, {"h\u00e9"}));
  // The bytes E9 81 8B are written \u00e9 \u0123 \u012d; the word still ends as one token.
  EXPECT_EQ(merges_of(doc),
            (std::vector<std::string>{"\u00e9 \u0123", "h \u00e9\u0123", "h\u00e9\u0123 \u012d"}));
  EXPECT_EQ(doc["model"]["vocab"]["h\u00e9"], 0);
  const Tokenizer tok = load(doc);
  const auto ids = tok.encode_ids(word, false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0), 0);
  EXPECT_EQ(tok.decode(ids, true), word);
}

// A straightforward trainer that recounts every pair before each merge, for texts that are one
// pre-token each (lowercase ASCII letters, which are their own byte-level characters).
std::vector<std::string> reference_merges(const std::vector<std::string>& texts, std::size_t new_tokens,
                                          std::int64_t min_count) {
  std::map<std::vector<std::string>, std::int64_t> words;
  for (const auto& t : texts) {
    std::vector<std::string> symbols;
    for (const char c : t) symbols.emplace_back(1, c);
    ++words[symbols];
  }
  std::set<std::string> created;
  std::vector<std::string> merges;
  while (created.size() < new_tokens) {
    std::map<std::pair<std::string, std::string>, std::int64_t> pairs;
    for (const auto& [s, n] : words) {
      for (std::size_t i = 0; i + 1 < s.size(); ++i) pairs[{s[i], s[i + 1]}] += n;
    }
    std::pair<std::string, std::string> best;
    std::int64_t best_count = 0;
    for (const auto& [p, n] : pairs) {  // in (left, right) order: the first of the highest count wins
      if (n > best_count) {
        best = p;
        best_count = n;
      }
    }
    if (best_count == 0 || best_count < min_count) break;
    merges.push_back(best.first + " " + best.second);
    created.insert(best.first + best.second);
    std::map<std::vector<std::string>, std::int64_t> next;
    for (const auto& [s, n] : words) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          merged.push_back(best.first + best.second);
          ++i;
        } else {
          merged.push_back(s[i]);
        }
      }
      next[merged] += n;
    }
    words = std::move(next);
  }
  return merges;
}

TEST(Train, MatchesARecountingTrainerOnRandomCorpora) {
  for (unsigned seed = 0; seed < 40; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> texts(1 + rng() % 80);
    for (auto& t : texts) {
      const std::size_t len = 1 + rng() % 24;
      for (std::size_t i = 0; i < len; ++i) t.push_back("aaabbcd"[rng() % 7]);
    }
    BpeTrainingOptions o = options_with(256 + 10 + rng() % 60);
    o.min_frequency = seed % 3;
    const auto doc = train_byte_level_bpe(texts, o);
    EXPECT_EQ(merges_of(doc), reference_merges(texts, o.vocab_size - 256, static_cast<std::int64_t>(o.min_frequency)))
        << "seed " << seed;
  }
}

}  // namespace
}  // namespace ftcore::tok
