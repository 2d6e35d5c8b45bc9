#pragma once
// The built-in model handlers in a registry, without loading plugins (link ftcore_handlers_impl),
// and a byte-level tokenizer for tests that only need one to decode ids.
#include <memory>

#include "ftcore/registry.hpp"
#include "gemma/gemma_handler.hpp"
#include "gpt2/gpt2_handler.hpp"
#include "llama/llama_handler.hpp"
#include "mistral/mistral_handler.hpp"
#include "qwen2/qwen2_handler.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/train.hpp"

namespace ftcore::testing {

inline const Registry& builtin_handlers() {
  static Registry registry;
  static bool filled = [] {
    Registry::Staging staging({"builtin-handlers", ""});
    staging.add(std::make_unique<handlers::LlamaHandler>());
    staging.add(std::make_unique<handlers::Qwen2Handler>());
    staging.add(std::make_unique<handlers::MistralHandler>());
    staging.add(std::make_unique<handlers::GemmaHandler>());
    staging.add(std::make_unique<handlers::Gpt2Handler>());
    registry.commit(std::move(staging));
    return true;
  }();
  (void)filled;
  return registry;
}

/// 256 byte tokens, no merges, no special tokens.
inline const tok::Tokenizer& byte_tokenizer() {
  static const tok::Tokenizer tokenizer = [] {
    tok::BpeTrainingOptions options;
    options.vocab_size = 256;
    return tok::Tokenizer::from_json(tok::train_byte_level_bpe({}, options), "byte tokenizer");
  }();
  return tokenizer;
}

}  // namespace ftcore::testing
