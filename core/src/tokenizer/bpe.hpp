// The BPE model of tokenizers (models/bpe): byte_fallback, ignore_merges, unk/fuse_unk,
// continuing_subword_prefix, end_of_word_suffix; merges applied by rank with a priority queue
// (lowest rank first, leftmost on ties) as in word.rs. A sharded, mutex-protected word cache keeps
// tokenize() const and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/vocab.hpp"

namespace ftcore::tok {

class MergeTable {
 public:
  struct Entry {
    std::uint64_t key;
    std::int32_t rank;
    std::int32_t new_id;
  };
  void reserve(std::size_t n);
  void insert(std::int32_t a, std::int32_t b, std::int32_t rank, std::int32_t new_id);  // later wins
  const Entry* find(std::int32_t a, std::int32_t b) const;

 private:
  static std::uint64_t key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
  }
  // Fibonacci hashing: the high bits of the product.
  std::size_t slot_of(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }
  std::vector<Entry> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 60;
};

// Words and what they tokenize to: their ids, or (the cache of the offsets path) their ids followed
// by the byte lengths of the tokens.
class WordCache {
 public:
  bool get(std::string_view word, std::vector<std::int32_t>& out) const;
  void put(std::string_view word, const std::vector<std::int32_t>& values, std::size_t first) const;

 private:
  static constexpr std::size_t kShards = 32;
  static constexpr std::size_t kPerShard = 4096;
  struct Entry {
    std::string word;
    std::vector<std::int32_t> ids;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::size_t, Entry> map;
  };
  mutable std::array<Shard, kShards> shards_;
};

class BpeModel {
 public:
  static std::unique_ptr<BpeModel> from_json(const nlohmann::json& model, const JsonPath& at);

  // Appends the ids of one pre-token and, when `lens` is set, the byte length of each token in the
  // pre-token (tokenizers' Word symbol lengths: a byte_fallback token counts 1, a character
  // dropped for want of an unk token counts 0, so that later offsets move back as tokenizers' do).
  void tokenize(std::string_view word, std::vector<std::int32_t>& ids, std::vector<std::uint32_t>* lens = nullptr) const;
  const Vocab& vocab() const { return vocab_; }

 private:
  void tokenize_with_lengths(std::string_view word, std::vector<std::int32_t>& ids, std::vector<std::uint32_t>& lens) const;
  // kLens: also append the token lengths to *lens (an instance of its own keeps the plain one lean).
  template <bool kLens>
  void merge_word(std::string_view word, std::vector<std::int32_t>& ids, std::vector<std::uint32_t>* lens) const;

  Vocab vocab_;
  MergeTable merges_;
  std::array<std::int32_t, 256> byte_ids_{};  // <0xXX> token ids, -1 when missing
  std::optional<std::string> unk_token_;
  std::string prefix_;
  std::string suffix_;
  bool has_prefix_ = false;
  bool has_suffix_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  bool fuse_unk_ = false;
  std::string source_;
  WordCache cache_;
  WordCache cache_with_lengths_;  // ids then lengths, for tokenize with `lens`
};

}  // namespace ftcore::tok
