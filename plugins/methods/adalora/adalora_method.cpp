#include "adalora/adalora_method.hpp"
#include "ftcore/files.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "adalora/adalora_layer.hpp"
#include "common/adapters.hpp"
#include "common/targets.hpp"
#include "ftcore/nn/io.hpp"

namespace ftcore::methods {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPrefix = "base_model.model.";
constexpr const char* kStateFile = "adalora_state.safetensors";
constexpr const char* kStateJson = "adalora_state.json";

struct Site {
  nn::LinearSite site;
  std::shared_ptr<AdaLoraLinear> layer;
};

/// AdaLoraConfig's own fields, with PEFT's defaults.
struct Settings {
  std::int64_t init_r = 12, target_r = 8, tinit = 0, tfinal = 0, delta_t = 1;
  double beta1 = 0.85, beta2 = 0.85, orth_reg_weight = 0.5;
  std::optional<std::int64_t> total_step;
  double alpha = 8, dropout = 0;
};

/// The smoothed importance and uncertainty of one parameter (undefined before the first update).
struct Importance {
  torch::Tensor average, uncertainty;
};

using Pattern = std::vector<std::vector<bool>>;  // per site, per initial rank: kept

class AdaLoraRun final : public MethodRun {
 public:
  AdaLoraRun(std::vector<Site> sites, Settings settings, Selection selection, json loaded_pattern = nullptr)
      : sites_(std::move(sites)), settings_(settings), selection_(std::move(selection)),
        loaded_pattern_(std::move(loaded_pattern)), importance_(sites_.size()) {
    for (const auto& s : sites_) init_budget_ += s.layer->rank();
    target_budget_ = settings_.target_r * static_cast<std::int64_t>(sites_.size());
  }

  std::string summary() const override {
    std::ostringstream out;
    out << "AdaLoRA init_r=" << settings_.init_r << " target_r=" << settings_.target_r << " alpha=" << settings_.alpha
        << " dropout " << settings_.dropout << " on " << sites_.size() << " linear layers (" << selection_.targets.dump()
        << "); budget " << init_budget_ << " -> " << target_budget_ << " ranks, tinit " << settings_.tinit << ", tfinal "
        << settings_.tfinal << ", orth_reg_weight " << settings_.orth_reg_weight;
    return out.str();
  }

  std::string artefact() const override { return "lora"; }

  void begin_training(std::int64_t total_steps) override {
    const std::int64_t total = settings_.total_step.value_or(total_steps);
    if (total < 1)
      throw std::invalid_argument("AdaLoRA needs the total number of optimizer steps for its budget schedule, and this run "
                                  "has none: pass --max-steps or --epochs, or --adalora-total-step");
    if (total - settings_.tfinal <= settings_.tinit)
      throw std::invalid_argument("AdaLoRA: --adalora-tinit " + std::to_string(settings_.tinit) + " + --adalora-tfinal " +
                                  std::to_string(settings_.tfinal) + " leave no steps to allocate ranks in a run of " +
                                  std::to_string(total) + " steps: lower them (tinit + tfinal < total steps)");
    settings_.total_step = total;
  }

  double add_regularizer_gradients(double grad_scale) override {
    // PEFT: the mean over every A and B of ||A A^T - I||_F and ||B^T B - I||_F, in module order.
    torch::Tensor sum;
    std::int64_t count = 0;
    for (const auto& s : sites_) {
      for (const auto* p : {&s.layer->lora_A, &s.layer->lora_B}) {
        const auto gram = p == &s.layer->lora_A ? torch::matmul(*p, p->t()) : torch::matmul(p->t(), *p);
        const auto eye = torch::eye(gram.size(0), gram.options());
        const auto norm = torch::linalg_vector_norm(gram - eye, 2);
        sum = sum.defined() ? sum + norm : norm;
        ++count;
      }
    }
    if (!sum.defined()) return 0;
    auto penalty = sum / static_cast<double>(count) * settings_.orth_reg_weight;
    (penalty * grad_scale).backward();
    return penalty.item<double>();
  }

  void after_step(std::int64_t step) override { update_and_allocate(step - 1); }

  void save(const fs::path& dir, const SaveInfo& info) const override {
    fs::create_directories(dir);
    nn::NamedTensors tensors;
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      const auto& layer = *sites_[i].layer;
      auto a = layer.lora_A.detach(), b = layer.lora_B.detach(), e = layer.lora_E.detach();
      if (pattern_) {  // PEFT truncates to the kept ranks, keeping their order
        std::vector<std::int64_t> kept;
        for (std::size_t k = 0; k < (*pattern_)[i].size(); ++k)
          if ((*pattern_)[i][k]) kept.push_back(static_cast<std::int64_t>(k));
        const auto index = torch::tensor(kept, torch::TensorOptions().dtype(torch::kLong).device(a.device()));
        a = a.index_select(0, index);
        e = e.index_select(0, index);
        b = b.index_select(1, index);
      }
      const std::string prefix = kPrefix + sites_[i].site.name;
      tensors.emplace_back(prefix + ".lora_A", a.contiguous());
      tensors.emplace_back(prefix + ".lora_B", b.contiguous());
      tensors.emplace_back(prefix + ".lora_E", e.contiguous());
    }
    nn::save_safetensors(dir / "adapter_model.safetensors", tensors);
    std::ofstream(dir / "adapter_config.json") << adapter_config(info).dump(2) << "\n";
  }

  void merge() override {
    for (auto& s : sites_)
      if (!std::dynamic_pointer_cast<nn::Linear>(s.layer->base()))
        throw std::runtime_error(s.site.name + ": cannot merge an adapter into a quantised base layer");
    for (auto& s : sites_) {
      s.layer->merge();
      s.site.owner->replace_linear(s.site.child, s.layer->base());
    }
    sites_.clear();
  }

  void save_training_state(const fs::path& dir) const override {
    nn::NamedTensors tensors;
    for (std::size_t i = 0; i < sites_.size(); ++i)
      for (std::size_t p = 0; p < 3; ++p) {
        const auto& imp = importance_[i][p];
        if (!imp.average.defined()) continue;
        const auto key = std::to_string(i) + "." + kParts[p];
        tensors.emplace_back(key + ".average", imp.average);
        tensors.emplace_back(key + ".uncertainty", imp.uncertainty);
      }
    nn::save_safetensors(dir / kStateFile, tensors);
    std::ofstream(dir / kStateJson) << json{{"rank_pattern", pattern_ ? json(*pattern_) : json(nullptr)}}.dump() << "\n";
  }

  void load_training_state(const fs::path& dir) override {
    if (!fs::exists(dir / kStateFile) || !fs::exists(dir / kStateJson))
      throw std::invalid_argument(dir.string() + ": no AdaLoRA allocator state (" + kStateFile +
                                  "): was this checkpoint written by another method?");
    std::map<std::string, torch::Tensor> tensors;
    for (auto& [name, tensor] : nn::load_safetensors(dir / kStateFile)) tensors.emplace(name, tensor);
    std::vector<std::array<Importance, 3>> loaded(sites_.size());
    for (std::size_t i = 0; i < sites_.size(); ++i)
      for (std::size_t p = 0; p < 3; ++p) {
        const auto key = std::to_string(i) + "." + kParts[p];
        auto average = tensors.find(key + ".average"), uncertainty = tensors.find(key + ".uncertainty");
        if (average == tensors.end() || uncertainty == tensors.end()) continue;
        const auto& param = parameter(i, p);
        if (average->second.sizes() != param.sizes() || uncertainty->second.sizes() != param.sizes())
          throw std::invalid_argument((dir / kStateFile).string() + ": " + key + " does not fit layer " + sites_[i].site.name);
        loaded[i][p] = {average->second.to(param.device()), uncertainty->second.to(param.device())};
      }
    const json state = json::parse(files::read_regular(dir / kStateJson, "AdaLoRA state"));
    std::optional<Pattern> pattern;
    if (!state.at("rank_pattern").is_null()) {
      pattern = state.at("rank_pattern").get<Pattern>();
      if (pattern->size() != sites_.size())
        throw std::invalid_argument((dir / kStateJson).string() + ": the rank pattern does not fit this run's layers");
    }
    importance_ = std::move(loaded);
    pattern_ = std::move(pattern);
  }

 private:
  static constexpr const char* kParts[3] = {"lora_A", "lora_B", "lora_E"};

  torch::Tensor& parameter(std::size_t site, std::size_t part) const {
    auto& layer = *sites_[site].layer;
    return part == 0 ? layer.lora_A : part == 1 ? layer.lora_B : layer.lora_E;
  }

  /// RankAllocator.budget_schedule: the budget for `step` and whether to mask then.
  std::pair<std::int64_t, bool> budget_schedule(std::int64_t step) const {
    const std::int64_t total = *settings_.total_step;
    if (step <= settings_.tinit) return {init_budget_, false};
    if (step > total - settings_.tfinal) return {target_budget_, true};
    const double coefficient = 1.0 - static_cast<double>(step - settings_.tinit) /
                                         static_cast<double>(total - settings_.tfinal - settings_.tinit);
    const auto budget = static_cast<std::int64_t>(static_cast<double>(init_budget_ - target_budget_) *
                                                      std::pow(coefficient, 3.0) +
                                                  static_cast<double>(target_budget_));
    return {budget, step % settings_.delta_t == 0};
  }

  /// AdaLoraModel.update_and_allocate(global_step), 0-based as in PEFT's training loop.
  void update_and_allocate(std::int64_t global_step) {
    if (!settings_.total_step) throw std::logic_error("AdaLoRA: begin_training was not called");
    torch::NoGradGuard no_grad;
    const std::int64_t end = *settings_.total_step - settings_.tfinal;
    if (global_step < end) {
      update_importance();
      const auto [budget, mask] = budget_schedule(global_step);
      if (mask) pattern_ = mask_to_budget(budget);
    } else if (global_step == end) {
      pattern_ = mask_to_budget(budget_schedule(global_step).first);
      for (auto& parts : importance_)
        for (auto& imp : parts) imp = {};
    } else if (pattern_) {
      for (std::size_t i = 0; i < sites_.size(); ++i) {
        auto keep = torch::tensor(std::vector<std::int64_t>((*pattern_)[i].begin(), (*pattern_)[i].end()));
        sites_[i].layer->lora_E.masked_fill_((keep == 0).view({-1, 1}).to(sites_[i].layer->lora_E.device()), 0.0);
      }
    }
  }

  /// RankAllocator.update_ipt: EMAs of |p * grad| and of its deviation, op for op.
  void update_importance() {
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    for (std::size_t i = 0; i < sites_.size(); ++i)
      for (std::size_t p = 0; p < 3; ++p) {
        const auto& param = parameter(i, p);
        if (!param.grad().defined())
          throw std::logic_error("AdaLoRA: " + sites_[i].site.name + "." + kParts[p] + " has no gradient this step");
        auto& imp = importance_[i][p];
        if (!imp.average.defined()) imp = {torch::zeros_like(param), torch::zeros_like(param)};
        const auto ipt = (param * param.grad()).abs();
        imp.average = imp.average * b1 + ipt * (1 - b1);
        imp.uncertainty = imp.uncertainty * b2 + (ipt - imp.average).abs() * (1 - b2);
      }
  }

  /// RankAllocator.mask_to_budget: zero E where the triplet score is at or below the k-th smallest.
  Pattern mask_to_budget(std::int64_t budget) {
    std::vector<torch::Tensor> scores;
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      auto score = [&](std::size_t p) { return importance_[i][p].average * importance_[i][p].uncertainty; };
      const auto a = score(0).mean(1, /*keepdim=*/true);
      const auto b = score(1).mean(0).view({-1, 1});
      scores.push_back(score(2).view({-1}) + torch::cat({a, b}, 1).sum(1));
    }
    const std::int64_t k = init_budget_ - budget;
    Pattern pattern;
    const double threshold = k > 0 ? std::get<0>(torch::kthvalue(torch::cat(scores), k)).item<double>()
                                   : -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      const auto pruned = scores[i] <= threshold;
      sites_[i].layer->lora_E.masked_fill_(pruned.view({-1, 1}), 0.0);
      const auto kept = (~pruned).to(torch::kCPU);
      std::vector<bool> row;
      for (std::int64_t r = 0; r < kept.numel(); ++r) row.push_back(kept[r].item<bool>());
      pattern.push_back(std::move(row));
    }
    return pattern;
  }

  json adapter_config(const SaveInfo& info) const {
    json pattern = loaded_pattern_;
    if (pattern_) {
      pattern = json::object();
      for (std::size_t i = 0; i < sites_.size(); ++i) pattern[sites_[i].site.name + ".lora_E"] = (*pattern_)[i];
    }
    // The 33 fields peft 0.13 writes for an AdaLoRA adapter; another key makes it refuse the file.
    json config = peft_lora_config(info, selection_, !sites_.empty() && fan_in_fan_out(*sites_.front().layer->base()));
    config["peft_type"] = "ADALORA";
    config["r"] = 8;  // PEFT's default, which AdaLoRA ignores (init_r is the rank)
    config["lora_alpha"] = settings_.alpha;
    config["lora_dropout"] = settings_.dropout;
    config["rank_pattern"] = pattern;
    config["init_r"] = settings_.init_r;
    config["target_r"] = settings_.target_r;
    config["tinit"] = settings_.tinit;
    config["tfinal"] = settings_.tfinal;
    config["deltaT"] = settings_.delta_t;
    config["beta1"] = settings_.beta1;
    config["beta2"] = settings_.beta2;
    config["orth_reg_weight"] = settings_.orth_reg_weight;
    config["total_step"] = settings_.total_step ? json(*settings_.total_step) : json(nullptr);
    return config;
  }

  std::vector<Site> sites_;
  Settings settings_;
  Selection selection_;
  json loaded_pattern_;  ///< the rank_pattern of a loaded adapter (its tensors are already truncated)
  std::vector<std::array<Importance, 3>> importance_;
  std::optional<Pattern> pattern_;
  std::int64_t init_budget_ = 0, target_budget_ = 0;
};

void set_trainable(const std::vector<Site>& sites) {
  for (const auto& s : sites)
    for (auto* p : {&s.layer->lora_A, &s.layer->lora_B, &s.layer->lora_E}) p->set_requires_grad(true);
}

std::shared_ptr<AdaLoraLinear> wrap(const nn::LinearSite& site, std::int64_t rank, const Settings& settings) {
  auto layer = std::make_shared<AdaLoraLinear>(site.owner->linear(site.child), rank, settings.init_r, settings.alpha,
                                               settings.dropout);
  site.owner->replace_linear(site.child, layer);
  return layer;
}

/// Everything PEFT refuses or ftcore's AdaLoRA does not do, before anything changes.
void check(const Options& options, const Settings& s) {
  auto refuse = [](const std::string& what) { throw std::invalid_argument(what); };
  if (options.flag("use-dora"))
    refuse("--use-dora with --method adalora: PEFT's AdaLoRA has no DoRA (it refuses use_dora); choose one of the two");
  if (options.flag("use-rslora")) refuse("--use-rslora with --method adalora: AdaLoRA scales by lora_alpha / rank itself");
  if (options.flag("load-in-8bit"))
    refuse("--load-in-8bit with --method adalora: ftcore's AdaLoRA trains on a dense base (use lora, dora or qlora for a "
           "quantised one)");
  if (options.text("lora-bias").value_or("none") != "none" || !options.list("modules-to-save").empty())
    refuse("--lora-bias and --modules-to-save are not available with --method adalora (only its adapters train)");
  if (s.init_r < 1) refuse("--adalora-init-r must be at least 1");
  if (s.target_r < 1 || s.target_r > s.init_r)
    refuse("--adalora-target-r " + std::to_string(s.target_r) + " must be between 1 and --adalora-init-r (" +
           std::to_string(s.init_r) + "): AdaLoRA prunes ranks, it does not add them");
  if (s.tinit < 0 || s.tfinal < 0) refuse("--adalora-tinit and --adalora-tfinal must not be negative");
  if (s.delta_t < 1) refuse("--adalora-delta-t must be at least 1");
  for (auto [name, beta] : {std::pair{"--adalora-beta1", s.beta1}, std::pair{"--adalora-beta2", s.beta2}})
    if (!(beta > 0 && beta < 1)) refuse(std::string(name) + " must be in (0, 1)");
  if (!(s.orth_reg_weight > 0)) refuse("--adalora-orth-reg-weight must be greater than 0 (PEFT's rule)");
  if (s.total_step && *s.total_step < 1) refuse("--adalora-total-step must be at least 1");
  if (s.dropout < 0 || s.dropout >= 1) refuse("--lora-dropout must be in [0, 1)");
}

Settings settings_from(const Options& options) {
  Settings s;
  s.init_r = options.integer("adalora-init-r").value_or(options.integer("lora-r").value_or(12));
  s.target_r = options.integer("adalora-target-r").value_or(8);
  s.tinit = options.integer("adalora-tinit").value_or(0);
  s.tfinal = options.integer("adalora-tfinal").value_or(0);
  s.delta_t = options.integer("adalora-delta-t").value_or(1);
  s.beta1 = options.number("adalora-beta1").value_or(0.85);
  s.beta2 = options.number("adalora-beta2").value_or(0.85);
  s.orth_reg_weight = options.number("adalora-orth-reg-weight").value_or(0.5);
  s.total_step = options.integer("adalora-total-step");
  s.alpha = options.number("lora-alpha").value_or(2.0 * static_cast<double>(s.init_r));
  s.dropout = options.number("lora-dropout").value_or(0.0);
  return s;
}

}  // namespace

std::string AdaLoraMethod::description() const {
  return "AdaLoRA adapters (PEFT-compatible): SVD-shaped updates whose ranks are pruned to a budget while training";
}

std::vector<std::pair<std::string, std::string>> AdaLoraMethod::defaults() const {
  // The research-based table: lr 5e-5, initial rank 64 (lora-alpha then defaults to 2 x 64).
  return {{"learning-rate", "5e-5"}, {"lora-r", "64"},          {"adalora-target-r", "8"}, {"lora-dropout", "0.05"},
          {"target-modules", "all-linear"}, {"warmup-ratio", "0.03"}, {"weight-decay", "0.1"}, {"grad-accum", "16"}};
}

std::unique_ptr<MethodRun> AdaLoraMethod::apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const {
  const Settings settings = settings_from(options);
  check(options, settings);
  TargetChoice choice = parse_targets(options.list("target-modules"), facts, options.list("layers-to-transform"),
                                      options.text("layers-pattern").value_or(""));
  std::vector<nn::LinearSite> sites = select_sites(network, choice);
  freeze(network);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(options.integer("seed").value_or(42)));
  std::vector<Site> adapted;
  for (const auto& site : sites) {
    auto layer = wrap(site, settings.init_r, settings);
    layer->reset(generator);
    adapted.push_back({site, layer});
  }
  set_trainable(adapted);
  Selection selection{targets_for_config(choice, sites), layers_for_config(choice), layers_pattern_for_config(choice)};
  return std::make_unique<AdaLoraRun>(std::move(adapted), settings, std::move(selection));
}

bool AdaLoraMethod::recognises(const fs::path& dir) const {
  if (!fs::exists(dir / "adapter_config.json")) return false;
  try {
    return read_json(dir / "adapter_config.json").value("peft_type", "") == "ADALORA";
  } catch (const std::exception&) {
    return false;
  }
}

std::unique_ptr<MethodRun> AdaLoraMethod::load(nn::CausalLM& network, const fs::path& dir, bool trainable) const {
  const fs::path config_file = dir / "adapter_config.json";
  const json config = read_json(config_file);
  if (config.value("peft_type", "") != "ADALORA")
    throw std::invalid_argument(config_file.string() + ": peft_type is " + config.value("peft_type", std::string("missing")) +
                                ", not ADALORA");
  Settings settings;
  try {
    settings.init_r = config.value("init_r", std::int64_t{12});
    settings.target_r = config.value("target_r", std::int64_t{8});
    settings.tinit = config.value("tinit", std::int64_t{0});
    settings.tfinal = config.value("tfinal", std::int64_t{0});
    settings.delta_t = config.value("deltaT", std::int64_t{1});
    settings.beta1 = config.value("beta1", 0.85);
    settings.beta2 = config.value("beta2", 0.85);
    settings.orth_reg_weight = config.value("orth_reg_weight", 0.5);
    if (config.contains("total_step") && !config["total_step"].is_null()) settings.total_step = config["total_step"].get<std::int64_t>();
    settings.alpha = config.value("lora_alpha", 8.0);
    settings.dropout = config.value("lora_dropout", 0.0);
  } catch (const json::exception& e) {
    throw std::invalid_argument(config_file.string() + ": a field has the wrong type (" + e.what() + ")");
  }
  const fs::path weights_file = dir / "adapter_model.safetensors";
  if (!fs::exists(weights_file)) throw std::invalid_argument(weights_file.string() + ": missing");
  std::map<std::string, torch::Tensor> tensors;
  for (auto& [name, tensor] : nn::load_safetensors(weights_file)) tensors.emplace(name, tensor);
  std::map<std::string, nn::LinearSite> by_name;
  for (auto& site : network.linear_sites()) by_name.emplace(site.name, site);
  freeze(network);
  std::vector<Site> adapted;
  std::set<std::string> used, leaves;
  torch::NoGradGuard no_grad;
  for (const auto& [key, a] : tensors) {
    const std::string suffix = ".lora_A";
    if (key.rfind(kPrefix, 0) != 0 || key.size() < suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string name = key.substr(std::string(kPrefix).size(), key.size() - std::string(kPrefix).size() - suffix.size());
    auto site = by_name.find(name);
    if (site == by_name.end())
      throw std::invalid_argument(weights_file.string() + ": " + key + " adapts '" + name +
                                  "', which is not a linear layer of this model: is it the adapter of another base model?");
    auto b = tensors.find(kPrefix + name + ".lora_B"), e = tensors.find(kPrefix + name + ".lora_E");
    if (b == tensors.end() || e == tensors.end())
      throw std::invalid_argument(weights_file.string() + ": " + key + " without its lora_B and lora_E");
    const auto rank = a.dim() == 2 ? a.size(0) : -1;
    auto layer = wrap(site->second, std::max<std::int64_t>(rank, 0), settings);
    for (auto [param, value, what] : {std::tuple{&layer->lora_A, a, "lora_A"}, std::tuple{&layer->lora_B, b->second, "lora_B"},
                                      std::tuple{&layer->lora_E, e->second, "lora_E"}}) {
      if (param->sizes() != value.sizes())
        throw std::invalid_argument(weights_file.string() + ": " + kPrefix + name + "." + what + " has shape " +
                                    c10::str(value.sizes()) + ", layer " + name + " (in " + std::to_string(layer->in_features()) +
                                    ", out " + std::to_string(layer->out_features()) + ", rank " + std::to_string(rank) +
                                    ") needs " + c10::str(param->sizes()));
      param->copy_(value);
    }
    used.insert({key, b->first, e->first});
    leaves.insert(leaf_name(name));
    adapted.push_back({site->second, layer});
  }
  for (const auto& [key, tensor] : tensors)
    if (!used.count(key)) throw std::invalid_argument(weights_file.string() + ": tensor " + key + " matches no AdaLoRA layer");
  if (adapted.empty()) throw std::invalid_argument(weights_file.string() + ": no lora_A/lora_B/lora_E tensors");
  if (trainable) set_trainable(adapted);
  Selection selection{json(std::vector<std::string>(leaves.begin(), leaves.end())),
                      config.value("layers_to_transform", json(nullptr)), config.value("layers_pattern", json(nullptr))};
  return std::make_unique<AdaLoraRun>(std::move(adapted), settings, std::move(selection),
                                      config.value("rank_pattern", json(nullptr)));
}

}  // namespace ftcore::methods
