#include "generate/generator.hpp"

#include <stdexcept>

namespace ftcore::generate {

namespace {

/// The text of `ids` up to the last complete character: a byte-level token may end inside a
/// UTF-8 sequence, which decodes to U+FFFD until the next token completes it.
std::string complete_text(const tok::Tokenizer& tokenizer, const std::vector<std::int32_t>& ids) {
  std::string text = tokenizer.decode(ids, /*skip_special_tokens=*/true);
  static const std::string replacement = "\xEF\xBF\xBD";
  while (text.size() >= replacement.size() && text.compare(text.size() - replacement.size(), replacement.size(), replacement) == 0)
    text.resize(text.size() - replacement.size());
  return text;
}

torch::Tensor last_logits(nn::CausalLM& network, const std::vector<std::int32_t>& ids, std::size_t from, nn::KVCache& cache) {
  std::vector<std::int64_t> fresh(ids.begin() + static_cast<std::ptrdiff_t>(from), ids.end());
  nn::Batch batch;
  batch.input_ids = torch::tensor(fresh, torch::kInt64).unsqueeze(0);
  auto hidden = network.hidden_states(batch, &cache);
  return network.logits(hidden.select(1, hidden.size(1) - 1)).squeeze(0).to(torch::kFloat32);
}

}  // namespace

void check(const Sampling& s) {
  if (s.temperature < 0) throw std::invalid_argument("--temperature must be 0 (greedy) or positive");
  if (!(s.top_p > 0 && s.top_p <= 1)) throw std::invalid_argument("--top-p must be in (0, 1]");
  if (s.top_k < 0) throw std::invalid_argument("--top-k must be 0 (no limit) or positive");
  if (s.max_new_tokens < 1) throw std::invalid_argument("--max-new-tokens must be at least 1");
}

std::int64_t pick(const torch::Tensor& logits, const Sampling& sampling, at::Generator& generator) {
  if (sampling.temperature == 0) return logits.argmax().item<std::int64_t>();
  auto scores = logits / sampling.temperature;
  const auto lowest = -std::numeric_limits<float>::infinity();
  if (sampling.top_k > 0 && sampling.top_k < scores.size(0)) {
    auto kth = std::get<0>(scores.topk(sampling.top_k)).select(0, sampling.top_k - 1);
    scores = scores.masked_fill(scores < kth, lowest);
  }
  if (sampling.top_p < 1) {
    // Keep the smallest set of top tokens whose probability reaches top_p (always at least one).
    auto [sorted, order] = scores.sort(/*dim=*/0, /*descending=*/false);
    auto cumulative = sorted.softmax(0).cumsum(0);
    auto remove_sorted = cumulative <= (1 - sampling.top_p);
    remove_sorted.index_put_({-1}, false);
    scores = scores.masked_fill(remove_sorted.scatter(0, order, remove_sorted), lowest);
  }
  return torch::multinomial(scores.softmax(0), 1, false, generator).item<std::int64_t>();
}

void truncate(nn::KVCache& cache, std::int64_t length) {
  for (auto* tensors : {&cache.keys, &cache.values})
    for (auto& t : *tensors)
      if (t.defined()) t = length > 0 ? t.narrow(2, 0, length) : torch::Tensor();
}

std::size_t common_prefix(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

Result generate(nn::CausalLM& network, const tok::Tokenizer& tokenizer, const std::vector<std::int32_t>& prompt,
                const Sampling& sampling, nn::KVCache& cache, const std::function<void(const std::string&)>& on_text) {
  check(sampling);
  if (prompt.empty()) throw std::invalid_argument("the prompt has no tokens");
  if (cache.length() >= static_cast<std::int64_t>(prompt.size())) truncate(cache, static_cast<std::int64_t>(prompt.size()) - 1);
  torch::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(sampling.seed);

  Result result;
  result.cached = prompt;
  std::size_t streamed = 0;
  auto logits = last_logits(network, prompt, static_cast<std::size_t>(cache.length()), cache);
  result.stop_reason = "max tokens";
  for (std::int64_t step = 0; step < sampling.max_new_tokens; ++step) {
    const auto next = static_cast<std::int32_t>(pick(logits, sampling, generator));
    if (std::find(sampling.eos_ids.begin(), sampling.eos_ids.end(), next) != sampling.eos_ids.end()) {
      result.stop_reason = "eos";
      break;
    }
    result.ids.push_back(next);
    std::string text = complete_text(tokenizer, result.ids);
    std::size_t stop_at = std::string::npos;
    for (const auto& stop : sampling.stop_strings)
      if (!stop.empty()) stop_at = std::min(stop_at, text.find(stop));
    if (stop_at != std::string::npos) text.resize(stop_at);
    // Hold back a tail that could be the start of a stop string.
    std::size_t safe = text.size();
    for (const auto& stop : sampling.stop_strings)
      for (std::size_t k = std::min(stop.size() - 1, text.size()); k > 0; --k)
        if (text.compare(text.size() - k, k, stop, 0, k) == 0) {
          safe = std::min(safe, text.size() - k);
          break;
        }
    if (stop_at != std::string::npos) safe = text.size();
    if (on_text && safe > streamed) on_text(text.substr(streamed, safe - streamed));
    streamed = std::max(streamed, safe);
    result.text = text;
    if (stop_at != std::string::npos) {
      result.stop_reason = "stop string";
      break;
    }
    if (step + 1 == sampling.max_new_tokens) break;
    result.cached.push_back(next);
    logits = last_logits(network, result.cached, result.cached.size() - 1, cache);
  }
  if (on_text && result.text.size() > streamed) on_text(result.text.substr(streamed));
  return result;
}

}  // namespace ftcore::generate
