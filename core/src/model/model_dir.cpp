#include "model/model_dir.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "errors.hpp"
#include "template/jinja.hpp"
#include "util/text.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::model {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {



bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_text(c10::IntArrayRef shape) {
  std::vector<std::string> dims;
  for (auto d : shape) dims.push_back(std::to_string(d));
  return "[" + text::join(dims, ", ") + "]";
}

/// "a, b, c and 12 more" for long lists in error messages.
std::string some(const std::vector<std::string>& names, std::size_t shown = 8) {
  std::vector<std::string> head(names.begin(), names.begin() + std::min(shown, names.size()));
  std::string out = text::join(head, ", ");
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

/// The parameter a checkpoint tensor fills: its own name, or the name with the spec's optional
/// prefix put back. Empty for tensors that are skipped (buffers, a tied lm_head).
std::string parameter_for(const std::string& tensor, const nn::DecoderSpec& spec,
                          const std::map<std::string, torch::Tensor>& parameters) {
  for (const auto& suffix : spec.ignored_checkpoint_suffixes)
    if (ends_with(tensor, suffix)) return "";
  if (parameters.count(tensor)) return tensor;
  const auto& prefix = spec.optional_checkpoint_prefix;
  if (!prefix.empty() && parameters.count(prefix + tensor)) return prefix + tensor;
  if (spec.tie_word_embeddings && tensor == spec.lm_head + ".weight") return "";
  return tensor;  // unexpected: reported by the caller
}

/// MemAvailable + SwapFree of /proc/meminfo, in bytes; nullopt where it cannot be read.
std::optional<double> free_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0, total = 0;
  std::string unit;
  bool found = false;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:" || key == "SwapFree:") total += kib, found = true;
  }
  return found ? std::optional<double>(total * 1024) : std::nullopt;
}

std::string size_summary(const nn::DecoderSpec& s) {
  return "num_layers " + std::to_string(s.num_layers) + ", hidden_size " + std::to_string(s.hidden_size) +
         ", intermediate_size " + std::to_string(s.intermediate_size) + ", vocab_size " + std::to_string(s.vocab_size) +
         ", heads " + std::to_string(s.num_heads) + " x " + std::to_string(s.head_dim);
}

std::string count_text(double n) {
  return n >= 1e9 ? text::format_number("%.3g", n / 1e9) + "B" : text::format_number("%.3g", n / 1e6) + "M";
}

}  // namespace

double approximate_parameters(const nn::DecoderSpec& s) {
  const double h = static_cast<double>(s.hidden_size), v = static_cast<double>(s.vocab_size);
  const double q = static_cast<double>(s.num_heads) * static_cast<double>(s.head_dim);
  const double kv = static_cast<double>(s.num_kv_heads) * static_cast<double>(s.head_dim);
  const double mlp = (s.mlp.gated ? 3.0 : 2.0) * h * static_cast<double>(s.intermediate_size);
  const double layer = 2 * h * q + 2 * h * kv + mlp;
  const double positions = s.positions.empty() ? 0.0 : static_cast<double>(s.max_positions) * h;
  return v * h * (s.tie_word_embeddings ? 1.0 : 2.0) + positions + static_cast<double>(s.num_layers) * layer;
}

void check_against_weights(const nn::DecoderSpec& spec, const fs::path& model_dir) {
  const weights::Checkpoint checkpoint = weights::Checkpoint::open(model_dir);
  double stored = 0;
  for (const auto& name : checkpoint.names()) {
    double elements = 1;
    for (auto d : checkpoint.info(name).shape) elements *= static_cast<double>(d);
    stored += elements;
  }
  const double wanted = approximate_parameters(spec);
  // The count leaves biases and norms out, and a checkpoint may hold more (an untied head, buffers).
  if (wanted > stored * 1.05 + 1e5)
    throw UsageError((model_dir / "config.json").string() + " describes a network of about " + count_text(wanted) +
                     " parameters (" + size_summary(spec) + "), but the weights there hold " + count_text(stored) +
                     ": check that config.json belongs to these weights");
}

void check_fits_in_memory(const nn::DecoderSpec& spec, const std::string& what) {
  const double bytes = approximate_parameters(spec) * 4;  // fp32
  const auto available = free_memory();
  if (available && bytes > *available)
    throw RunError(what + ": a network of about " + count_text(bytes / 4) + " parameters (" + size_summary(spec) +
                   ") needs " + text::format_number("%.1f", bytes / 1e9) + " GB, more than the " +
                   text::format_number("%.1f", *available / 1e9) + " GB of memory free");
}

void load_weights(nn::CausalLM& network, const fs::path& model_dir, torch::ScalarType dtype) {
  weights::Checkpoint checkpoint = weights::Checkpoint::open(model_dir);
  std::map<std::string, torch::Tensor> parameters;
  for (const auto& item : network.named_parameters()) parameters.emplace(item.key(), item.value());

  std::vector<std::string> unexpected, wrong_shape;
  std::vector<std::pair<std::string, std::string>> plan;  // (checkpoint name, parameter name)
  std::set<std::string> filled;
  for (const auto& name : checkpoint.names()) {
    std::string target = parameter_for(name, network.spec(), parameters);
    if (target.empty()) continue;
    auto it = parameters.find(target);
    if (it == parameters.end()) {
      unexpected.push_back(name);
      continue;
    }
    const auto& info = checkpoint.info(name);
    filled.insert(target);
    if (c10::IntArrayRef(info.shape) != it->second.sizes()) {
      wrong_shape.push_back(name + " " + shape_text(info.shape) + " (the model expects " + shape_text(it->second.sizes()) + ")");
      continue;
    }
    plan.emplace_back(name, target);
  }
  std::vector<std::string> missing;
  for (const auto& [name, tensor] : parameters)
    if (!filled.count(name)) missing.push_back(name);

  if (!missing.empty() || !unexpected.empty() || !wrong_shape.empty()) {
    std::string message = model_dir.string() + ": the weights do not fit the architecture in config.json:";
    if (!missing.empty()) message += "\n  missing tensors (" + std::to_string(missing.size()) + "): " + some(missing);
    if (!unexpected.empty())
      message += "\n  unexpected tensors (" + std::to_string(unexpected.size()) + "): " + some(unexpected);
    if (!wrong_shape.empty())
      message += "\n  wrong shapes (" + std::to_string(wrong_shape.size()) + "): " + some(wrong_shape, 4);
    message += "\n  check that config.json belongs to these weights, or pass the right --handler";
    throw UsageError(message);
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : plan) {
    torch::Tensor tensor = checkpoint.tensor(name);
    parameters[target].set_data(tensor.scalar_type() == dtype ? tensor : tensor.to(dtype));
  }
}

std::vector<std::pair<std::string, torch::Tensor>> checkpoint_tensors(nn::CausalLM& network) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& item : network.named_parameters()) tensors.emplace_back(item.key(), item.value());
  return tensors;
}

std::vector<std::int64_t> eos_ids(const fs::path& model_dir, const json& config, const tok::Tokenizer& tokenizer) {
  std::vector<std::int64_t> ids;
  auto add = [&](const json& value) {
    if (value.is_number_integer()) ids.push_back(value.get<std::int64_t>());
    if (value.is_array())
      for (const auto& v : value)
        if (v.is_number_integer()) ids.push_back(v.get<std::int64_t>());
  };
  fs::path generation = model_dir / "generation_config.json";
  json generation_config = fs::exists(generation) ? read_json_file(generation) : json::object();
  if (generation_config.contains("eos_token_id")) add(generation_config["eos_token_id"]);
  else if (config.contains("eos_token_id")) add(config["eos_token_id"]);
  fs::path tokenizer_config = model_dir / "tokenizer_config.json";
  if (fs::exists(tokenizer_config)) {
    json tc = read_json_file(tokenizer_config);
    if (tc.contains("eos_token") && !tc["eos_token"].is_null())
      if (auto id = tokenizer.token_to_id(chat::special_token_text(tc["eos_token"]))) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

torch::ScalarType parse_precision(const std::string& precision) {
  if (precision == "bf16") return torch::kBFloat16;
  if (precision == "fp16") return torch::kFloat16;
  if (precision == "fp32") return torch::kFloat32;
  throw UsageError("precision '" + precision + "': use bf16, fp16 or fp32");
}


Model load_model(const fs::path& dir, const Registry& registry, const LoadOptions& options) {
  Model model;
  model.dir = dir;
  model.config = read_config(dir);
  model.handler = &choose_handler(registry, model.config, options.handler);
  try {
    model.facts = model.handler->facts(model.config);
    // Sizes are checked against the weights (or the memory) before anything is allocated.
    const nn::DecoderSpec spec = model.handler->architecture(model.config);
    nn::validate(spec);
    if (options.weights) check_against_weights(spec, dir);
    else check_fits_in_memory(spec, (dir / "config.json").string());
    model.network = model.handler->build(model.config);
  } catch (const std::invalid_argument& e) {
    throw UsageError((dir / "config.json").string() + ": " + e.what() + " (handler '" + model.handler->name() + "')");
  }
  if (options.weights) load_weights(*model.network, dir, options.dtype);
  model.network->eval();

  fs::path tokenizer_file = dir / "tokenizer.json";
  if (!fs::exists(tokenizer_file))
    throw UsageError(dir.string() + ": no tokenizer.json; ftcore reads the fast-tokenizer file that transformers "
                     "writes (save the tokenizer with transformers' save_pretrained)");
  try {
    model.tokenizer = std::make_shared<tok::Tokenizer>(tok::Tokenizer::from_file(tokenizer_file));
  } catch (const tok::TokenizerError& e) {
    throw UsageError(e.what());
  }
  try {
    model.chat = std::make_shared<chat::ChatTemplate>(
        chat::ChatTemplate::from_model_dir(dir, options.chat_template, model.facts.fallback_chat_template));
  } catch (const tmpl::TemplateError& e) {  // the checkpoint's template does not parse, or is too deep
    throw UsageError(std::string("the chat template: ") + e.what());
  }
  spdlog::debug("model {}: handler {}, {} parameters", dir.string(), model.handler->name(),
                model.network->parameters().size());
  return model;
}

}  // namespace ftcore::model
