#include "lora/lora_method.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/adapters.hpp"
#include "common/targets.hpp"
#include "ftcore/nn/io.hpp"
#include "ftcore/nn/quant.hpp"
#include "lora/lora_layer.hpp"

namespace ftcore::methods {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPrefix = "base_model.model.";

struct AdaptedSite {
  nn::LinearSite site;
  std::shared_ptr<LoraLinear> layer;
};

/// What trains besides the adapters, as PEFT configures it.
struct Extras {
  std::string bias = "none";                  ///< none | all | lora_only
  std::vector<std::string> modules_to_save;  ///< module names, matched as target names are
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool module_matches(const std::string& name, const std::string& wanted) { return name == wanted || ends_with(name, "." + wanted); }

/// The network's parameters that the extras make trainable, by network name.
std::vector<std::pair<std::string, torch::Tensor>> extra_parameters(nn::CausalLM& network, const Extras& extras,
                                                                   const std::vector<AdaptedSite>& sites) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  std::set<std::string> adapted;
  for (const auto& s : sites) adapted.insert(s.site.name);
  for (const auto& item : network.named_parameters()) {
    const auto& name = item.key();
    bool take = false;
    if (ends_with(name, ".bias")) {
      const std::string owner = name.substr(0, name.size() - std::string(".base_layer.bias").size());
      take = extras.bias == "all" || (extras.bias == "lora_only" && ends_with(name, ".base_layer.bias") && adapted.count(owner));
    }
    for (const auto& module : extras.modules_to_save) {
      auto dot = name.rfind('.');
      if (dot != std::string::npos && module_matches(name.substr(0, dot), module)) take = true;
    }
    if (take) out.emplace_back(name, item.value());
  }
  return out;
}

void check_modules_to_save(nn::CausalLM& network, const std::vector<std::string>& modules) {
  for (const auto& module : modules) {
    bool found = false;
    for (const auto& item : network.named_parameters()) {
      auto dot = item.key().rfind('.');
      found |= dot != std::string::npos && module_matches(item.key().substr(0, dot), module);
    }
    const auto& spec = network.spec();
    if (!found && spec.tie_word_embeddings && module == spec.lm_head)
      throw std::invalid_argument("--modules-to-save '" + module + "': this model ties its output head to the input "
                                  "embedding (tie_word_embeddings); name the embedding instead (" + spec.embed + ")");
    if (!found)
      throw std::invalid_argument("--modules-to-save '" + module + "' names no module of this model (e.g. lm_head, "
                                  "embed_tokens, or a full name such as model.norm)");
  }
}

class LoraRun final : public MethodRun {
 public:
  LoraRun(nn::CausalLM& network, std::vector<AdaptedSite> sites, LoraSettings settings, Extras extras,
          Selection selection, std::string base_note = {})
      : network_(network), sites_(std::move(sites)), settings_(settings), extras_(std::move(extras)),
        selection_(std::move(selection)), base_note_(std::move(base_note)) {}

  std::string summary() const override {
    std::ostringstream out;
    out << (settings_.dora ? "DoRA r=" : "LoRA r=") << settings_.r << " alpha=" << settings_.alpha << " (scaling "
        << (sites_.empty() ? 0.0 : sites_.front().layer->scaling()) << (settings_.rslora ? ", rsLoRA" : "")
        << ") dropout " << settings_.dropout << " on " << sites_.size() << " linear layers (" << selection_.targets.dump();
    if (!selection_.layers.is_null()) out << " in layers " << selection_.layers.dump();
    out << ")";
    if (extras_.bias != "none") out << ", bias " << extras_.bias;
    if (!extras_.modules_to_save.empty()) out << ", modules_to_save " << json(extras_.modules_to_save).dump();
    if (!base_note_.empty()) out << "; base " << base_note_;
    return out.str();
  }

  std::string artefact() const override { return "lora"; }

  void save(const fs::path& dir, const SaveInfo& info) const override {
    fs::create_directories(dir);
    nn::NamedTensors tensors;
    for (const auto& s : sites_) {
      tensors.emplace_back(kPrefix + s.site.name + ".lora_A.weight", s.layer->lora_A().detach().contiguous());
      tensors.emplace_back(kPrefix + s.site.name + ".lora_B.weight", s.layer->lora_B().detach().contiguous());
      if (s.layer->dora())  // PEFT's key has no ".weight" (interop.md section 2)
        tensors.emplace_back(kPrefix + s.site.name + ".lora_magnitude_vector", s.layer->magnitude().detach().contiguous());
    }
    for (const auto& [name, tensor] : extra_parameters(network_, extras_, sites_))
      tensors.emplace_back(kPrefix + name, tensor.detach().contiguous());
    nn::save_safetensors(dir / "adapter_model.safetensors", tensors);
    std::ofstream(dir / "adapter_config.json") << adapter_config(info).dump(2) << "\n";
  }

  void merge() override {
    check_mergeable();
    for (auto& s : sites_) {
      if (!s.layer->merged()) s.layer->merge();
      s.site.owner->replace_linear(s.site.child, s.layer->dense_base());
    }
    sites_.clear();
  }

  void merge_adapter() override {
    check_mergeable();
    for (auto& s : sites_) {
      if (!s.layer->merged()) s.layer->merge();
    }
  }

  void unmerge_adapter() override {
    for (auto& s : sites_) {
      if (s.layer->merged()) s.layer->unmerge();
    }
  }

 private:
  /// Every layer first, so that a failure leaves nothing merged.
  void check_mergeable() const {
    for (const auto& s : sites_)
      if (!s.layer->dense_base()) throw std::runtime_error(s.site.name + ": cannot merge an adapter into a quantised base layer");
  }

  json adapter_config(const SaveInfo& info) const {
    json config = peft_lora_config(info, selection_, !sites_.empty() && fan_in_fan_out(*sites_.front().layer->base()));
    config["peft_type"] = "LORA";
    config["r"] = settings_.r;
    config["lora_alpha"] = settings_.alpha;
    config["lora_dropout"] = settings_.dropout;
    config["bias"] = extras_.bias;
    if (!extras_.modules_to_save.empty()) config["modules_to_save"] = extras_.modules_to_save;
    config["use_dora"] = settings_.dora;
    config["use_rslora"] = settings_.rslora;
    return config;
  }

  nn::CausalLM& network_;
  std::vector<AdaptedSite> sites_;
  LoraSettings settings_;
  Extras extras_;
  Selection selection_;
  std::string base_note_;
};

/// How the frozen base is stored: dense, or quantised (qlora, --load-in-8bit).
struct BaseStorage {
  std::optional<nn::quant::Format> format;
  bool double_quant = true;
  torch::ScalarType compute_dtype = torch::kFloat32;
};

torch::ScalarType dtype_named(const std::string& name) {
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp16") return torch::kFloat16;
  return torch::kFloat32;
}

BaseStorage base_storage(const Options& options, LoraMethod::Variant variant, const nn::CausalLM& network) {
  BaseStorage out;
  const bool int8 = options.flag("load-in-8bit");
  if (variant == LoraMethod::Variant::qlora && int8)
    throw std::invalid_argument("--load-in-8bit and --method qlora (load_in_4bit) contradict each other: choose one");
  if (variant == LoraMethod::Variant::qlora)
    out.format = options.text("bnb-4bit-quant-type").value_or("nf4") == "fp4" ? nn::quant::Format::fp4 : nn::quant::Format::nf4;
  else if (int8)
    out.format = nn::quant::Format::int8;
  out.double_quant = options.flag("bnb-4bit-use-double-quant", true);
  const auto compute = options.text("bnb-4bit-compute-dtype");
  out.compute_dtype = compute ? dtype_named(*compute) : network.dtype();
  return out;
}

/// Replaces every linear layer of the decoder blocks (not the embeddings or the output head, which
/// stay in the training precision) by its quantised form; returns what the log says of it. Every
/// layer is checked before any is replaced.
std::string quantise_base(nn::CausalLM& network, const BaseStorage& storage, const FamilyFacts& facts) {
  const auto format = nn::quant::format_name(*storage.format);
  if (!facts.quantizable)
    throw std::invalid_argument("this model family's handler does not allow a quantised base (" + format +
                                "): use --method lora without --load-in-8bit");
  auto sites = network.linear_sites();
  std::vector<std::shared_ptr<nn::Linear>> dense;
  for (const auto& site : sites) {
    auto layer = std::dynamic_pointer_cast<nn::Linear>(site.owner->linear(site.child));
    if (!layer)
      throw std::invalid_argument("layer " + site.name + " is not a plain linear layer and cannot be stored in " + format +
                                  ": use --method lora without --load-in-8bit for this model");
    dense.push_back(layer);
  }
  std::int64_t weights = 0, bytes = 0;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    auto quantised = nn::quant::QuantizedLinear::from(*dense[i], *storage.format, storage.double_quant, storage.compute_dtype);
    weights += quantised->in_features() * quantised->out_features();
    bytes += quantised->weight().storage_bytes();
    sites[i].owner->replace_linear(sites[i].child, quantised);
  }
  std::ostringstream note;
  note.precision(4);
  note << sites.size() << " linear layers in " << format
       << (*storage.format != nn::quant::Format::int8 && storage.double_quant ? " with double quantisation" : "") << ", "
       << 8.0 * static_cast<double>(bytes) / static_cast<double>(std::max<std::int64_t>(weights, 1))
       << " bits per weight, products in " << c10::toString(storage.compute_dtype);
  return note.str();
}

void set_trainable(nn::CausalLM& network, const std::vector<AdaptedSite>& sites, const Extras& extras) {
  for (const auto& s : sites) {
    s.layer->lora_A().set_requires_grad(true);
    s.layer->lora_B().set_requires_grad(true);
    if (s.layer->dora()) s.layer->magnitude().set_requires_grad(true);
  }
  for (auto& [name, tensor] : extra_parameters(network, extras, sites)) tensor.set_requires_grad(true);
}

std::shared_ptr<LoraLinear> wrap(const nn::LinearSite& site, const LoraSettings& settings) {
  auto layer = std::make_shared<LoraLinear>(site.owner->linear(site.child), settings);
  site.owner->replace_linear(site.child, layer);
  return layer;
}

template <typename T>
T config_value(const json& config, const char* key, T fallback, const fs::path& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(file.string() + ": '" + key + "' has the wrong type (" + it->dump() + ")");
  }
}

}  // namespace

std::string LoraMethod::name() const {
  switch (variant_) {
    case Variant::dora: return "dora";
    case Variant::qlora: return "qlora";
    default: return "lora";
  }
}

std::string LoraMethod::description() const {
  if (variant_ == Variant::qlora)
    return "QLoRA: LoRA adapters on a frozen base held in 4 bits (bitsandbytes' NF4/FP4, double-quantised constants)";
  if (variant_ == Variant::dora)
    return "DoRA adapters (PEFT's LoRA with use_dora): LoRA plus a learned magnitude per output row";
  return "LoRA adapters (PEFT-compatible): low-rank updates to chosen linear layers, base frozen";
}

std::vector<std::pair<std::string, std::string>> LoraMethod::defaults() const {
  // The research-based table; lora-alpha defaults to 2 x lora-r (resolved by the run).
  std::vector<std::pair<std::string, std::string>> out{
      {"learning-rate", variant_ == Variant::dora ? "1e-4" : "2e-4"}, {"lora-r", "64"},       {"lora-dropout", "0.05"},
      {"target-modules", "all-linear"}, {"warmup-ratio", "0.03"}, {"weight-decay", "0.1"},
      {"grad-accum", "16"},        {"lora-bias", "none"}};
  if (variant_ == Variant::qlora) out.emplace_back("gradient-checkpointing", "true");  // the QLoRA recipe
  return out;
}

std::unique_ptr<MethodRun> LoraMethod::apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const {
  LoraSettings settings;
  auto r = options.integer("lora-r");
  if (!r || *r < 1) throw std::invalid_argument("--lora-r must be a positive integer (or auto)");
  settings.r = *r;
  settings.alpha = options.number("lora-alpha").value_or(2.0 * static_cast<double>(settings.r));
  settings.dropout = options.number("lora-dropout").value_or(0.0);
  if (settings.dropout < 0 || settings.dropout >= 1) throw std::invalid_argument("--lora-dropout must be in [0, 1)");
  settings.rslora = options.flag("use-rslora");
  settings.dora = variant_ == Variant::dora || options.flag("use-dora");
  Extras extras;
  extras.bias = options.text("lora-bias").value_or("none");
  extras.modules_to_save = options.list("modules-to-save");

  TargetChoice choice = parse_targets(options.list("target-modules"), facts, options.list("layers-to-transform"),
                                     options.text("layers-pattern").value_or(""));
  std::vector<nn::LinearSite> sites = select_sites(network, choice);
  check_modules_to_save(network, extras.modules_to_save);
  const BaseStorage storage = base_storage(options, variant_, network);
  if (storage.format && extras.bias != "none")
    throw std::invalid_argument("--lora-bias " + extras.bias + " trains biases of the base, which a quantised base keeps "
                                "frozen: use --lora-bias none with " + std::string(variant_ == Variant::qlora ? "qlora" : "--load-in-8bit"));

  freeze(network);
  std::string base_note;
  if (storage.format) base_note = quantise_base(network, storage, facts);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(options.integer("seed").value_or(42)));
  std::vector<AdaptedSite> adapted;
  for (const auto& site : sites) {
    auto layer = wrap(site, settings);
    layer->reset(generator);
    adapted.push_back({site, layer});
  }
  set_trainable(network, adapted, extras);
  Selection selection{targets_for_config(choice, sites), layers_for_config(choice), layers_pattern_for_config(choice)};
  return std::make_unique<LoraRun>(network, std::move(adapted), settings, std::move(extras), std::move(selection), base_note);
}

bool LoraMethod::recognises(const fs::path& dir) const {
  if (variant_ == Variant::qlora) return false;  // its adapters are LoRA adapters: the lora method loads them
  if (!fs::exists(dir / "adapter_config.json")) return false;
  try {
    json config = read_json(dir / "adapter_config.json");
    return config.value("peft_type", "") == "LORA" && config.value("use_dora", false) == (variant_ == Variant::dora);
  } catch (const std::exception&) {
    return false;
  }
}

std::unique_ptr<MethodRun> LoraMethod::load(nn::CausalLM& network, const fs::path& dir, bool trainable) const {
  const fs::path config_file = dir / "adapter_config.json";
  json config = read_json(config_file);
  if (config.value("peft_type", "") != "LORA")
    throw std::invalid_argument(config_file.string() + ": peft_type is " + config.value("peft_type", std::string("missing")) +
                                ", not LORA");
  LoraSettings settings;
  settings.dora = config_value(config, "use_dora", false, config_file);
  settings.r = config_value<std::int64_t>(config, "r", 8, config_file);
  settings.alpha = config_value<double>(config, "lora_alpha", 8.0, config_file);
  settings.dropout = config_value<double>(config, "lora_dropout", 0.0, config_file);
  settings.rslora = config_value(config, "use_rslora", false, config_file);
  Extras extras;
  extras.bias = config_value<std::string>(config, "bias", "none", config_file);
  extras.modules_to_save = config_value<std::vector<std::string>>(config, "modules_to_save", {}, config_file);
  const json rank_pattern = config.value("rank_pattern", json::object());
  const json alpha_pattern = config.value("alpha_pattern", json::object());

  const fs::path weights_file = dir / "adapter_model.safetensors";
  if (!fs::exists(weights_file))
    throw std::invalid_argument(weights_file.string() + ": missing (ftcore reads safetensors adapters, not adapter_model.bin)");
  std::map<std::string, torch::Tensor> tensors;
  for (auto& [name, tensor] : nn::load_safetensors(weights_file)) tensors.emplace(name, tensor);

  std::map<std::string, nn::LinearSite> sites;
  for (auto& site : network.linear_sites()) sites.emplace(site.name, site);
  freeze(network);
  std::vector<AdaptedSite> adapted;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  for (const auto& [key, tensor] : tensors) {
    const std::string suffix = ".lora_A.weight";
    if (key.rfind(kPrefix, 0) != 0 || !ends_with(key, suffix)) continue;
    std::string name = key.substr(std::string(kPrefix).size(), key.size() - std::string(kPrefix).size() - suffix.size());
    auto site = sites.find(name);
    if (site == sites.end())
      throw std::invalid_argument(weights_file.string() + ": " + key + " adapts '" + name +
                                  "', which is not a linear layer of this model: is it the adapter of another base model?");
    auto b = tensors.find(kPrefix + name + ".lora_B.weight");
    if (b == tensors.end()) throw std::invalid_argument(weights_file.string() + ": " + key + " has no matching lora_B.weight");
    LoraSettings local = settings;
    local.r = tensor.size(0);
    local.alpha = alpha_pattern.contains(leaf_name(name)) ? alpha_pattern[leaf_name(name)].get<double>() : settings.alpha;
    (void)rank_pattern;  // the rank is read from the tensor itself
    auto layer = wrap(site->second, local);
    for (auto [param, value] : {std::pair{&layer->lora_A(), tensor}, std::pair{&layer->lora_B(), b->second}}) {
      if (param->sizes() != value.sizes())
        throw std::invalid_argument(weights_file.string() + ": " + key.substr(0, key.size() - suffix.size()) +
                                    " does not fit layer " + name + " (in " + std::to_string(layer->in_features()) + ", out " +
                                    std::to_string(layer->out_features()) + ")");
      param->copy_(value);
    }
    used.insert(key);
    used.insert(b->first);
    if (local.dora) {
      const std::string m_key = kPrefix + name + ".lora_magnitude_vector";
      auto m = tensors.find(m_key);
      if (m == tensors.end()) throw std::invalid_argument(weights_file.string() + ": DoRA adapter without " + m_key);
      if (m->second.sizes() != layer->magnitude().sizes())
        throw std::invalid_argument(weights_file.string() + ": " + m_key + " has shape " + c10::str(m->second.sizes()) +
                                    ", layer " + name + " has " + std::to_string(layer->out_features()) + " outputs");
      layer->magnitude().copy_(m->second);
      used.insert(m_key);
    }
    adapted.push_back({site->second, layer});
  }
  std::map<std::string, torch::Tensor> parameters;
  for (const auto& item : network.named_parameters()) parameters.emplace(kPrefix + item.key(), item.value());
  for (const auto& [key, tensor] : tensors) {
    if (used.count(key)) continue;
    auto it = parameters.find(key);
    if (it == parameters.end() || it->second.sizes() != tensor.sizes())
      throw std::invalid_argument(weights_file.string() + ": tensor " + key + " matches no parameter of this model");
    it->second.copy_(tensor);
  }
  if (adapted.empty()) throw std::invalid_argument(weights_file.string() + ": no lora_A/lora_B tensors");
  freeze(network);
  if (trainable) set_trainable(network, adapted, extras);
  std::set<std::string> names;
  for (const auto& a : adapted) names.insert(leaf_name(a.site.name));
  Selection selection{json(std::vector<std::string>(names.begin(), names.end())),
                      config.value("layers_to_transform", json(nullptr)), config.value("layers_pattern", json(nullptr))};
  return std::make_unique<LoraRun>(network, std::move(adapted), settings, std::move(extras), std::move(selection));
}

}  // namespace ftcore::methods
