#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace ftcore::tok {

// ---- MergeTable -----------------------------------------------------------------------------

void MergeTable::reserve(std::size_t n) {
  std::size_t cap = 16;
  shift_ = 60;
  while (cap < n * 2) {
    cap <<= 1;
    --shift_;
  }
  mask_ = cap - 1;
  slots_.assign(cap, Entry{~std::uint64_t{0}, 0, 0});
}

void MergeTable::insert(std::int32_t a, std::int32_t b, std::int32_t rank, std::int32_t new_id) {
  const std::uint64_t k = key(a, b);
  std::size_t slot = slot_of(k);
  while (slots_[slot].key != ~std::uint64_t{0} && slots_[slot].key != k) slot = (slot + 1) & mask_;
  slots_[slot] = Entry{k, rank, new_id};
}

const MergeTable::Entry* MergeTable::find(std::int32_t a, std::int32_t b) const {
  if (slots_.empty()) return nullptr;
  const std::uint64_t k = key(a, b);
  std::size_t slot = slot_of(k);
  while (slots_[slot].key != ~std::uint64_t{0}) {
    if (slots_[slot].key == k) return &slots_[slot];
    slot = (slot + 1) & mask_;
  }
  return nullptr;
}

// ---- WordCache ------------------------------------------------------------------------------

bool WordCache::get(std::string_view word, std::vector<std::int32_t>& out) const {
  const std::size_t h = std::hash<std::string_view>{}(word);
  Shard& shard = shards_[(h >> 7) % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  const auto it = shard.map.find(h);
  if (it == shard.map.end() || it->second.word != word) return false;
  out.insert(out.end(), it->second.ids.begin(), it->second.ids.end());
  return true;
}

void WordCache::put(std::string_view word, const std::vector<std::int32_t>& values, std::size_t first) const {
  const std::size_t h = std::hash<std::string_view>{}(word);
  Shard& shard = shards_[(h >> 7) % kShards];
  Entry entry{std::string(word), std::vector<std::int32_t>(values.begin() + static_cast<std::ptrdiff_t>(first), values.end())};
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.map.size() >= kPerShard) shard.map.clear();
  shard.map.emplace(h, std::move(entry));
}

// ---- Loading --------------------------------------------------------------------------------

namespace {

Vocab read_vocab(const nlohmann::json& model, const JsonPath& at) {
  const auto& v = require(model, "vocab", at);
  if (!v.is_object()) fail(at.child("vocab"), "vocab must be an object mapping token to id");
  std::vector<std::pair<std::string, std::int32_t>> entries;
  entries.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
        it.value().get<std::int64_t>() > 0x7FFFFFFF) {
      fail(at.child("vocab"), "the id of token '" + it.key() + "' is not a non-negative integer");
    }
    entries.emplace_back(it.key(), static_cast<std::int32_t>(it.value().get<std::int64_t>()));
  }
  Vocab vocab;
  vocab.build(std::move(entries));
  return vocab;
}

// One merge as its two parts; accepts "a b" and ["a", "b"].
std::pair<std::string, std::string> read_merge(const nlohmann::json& m, const JsonPath& at) {
  if (m.is_string()) {
    const std::string& s = m.get_ref<const std::string&>();
    const auto space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
      fail(at, "merge '" + s + "' is not two tokens separated by one space");
    }
    return {s.substr(0, space), s.substr(space + 1)};
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    return {m[0].get<std::string>(), m[1].get<std::string>()};
  }
  fail(at, "a merge must be \"a b\" or [\"a\", \"b\"]");
}

std::int32_t merge_part_id(const Vocab& vocab, const std::string& token, const JsonPath& at) {
  const std::int32_t id = vocab.find(token);
  if (id < 0) fail(at, "merge refers to token '" + token + "', which is not in the vocabulary");
  return id;
}

}  // namespace

std::unique_ptr<BpeModel> BpeModel::from_json(const nlohmann::json& model, const JsonPath& at) {
  auto bpe = std::make_unique<BpeModel>();
  bpe->source_ = at.source();
  const auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() && !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    fail(at.child("dropout"), "BPE dropout is not supported (it must be null or 0)");
  }
  bpe->vocab_ = read_vocab(model, at);
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    bpe->unk_token_ = get_string(model, "unk_token", at);
  }
  if (model.contains("continuing_subword_prefix") && !model["continuing_subword_prefix"].is_null()) {
    bpe->prefix_ = get_string(model, "continuing_subword_prefix", at);
    bpe->has_prefix_ = true;
  }
  if (model.contains("end_of_word_suffix") && !model["end_of_word_suffix"].is_null()) {
    bpe->suffix_ = get_string(model, "end_of_word_suffix", at);
    bpe->has_suffix_ = true;
  }
  bpe->byte_fallback_ = get_bool(model, "byte_fallback", at, false);
  bpe->ignore_merges_ = get_bool(model, "ignore_merges", at, false);
  bpe->fuse_unk_ = get_bool(model, "fuse_unk", at, false);

  const auto& merges = require(model, "merges", at);
  if (!merges.is_array()) fail(at.child("merges"), "merges must be an array");
  bpe->merges_.reserve(merges.size());
  const std::size_t prefix_len = bpe->has_prefix_ ? bpe->prefix_.size() : 0;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const JsonPath where = at.child("merges").index(i);
    const auto [a, b] = read_merge(merges[i], where);
    const std::int32_t a_id = merge_part_id(bpe->vocab_, a, where);
    const std::int32_t b_id = merge_part_id(bpe->vocab_, b, where);
    if (b.size() < prefix_len) fail(where, "merge part '" + b + "' is shorter than continuing_subword_prefix");
    const std::int32_t new_id = merge_part_id(bpe->vocab_, a + b.substr(prefix_len), where);
    bpe->merges_.insert(a_id, b_id, static_cast<std::int32_t>(i), new_id);
  }
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    bpe->byte_ids_[static_cast<std::size_t>(byte)] = bpe->vocab_.find(name);
  }
  return bpe;
}

// ---- Tokenization ---------------------------------------------------------------------------

namespace {
constexpr std::size_t kMaxCached = 256;  // longer words are not cached
}  // namespace

void BpeModel::tokenize(std::string_view word, std::vector<std::int32_t>& ids, std::vector<std::uint32_t>* lens) const {
  if (lens != nullptr) {
    tokenize_with_lengths(word, ids, *lens);
    return;
  }
  if (word.empty()) return;
  if (ignore_merges_) {
    const std::int32_t id = vocab_.find(word);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
  }
  const bool cacheable = word.size() < kMaxCached;
  if (cacheable && cache_.get(word, ids)) return;
  const std::size_t first = ids.size();
  merge_word<false>(word, ids, nullptr);
  if (cacheable) cache_.put(word, ids, first);
}

// The same with token lengths; its cache holds ids then lengths, apart from the plain one.
void BpeModel::tokenize_with_lengths(std::string_view word, std::vector<std::int32_t>& ids,
                                     std::vector<std::uint32_t>& lens) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const std::int32_t id = vocab_.find(word);
    if (id >= 0) {
      ids.push_back(id);
      lens.push_back(static_cast<std::uint32_t>(word.size()));
      return;
    }
  }
  const bool cacheable = word.size() < kMaxCached;
  thread_local std::vector<std::int32_t> both;
  both.clear();
  if (cacheable && cache_with_lengths_.get(word, both)) {
    const std::size_t n = both.size() / 2;
    ids.insert(ids.end(), both.begin(), both.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t k = n; k < both.size(); ++k) lens.push_back(static_cast<std::uint32_t>(both[k]));
    return;
  }
  const std::size_t first = ids.size();
  const std::size_t first_len = lens.size();
  merge_word<true>(word, ids, &lens);
  if (!cacheable) return;
  both.assign(ids.begin() + static_cast<std::ptrdiff_t>(first), ids.end());
  for (std::size_t k = first_len; k < lens.size(); ++k) both.push_back(static_cast<std::int32_t>(lens[k]));
  cache_with_lengths_.put(word, both, 0);
}

namespace {

struct Symbol {
  std::int32_t id;
  std::int32_t prev;
  std::int32_t next;
  bool alive;
};

struct Candidate {
  std::int32_t rank;
  std::int32_t pos;
  std::int32_t new_id;
};

// Heap order: the lowest rank on top, then the lowest position.
struct Later {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};
constexpr Later later{};

void add_symbol(std::vector<Symbol>& symbols, std::int32_t id) {
  const auto index = static_cast<std::int32_t>(symbols.size());
  if (index > 0) symbols.back().next = index;
  symbols.push_back(Symbol{id, index - 1, -1, true});
}

// The byte length of every initial symbol, when token lengths are asked for.
std::vector<std::uint32_t>& unit_lengths() {
  thread_local std::vector<std::uint32_t> units;
  return units;
}

void merge_all(std::vector<Symbol>& symbols, const MergeTable& merges) {
  thread_local std::vector<Candidate> heap;
  heap.clear();
  auto push = [&](std::int32_t pos, std::int32_t left, std::int32_t right) {
    if (const auto* m = merges.find(left, right)) {
      heap.push_back(Candidate{m->rank, pos, m->new_id});
      std::push_heap(heap.begin(), heap.end(), later);
    }
  };
  for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
    push(static_cast<std::int32_t>(i), symbols[i].id, symbols[i + 1].id);
  }
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& cur = symbols[static_cast<std::size_t>(top.pos)];
    if (!cur.alive || cur.next < 0) continue;
    const Symbol right = symbols[static_cast<std::size_t>(cur.next)];
    const auto* m = merges.find(cur.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
    symbols[static_cast<std::size_t>(cur.next)].alive = false;
    cur.id = top.new_id;
    cur.next = right.next;
    if (right.next >= 0) symbols[static_cast<std::size_t>(right.next)].prev = top.pos;
    if (cur.prev >= 0) push(cur.prev, symbols[static_cast<std::size_t>(cur.prev)].id, cur.id);
    if (cur.next >= 0) push(top.pos, cur.id, symbols[static_cast<std::size_t>(cur.next)].id);
  }
}

}  // namespace

template <bool kLens>
void BpeModel::merge_word(std::string_view word, std::vector<std::int32_t>& ids, std::vector<std::uint32_t>* lens) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::string buffer;
  symbols.clear();
  std::vector<std::uint32_t>* units = nullptr;
  if constexpr (kLens) {
    units = &unit_lengths();
    units->clear();
  }
  bool unk_pending = false;
  std::int32_t unk_id = -1;
  std::size_t unk_len = 0;
  auto add = [&](std::int32_t id, [[maybe_unused]] std::size_t n) {
    add_symbol(symbols, id);
    if constexpr (kLens) units->push_back(static_cast<std::uint32_t>(n));
  };
  std::size_t i = 0;
  while (i < word.size()) {
    const std::size_t len = uni::char_len(static_cast<unsigned char>(word[i]));
    const bool is_first = i == 0;
    const bool is_last = i + len >= word.size();
    std::string_view piece = word.substr(i, len);
    i += len;
    if ((has_prefix_ && !is_first) || (has_suffix_ && is_last)) {
      buffer.clear();
      if (has_prefix_ && !is_first) buffer += prefix_;
      buffer.append(piece);
      if (has_suffix_ && is_last) buffer += suffix_;
      piece = buffer;
    }
    const std::int32_t id = vocab_.find(piece);
    if (id >= 0) {
      if (unk_pending) add(unk_id, unk_len);
      unk_pending = false;
      add(id, len);
      continue;
    }
    if (byte_fallback_ &&
        std::all_of(piece.begin(), piece.end(), [&](char b) { return byte_ids_[static_cast<unsigned char>(b)] >= 0; })) {
      for (char b : piece) add(byte_ids_[static_cast<unsigned char>(b)], 1);
      continue;
    }
    if (!unk_token_) continue;  // no unk token: the character is dropped, as tokenizers does
    const std::int32_t unk = vocab_.find(*unk_token_);
    if (unk < 0) throw TokenizerError(source_ + ": unk_token '" + *unk_token_ + "' is not in the vocabulary");
    if (unk_pending && fuse_unk_) {
      unk_len += len;
      continue;
    }
    if (unk_pending) add(unk_id, unk_len);
    unk_pending = true;
    unk_id = unk;
    unk_len = len;
  }
  if (unk_pending) add(unk_id, unk_len);
  merge_all(symbols, merges_);
  for (const auto& s : symbols) {
    if (s.alive) ids.push_back(s.id);
  }
  if constexpr (kLens) {
    // A symbol left alive covers the initial ones from its own index to the next one alive.
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (!symbols[i].alive) continue;
      const std::size_t next = symbols[i].next < 0 ? symbols.size() : static_cast<std::size_t>(symbols[i].next);
      std::uint32_t n = 0;
      for (std::size_t k = i; k < next; ++k) n += (*units)[k];
      lens->push_back(n);
    }
  }
}

}  // namespace ftcore::tok
