#pragma once
// Samples to token ids with the trained positions marked: conversations through the model's chat
// template (trained spans mapped to tokens as transformers' return_assistant_tokens_mask does),
// prompt + completion (the completion and an EOS train), plain text (all of it and an EOS).
// Truncated to the maximum length; samples left with nothing to train are reported. A text field
// longer than the tokens of max_length can fill is cut before tokenizing, so one huge record
// costs memory in proportion to max_length, not to its size.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.hpp"
#include "ftcore/sample.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::train {

enum class ReasoningPolicy { train, mask, drop };
/// "train" | "mask" | "drop"; std::invalid_argument otherwise.
ReasoningPolicy parse_reasoning(const std::string& name);

struct ExampleOptions {
  std::int64_t max_length = 2048;
  bool train_on_inputs = false;  ///< prompts and user turns train too
  ReasoningPolicy reasoning = ReasoningPolicy::train;
};

struct Example {
  std::vector<std::int32_t> ids;
  std::vector<std::uint8_t> trained;  ///< per token: 1 = the loss covers predicting it
  std::size_t sample = 0;             ///< index into the samples
  bool truncated = false;
  std::size_t trained_targets() const;  ///< trained tokens after the first (the first is never predicted)
};

struct SampleError {
  std::size_t sample = 0;  ///< index into the samples
  std::string message;     ///< names the sample's file:line
};

struct ExampleSet {
  std::vector<Example> examples;       ///< only those with something to train
  std::size_t truncated = 0;           ///< examples cut at max_length
  std::vector<std::size_t> untrained;  ///< samples left without a trained token (not in examples)
  std::vector<SampleError> invalid;    ///< samples that could not be turned into tokens (not in examples)
  std::size_t tokens = 0, trained_tokens = 0;
};

class ExampleBuilder {
 public:
  /// `chat` may be null when no sample is a conversation; `eos` ends prompt/completion and text samples.
  ExampleBuilder(const tok::Tokenizer& tokenizer, const chat::ChatTemplate* chat, std::optional<std::int32_t> eos,
                 ExampleOptions options);
  /// Throws UsageError (naming the sample's file:line) when a conversation cannot be rendered.
  Example build(const Sample& sample) const;
  /// Every sample; one that cannot be built is listed in `invalid` and the others go on.
  ExampleSet build_all(const std::vector<Sample>& samples) const;
  /// Bytes of one text field that can still reach the first max_length tokens (longer ones are cut).
  std::size_t text_budget() const { return text_budget_; }

 private:
  Example conversation(const Sample& sample) const;
  Example prompt_completion(const Sample& sample) const;
  Example text(const Sample& sample) const;
  void finish(Example& example) const;
  /// The sample with every text field cut to text_budget() bytes (at a character boundary), or
  /// nullopt when none is that long.
  std::optional<Sample> within_budget(const Sample& sample) const;

  const tok::Tokenizer& tokenizer_;
  const chat::ChatTemplate* chat_;
  std::optional<std::int32_t> eos_;
  ExampleOptions options_;
  std::size_t text_budget_ = 0;
};

}  // namespace ftcore::train
