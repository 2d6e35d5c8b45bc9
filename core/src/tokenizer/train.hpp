// A byte-level BPE trainer (GPT-2 style) that writes a complete tokenizer.json, for the tiny random
// models of `ftcore init-model`. The file loads in ftcore's Tokenizer and in Hugging Face tokenizers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ftcore::tok {

struct BpeTrainingOptions {
  std::size_t vocab_size = 1024;            // total, including special tokens and the 256 byte tokens
  std::size_t min_frequency = 2;            // a pair seen fewer times is never merged (0 acts as 1)
  std::vector<std::string> special_tokens;  // ids 0..n-1, added_tokens with special=true, normalized=false
  // When set (it must be one of special_tokens) the post-processor is a TemplateProcessing that puts
  // it in front of each sequence, as Llama-3 does; otherwise it is ByteLevel, as in GPT-2.
  std::optional<std::string> bos_token;
};

// Trains on `texts` (valid UTF-8) and returns a tokenizer.json document: no normalizer, GPT-2's
// ByteLevel pre-tokenizer and decoder, and a BPE model whose vocab holds the special tokens, the
// 256 byte symbols in byte order, then one token per merge (merges as "a b" strings).
//
// Training: the special tokens are cut out of each text, the rest is pre-tokenized with the GPT-2
// regex and the words counted; then the most frequent adjacent pair is merged, ties going to the
// pair whose (left, right) token strings, as written in the file, compare smallest, until the vocab
// holds vocab_size tokens or no pair is seen min_frequency times. A pair that would spell a special
// token is never merged; should a merge spell a token that already exists, it reuses that token (as
// tokenizers' trainer does), and then there are more merges than vocab_size - special tokens - 256.
// The result is deterministic, and independent of the order of the texts.
//
// Throws std::invalid_argument for vocab_size < 256 + special tokens, an empty or duplicate special
// token, a special token that is one of the 256 byte symbols, a bos_token that is not a special
// token, and a text that is not valid UTF-8.
nlohmann::json train_byte_level_bpe(const std::vector<std::string>& texts, const BpeTrainingOptions& options);

}  // namespace ftcore::tok
