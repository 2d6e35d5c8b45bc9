#include "train/examples.hpp"

#include <algorithm>
#include <stdexcept>

#include "chat/conversation.hpp"
#include "errors.hpp"
#include "template/jinja.hpp"

namespace ftcore::train {

namespace {

using Span = chat::Span;

/// Spans with the given pieces of text (assistant reasoning) cut out where they occur inside them.
std::vector<Span> cut_out(const std::vector<Span>& spans, const std::string& text, const std::vector<std::string>& pieces) {
  std::vector<Span> out = spans;
  for (const auto& piece : pieces) {
    if (piece.empty()) continue;
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto [begin, end] = out[i];
      auto at = text.find(piece, begin);
      if (at == std::string::npos || at + piece.size() > end) continue;
      std::vector<Span> split;
      if (at > begin) split.emplace_back(begin, at);
      if (at + piece.size() < end) split.emplace_back(at + piece.size(), end);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(i), split.begin(), split.end());
      break;
    }
  }
  return out;
}

std::string where(const Sample& sample) {
  std::string at = sample.source.str();
  return at.empty() ? "a sample" : at;
}

/// Tokens past max_length are dropped, and no token covers more bytes than the longest one in the
/// vocabulary: a field longer than this many bytes has its first max_length tokens (and a margin
/// for how the cut end tokenizes) in its first text_budget bytes.
std::size_t text_budget(const tok::Tokenizer& tokenizer, std::int64_t max_length) {
  constexpr std::size_t kMarginTokens = 64;
  std::size_t longest = 1;
  const auto ids = static_cast<std::int32_t>(tokenizer.vocab_size()) + 1024;  // added tokens may sit above the count
  for (std::int32_t id = 0; id < ids; ++id) longest = std::max(longest, tokenizer.id_to_token(id).size());
  return (static_cast<std::size_t>(std::max<std::int64_t>(max_length, 1)) + kMarginTokens) * longest;
}

/// `text` cut to at most `budget` bytes, not inside a UTF-8 character; whether it was cut.
bool cut_to(std::string& text, std::size_t budget) {
  if (text.size() <= budget) return false;
  std::size_t end = budget;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // a continuation byte
  text.resize(end);
  return true;
}

}  // namespace

ReasoningPolicy parse_reasoning(const std::string& name) {
  if (name == "train") return ReasoningPolicy::train;
  if (name == "mask") return ReasoningPolicy::mask;
  if (name == "drop") return ReasoningPolicy::drop;
  throw std::invalid_argument("--reasoning '" + name + "': use train, mask or drop");
}

std::size_t Example::trained_targets() const {
  std::size_t n = 0;
  for (std::size_t i = 1; i < trained.size(); ++i) n += trained[i];
  return n;
}

ExampleBuilder::ExampleBuilder(const tok::Tokenizer& tokenizer, const chat::ChatTemplate* chat,
                               std::optional<std::int32_t> eos, ExampleOptions options)
    : tokenizer_(tokenizer), chat_(chat), eos_(eos), options_(options),
      text_budget_(train::text_budget(tokenizer, options.max_length)) {}

std::optional<Sample> ExampleBuilder::within_budget(const Sample& sample) const {
  auto too_long = [&](const std::string& s) { return s.size() > text_budget_; };
  bool any = too_long(sample.prompt) || too_long(sample.completion) || too_long(sample.text);
  for (const auto& m : sample.messages) any = any || too_long(m.reasoning) || (m.content && too_long(*m.content));
  if (!any) return std::nullopt;
  Sample cut = sample;
  for (std::string* field : {&cut.prompt, &cut.completion, &cut.text}) cut_to(*field, text_budget_);
  for (auto& m : cut.messages) {
    cut_to(m.reasoning, text_budget_);
    if (m.content) cut_to(*m.content, text_budget_);
  }
  return cut;
}

Example ExampleBuilder::conversation(const Sample& original) const {
  if (!chat_) throw UsageError(where(original) + ": a conversation, but the model has no chat template");
  Sample sample = original;
  std::vector<std::string> reasoning;
  for (auto& m : sample.messages) {
    if (options_.reasoning == ReasoningPolicy::drop) m.reasoning.clear();
    if (options_.reasoning == ReasoningPolicy::mask && m.train) reasoning.push_back(m.reasoning);
  }
  chat::RenderedConversation rendered;
  try {
    rendered = chat::render_conversation(*chat_, sample);
  } catch (const tmpl::TemplateError& e) {
    throw UsageError(where(original) + ": the chat template refuses this conversation: " + e.what());
  } catch (const UsageError& e) {
    throw UsageError(where(original) + ": " + e.what());
  }
  std::vector<Span> spans = options_.reasoning == ReasoningPolicy::mask ? cut_out(rendered.trained, rendered.text, reasoning)
                                                                        : rendered.trained;
  // The template writes its own special tokens: the post-processor adds none (as apply_chat_template).
  tok::Encoding encoding = tokenizer_.encode(rendered.text, false, /*with_offsets=*/true);
  Example example;
  example.ids = std::move(encoding.ids);
  example.trained.assign(example.ids.size(), options_.train_on_inputs ? 1 : 0);
  if (options_.train_on_inputs) return example;
  // transformers' return_assistant_tokens_mask: the tokens from the one holding a span's first
  // character to the one holding its last.
  for (const auto& [begin, end] : spans) {
    if (end <= begin) continue;
    auto first = tok::char_to_token(encoding, begin);
    if (!first) break;
    auto last = tok::char_to_token(encoding, end - 1);
    const std::size_t stop = last && *last > 0 ? *last + 1 : example.ids.size();
    for (std::size_t t = *first; t < stop; ++t) example.trained[t] = 1;
  }
  return example;
}

Example ExampleBuilder::prompt_completion(const Sample& sample) const {
  const bool all = options_.train_on_inputs || sample.train_prompt;
  tok::Encoding encoding = tokenizer_.encode(sample.prompt + sample.completion, true, /*with_offsets=*/true);
  Example example;
  example.ids = encoding.ids;
  for (std::size_t i = 0; i < encoding.ids.size(); ++i) {
    const auto [begin, end] = encoding.offsets[i];
    const bool added = begin == 0 && end == 0 && i > 0;  // e.g. an EOS from the post-processor
    example.trained.push_back(all || begin >= sample.prompt.size() || added ? 1 : 0);
  }
  return example;
}

Example ExampleBuilder::text(const Sample& sample) const {
  Example example;
  example.ids = tokenizer_.encode_ids(sample.text, true);
  example.trained.assign(example.ids.size(), 1);
  return example;
}

void ExampleBuilder::finish(Example& example) const {
  if (eos_ && (example.ids.empty() || example.ids.back() != *eos_)) {
    example.ids.push_back(*eos_);
    example.trained.push_back(1);
  }
}

Example ExampleBuilder::build(const Sample& original) const {
  const std::optional<Sample> cut = within_budget(original);
  const Sample& sample = cut ? *cut : original;
  Example example;
  switch (sample.kind) {
    case Sample::Kind::conversation: example = conversation(sample); break;
    case Sample::Kind::prompt_completion:
      example = prompt_completion(sample);
      finish(example);
      break;
    case Sample::Kind::text:
      example = text(sample);
      finish(example);
      break;
  }
  const auto limit = static_cast<std::size_t>(options_.max_length);
  if (example.ids.size() > limit || cut) {
    example.ids.resize(std::min(limit, example.ids.size()));
    example.trained.resize(example.ids.size());
    example.truncated = true;
  }
  return example;
}

ExampleSet ExampleBuilder::build_all(const std::vector<Sample>& samples) const {
  ExampleSet set;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    Example example;
    try {
      example = build(samples[i]);
    } catch (const UsageError& e) {
      set.invalid.push_back({i, e.what()});
      continue;
    } catch (const std::exception& e) {  // the tokenizer or the template on input nobody foresaw
      set.invalid.push_back({i, where(samples[i]) + ": cannot be tokenized: " + e.what()});
      continue;
    }
    example.sample = i;
    set.truncated += example.truncated;
    if (example.trained_targets() == 0) {
      set.untrained.push_back(i);
      continue;
    }
    set.tokens += example.ids.size();
    set.trained_tokens += example.trained_targets();
    set.examples.push_back(std::move(example));
  }
  return set;
}

}  // namespace ftcore::train
