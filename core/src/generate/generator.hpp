#pragma once
// Text generation with a KV cache: greedy or sampled (temperature, top-k, top-p, as transformers'
// warpers apply them, in that order), stopping at an end-of-sequence id, a stop string or the
// token limit, with the text streamed as it becomes complete UTF-8.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ftcore/nn/modules.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::generate {

struct Sampling {
  std::int64_t max_new_tokens = 256;
  double temperature = 0.0;  ///< 0: greedy
  std::int64_t top_k = 0;    ///< 0: no limit
  double top_p = 1.0;
  std::uint64_t seed = 42;
  std::vector<std::int64_t> eos_ids;
  std::vector<std::string> stop_strings;
};

struct Result {
  std::vector<std::int32_t> ids;  ///< generated ids (the stopping EOS not included)
  std::string text;               ///< their text, cut before a stop string
  std::string stop_reason;        ///< "eos", "stop string", "max tokens"
  std::vector<std::int32_t> cached;  ///< the ids whose keys/values the cache now holds
};

/// Keeps the first `length` positions of every layer's keys and values.
void truncate(nn::KVCache& cache, std::int64_t length);

/// How many leading ids two sequences share.
std::size_t common_prefix(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b);

/// Throws std::invalid_argument for a negative temperature, top_p outside (0, 1], top_k < 0.
void check(const Sampling& sampling);

/// The next token id from last-position logits [vocab] under `sampling`.
std::int64_t pick(const torch::Tensor& logits, const Sampling& sampling, at::Generator& generator);

/// A continuation of `prompt`. `cache` may hold keys/values of the first `cache.length()` ids of
/// `prompt` already (the chat reuses them across turns); Result::cached says what it holds after. `on_text` receives
/// each newly complete piece of text.
Result generate(nn::CausalLM& network, const tok::Tokenizer& tokenizer, const std::vector<std::int32_t>& prompt,
                const Sampling& sampling, nn::KVCache& cache,
                const std::function<void(const std::string&)>& on_text = nullptr);

}  // namespace ftcore::generate
