// Byte-level BPE training. Words are counted once (the text goes through the same added-token
// extraction and ByteLevel pre-tokenizer as encoding does); then each merge touches only the words
// that hold the merged pair: a pair -> (count, words) index is updated incrementally, and a max-heap
// of (count, pair) is kept lazily (an entry whose count went stale is pushed again with the current
// count when it reaches the top; counts only fall, except for the pairs of the new token, which are
// pushed after each merge).
#include "tokenizer/train.hpp"

#include <algorithm>
#include <cstdint>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {
namespace {

using Symbols = std::vector<std::int32_t>;

nlohmann::json byte_level(bool add_prefix_space, bool trim_offsets) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", add_prefix_space},
          {"trim_offsets", trim_offsets},
          {"use_regex", true}};
}

nlohmann::json pre_tokenizer_spec() { return byte_level(false, true); }

void validate(const BpeTrainingOptions& options) {
  const auto& specials = options.special_tokens;
  std::unordered_set<std::string> seen;
  const auto& bytes = uni::byte_to_unicode();
  for (const auto& s : specials) {
    if (s.empty()) throw std::invalid_argument("a special token is empty");
    if (!seen.insert(s).second) throw std::invalid_argument("duplicate special token '" + s + "'");
    if (std::find(bytes.begin(), bytes.end(), s) != bytes.end()) {
      throw std::invalid_argument("special token '" + s + "' is one of the 256 byte-level symbols");
    }
  }
  const std::size_t minimum = 256 + specials.size();
  if (options.vocab_size < minimum) {
    throw std::invalid_argument("vocab_size " + std::to_string(options.vocab_size) +
                                " is smaller than the 256 byte tokens plus " + std::to_string(specials.size()) +
                                " special tokens (" + std::to_string(minimum) + ")");
  }
  if (options.bos_token && seen.count(*options.bos_token) == 0) {
    throw std::invalid_argument("bos_token '" + *options.bos_token + "' is not one of the special_tokens");
  }
}

// Pre-token (in byte-level characters) -> how often it occurs; special tokens are cut out first.
std::unordered_map<std::string, std::int64_t> count_words(const std::vector<std::string>& texts,
                                                          const std::vector<std::string>& special_tokens) {
  std::vector<AddedToken> added;
  for (const auto& s : special_tokens) added.push_back(AddedToken{s, -1, false, false, false, false, true});
  const AddedVocabulary added_vocabulary(added, Vocab{}, nullptr);
  const auto pre_tokenizer = make_pre_tokenizer(pre_tokenizer_spec(), JsonPath{"BPE training", "pre_tokenizer"});
  std::unordered_map<std::string, std::int64_t> counts;
  Pieces pieces;
  for (std::size_t t = 0; t < texts.size(); ++t) {
    const std::size_t bad = uni::find_invalid_utf8(texts[t]);
    if (bad != std::string::npos) {
      throw std::invalid_argument("training text " + std::to_string(t) +
                                  " is not valid UTF-8 (invalid byte at offset " + std::to_string(bad) + ")");
    }
    pieces.clear();
    added_vocabulary.extract_and_normalize(texts[t], nullptr, false, pieces);
    pre_tokenizer->pre_tokenize(pieces);
    for (auto& piece : pieces) {
      if (piece.token_id < 0) ++counts[piece.text];
    }
  }
  return counts;
}

class Trainer {
 public:
  // `tokens`: the initial vocabulary (special tokens, then the 256 byte symbols).
  Trainer(std::vector<std::string> tokens, std::size_t special_count) : tokens_(std::move(tokens)) {
    for (std::size_t i = 0; i < tokens_.size(); ++i) ids_.emplace(tokens_[i], static_cast<std::int32_t>(i));
    specials_.insert(tokens_.begin(), tokens_.begin() + static_cast<std::ptrdiff_t>(special_count));
  }
  Trainer(const Trainer&) = delete;  // the heap's comparator points at tokens_
  Trainer& operator=(const Trainer&) = delete;

  void add_word(Symbols symbols, std::int64_t count) {
    const auto w = static_cast<std::uint32_t>(words_.size());
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) note_pair(symbols[i], symbols[i + 1], count, w);
    words_.push_back(std::move(symbols));
    counts_.push_back(count);
  }

  void train(std::size_t vocab_size, std::int64_t min_count) {
    for (const auto& [key, stats] : pairs_) heap_.push(Candidate{stats.count, first(key), second(key)});
    while (tokens_.size() < vocab_size && !heap_.empty()) {
      const Candidate top = heap_.top();
      heap_.pop();
      const auto it = pairs_.find(pair_key(top.a, top.b));
      if (it == pairs_.end() || banned_.count(it->first) != 0) continue;
      const std::int64_t count = it->second.count;
      if (count != top.count) {
        if (count > 0) heap_.push(Candidate{count, top.a, top.b});
        continue;
      }
      if (count < min_count) break;
      // Text matching a special token was cut out, but a special token such as "h\u00e9" can still be
      // spelled by other bytes ("h" and the lead byte 0xE9 of a CJK character): never merge into it.
      if (specials_.count(tokens_[static_cast<std::size_t>(top.a)] + tokens_[static_cast<std::size_t>(top.b)]) != 0) {
        banned_.insert(it->first);
        continue;
      }
      merge(top.a, top.b);
    }
  }

  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::vector<std::pair<std::int32_t, std::int32_t>>& merges() const { return merges_; }

 private:
  struct PairStats {
    std::int64_t count = 0;
    std::vector<std::uint32_t> words;  // words that held the pair when it was created; may be stale
  };
  struct Candidate {
    std::int64_t count;
    std::int32_t a;
    std::int32_t b;
  };
  // Heap order: higher count first, then the smaller (left, right) token strings.
  struct Lower {
    const std::vector<std::string>* tokens;
    bool operator()(const Candidate& x, const Candidate& y) const {
      if (x.count != y.count) return x.count < y.count;
      const auto& t = *tokens;
      const int left = t[static_cast<std::size_t>(x.a)].compare(t[static_cast<std::size_t>(y.a)]);
      if (left != 0) return left > 0;
      return t[static_cast<std::size_t>(x.b)].compare(t[static_cast<std::size_t>(y.b)]) > 0;
    }
  };

  static std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
  }
  static std::int32_t first(std::uint64_t key) { return static_cast<std::int32_t>(key >> 32); }
  static std::int32_t second(std::uint64_t key) { return static_cast<std::int32_t>(key & 0xFFFFFFFFu); }

  // Adds `delta` to the pair's count and records the word (once per consecutive call) in its list.
  PairStats& note_pair(std::int32_t a, std::int32_t b, std::int64_t delta, std::uint32_t word) {
    PairStats& stats = pairs_[pair_key(a, b)];
    stats.count += delta;
    if (stats.words.empty() || stats.words.back() != word) stats.words.push_back(word);
    return stats;
  }

  static bool holds(const Symbols& s, std::int32_t a, std::int32_t b) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      if (s[i] == a && s[i + 1] == b) return true;
    }
    return false;
  }

  void merge(std::int32_t a, std::int32_t b) {
    std::string text = tokens_[static_cast<std::size_t>(a)] + tokens_[static_cast<std::size_t>(b)];
    std::int32_t merged = 0;
    const auto known = ids_.find(text);
    if (known != ids_.end()) {
      merged = known->second;  // another merge already spelled this token
    } else {
      merged = static_cast<std::int32_t>(tokens_.size());
      ids_.emplace(text, merged);
      tokens_.push_back(std::move(text));
    }
    merges_.emplace_back(a, b);

    const std::uint64_t key = pair_key(a, b);
    const std::vector<std::uint32_t> affected = std::move(pairs_[key].words);
    std::vector<std::uint64_t> touched;  // pairs that hold the merged token
    Symbols out;
    for (const std::uint32_t w : affected) {
      Symbols& s = words_[w];
      if (!holds(s, a, b)) continue;  // a stale entry
      const std::int64_t n = counts_[w];
      for (std::size_t i = 0; i + 1 < s.size(); ++i) pairs_[pair_key(s[i], s[i + 1])].count -= n;
      out.clear();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s.swap(out);
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] != merged && s[i + 1] != merged) {
          pairs_[pair_key(s[i], s[i + 1])].count += n;  // the word is already in this pair's list
          continue;
        }
        note_pair(s[i], s[i + 1], n, w);
        touched.push_back(pair_key(s[i], s[i + 1]));
      }
    }
    pairs_.erase(key);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const std::uint64_t k : touched) {
      const std::int64_t count = pairs_[k].count;
      if (count > 0) heap_.push(Candidate{count, first(k), second(k)});
    }
  }

  std::vector<std::string> tokens_;  // id -> token string (distinct)
  std::unordered_map<std::string, std::int32_t> ids_;
  std::unordered_set<std::string> specials_;
  std::unordered_set<std::uint64_t> banned_;  // pairs that would spell a special token
  std::vector<std::pair<std::int32_t, std::int32_t>> merges_;
  std::vector<Symbols> words_;
  std::vector<std::int64_t> counts_;
  std::unordered_map<std::uint64_t, PairStats> pairs_;
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> heap_{Lower{&tokens_}};
};

// A pre-token in byte-level characters -> the ids of its bytes.
Symbols byte_symbols(const std::string& word, std::int32_t first_byte_id) {
  Symbols symbols;
  symbols.reserve(word.size());
  std::size_t i = 0;
  while (i < word.size()) {
    std::size_t len = 0;
    symbols.push_back(first_byte_id + uni::unicode_to_byte(uni::decode_at(word, i, len)));
    i += len;
  }
  return symbols;
}

nlohmann::json post_processor(const BpeTrainingOptions& options, std::int32_t bos_id) {
  if (!options.bos_token) return byte_level(true, false);  // GPT-2's
  const std::string& bos = *options.bos_token;
  const auto special = [&](int type_id) {
    return nlohmann::json{{"SpecialToken", {{"id", bos}, {"type_id", type_id}}}};
  };
  const auto sequence = [](const char* id, int type_id) {
    return nlohmann::json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
  };
  return {{"type", "TemplateProcessing"},
          {"single", {special(0), sequence("A", 0)}},
          {"pair", {special(0), sequence("A", 0), special(1), sequence("B", 1)}},
          {"special_tokens", {{bos, {{"id", bos}, {"ids", {bos_id}}, {"tokens", {bos}}}}}}};
}

}  // namespace

nlohmann::json train_byte_level_bpe(const std::vector<std::string>& texts, const BpeTrainingOptions& options) {
  validate(options);
  const auto& specials = options.special_tokens;
  std::vector<std::string> initial(specials);
  const auto& bytes = uni::byte_to_unicode();
  initial.insert(initial.end(), bytes.begin(), bytes.end());

  Trainer trainer(std::move(initial), specials.size());
  const auto first_byte_id = static_cast<std::int32_t>(specials.size());
  for (const auto& [word, count] : count_words(texts, specials)) {
    trainer.add_word(byte_symbols(word, first_byte_id), count);
  }
  trainer.train(options.vocab_size, static_cast<std::int64_t>(std::max<std::size_t>(options.min_frequency, 1)));

  const auto& tokens = trainer.tokens();
  nlohmann::json vocab = nlohmann::json::object();
  for (std::size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [a, b] : trainer.merges()) {
    merges.push_back(tokens[static_cast<std::size_t>(a)] + " " + tokens[static_cast<std::size_t>(b)]);
  }
  nlohmann::json added_tokens = nlohmann::json::array();
  std::int32_t bos_id = -1;
  for (std::size_t i = 0; i < specials.size(); ++i) {
    if (options.bos_token && specials[i] == *options.bos_token) bos_id = static_cast<std::int32_t>(i);
    added_tokens.push_back({{"id", i},
                            {"content", specials[i]},
                            {"single_word", false},
                            {"lstrip", false},
                            {"rstrip", false},
                            {"normalized", false},
                            {"special", true}});
  }
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", std::move(added_tokens)},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre_tokenizer_spec()},
          {"post_processor", post_processor(options, bos_id)},
          {"decoder", byte_level(true, true)},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", std::move(vocab)},
            {"merges", std::move(merges)}}}};
}

}  // namespace ftcore::tok
