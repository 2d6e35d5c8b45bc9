#include "freeze/freeze_method.hpp"

#include <set>
#include <sstream>
#include <stdexcept>

#include "ftcore/nn/modules.hpp"
#include "full/full_method.hpp"

namespace ftcore::methods {

namespace fs = std::filesystem;

namespace {

bool has_part(const std::string& dotted, const std::string& part) {
  return dotted == part || dotted.rfind(part + ".", 0) == 0 || dotted.find("." + part + ".") != std::string::npos ||
         (dotted.size() > part.size() && dotted.compare(dotted.size() - part.size() - 1, std::string::npos, "." + part) == 0);
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// A parameter of a decoder layer: its layer index and its name inside the layer ("mlp.up_proj.weight").
struct LayerParameter {
  std::int64_t index = -1;
  std::string inner;
};

LayerParameter layer_parameter(const std::string& name, const std::string& layers_prefix) {
  LayerParameter out;
  if (name.rfind(layers_prefix, 0) != 0) return out;
  const auto dot = name.find('.', layers_prefix.size());
  if (dot == std::string::npos) return out;
  out.index = std::stoll(name.substr(layers_prefix.size(), dot - layers_prefix.size()));
  out.inner = name.substr(dot + 1);
  return out;
}

}  // namespace

std::string FreezeMethod::name() const { return "freeze"; }

std::string FreezeMethod::description() const {
  return "Freeze tuning: only the last N decoder layers (and named modules) train; writes a Hugging Face model directory";
}

std::vector<std::pair<std::string, std::string>> FreezeMethod::defaults() const {
  return {{"learning-rate", "2e-5"}, {"grad-accum", "32"}, {"warmup-ratio", "0.03"}, {"weight-decay", "0.1"},
          {"freeze-trainable-layers", "2"}};
}

std::unique_ptr<MethodRun> FreezeMethod::apply(nn::CausalLM& network, const Options& options, const FamilyFacts&) const {
  refuse_quantised_base(options, "freeze");
  const auto& spec = network.spec();
  const std::int64_t layers = spec.num_layers;
  const std::int64_t n = options.integer("freeze-trainable-layers").value_or(2);
  if (n == 0 || n > layers || n < -layers)
    throw std::invalid_argument("--freeze-trainable-layers " + std::to_string(n) + ": this model has " +
                                std::to_string(layers) + " layers; give N in 1.." + std::to_string(layers) +
                                " (the last N) or -" + std::to_string(layers) + "..-1 (the first -N)");
  const std::int64_t first = n > 0 ? layers - n : 0, end = n > 0 ? layers : -n;
  std::vector<std::string> modules = options.list("freeze-trainable-modules");
  const bool all = modules.empty() || (modules.size() == 1 && modules[0] == "all");
  const std::vector<std::string> extra = options.list("freeze-extra-modules");
  const std::string layers_prefix = spec.backbone + "." + spec.layers + ".";

  std::set<std::string> inner_modules, outer_modules, used;
  std::vector<torch::Tensor> chosen;
  std::int64_t trained = 0, total = 0;
  for (const auto& item : network.named_parameters()) {
    const std::string& name = item.key();
    total += item.value().numel();
    const LayerParameter lp = layer_parameter(name, layers_prefix);
    bool take = false;
    if (lp.index >= 0) {
      const std::string owner = lp.inner.substr(0, lp.inner.rfind('.'));
      inner_modules.insert(owner.substr(0, owner.find('.')));
      inner_modules.insert(owner.substr(owner.rfind('.') + 1));
      if (lp.index >= first && lp.index < end) {
        if (all) take = true;
        for (const auto& m : modules) {
          if (!has_part(owner, m)) continue;
          take = true;
          used.insert("module:" + m);
        }
      }
    } else {
      const std::string owner = name.substr(0, name.rfind('.'));
      outer_modules.insert(owner.substr(owner.rfind('.') + 1));
      for (const auto& m : extra) {
        if (!has_part(owner, m)) continue;
        take = true;
        used.insert("extra:" + m);
      }
    }
    if (take) {
      chosen.push_back(item.value());
      trained += item.value().numel();
    }
  }
  if (!all)
    for (const auto& m : modules)
      if (!used.count("module:" + m))
        throw std::invalid_argument("--freeze-trainable-modules '" + m + "' names no module of the decoder layers (they have " +
                                    joined(inner_modules) + ", or all)");
  for (const auto& m : extra)
    if (!used.count("extra:" + m))
      throw std::invalid_argument("--freeze-extra-modules '" + m + "' names no module outside the decoder layers (there are " +
                                  joined(outer_modules) + ")");

  for (auto& p : network.parameters()) p.set_requires_grad(false);
  for (auto& p : chosen) p.set_requires_grad(true);
  std::ostringstream what;
  what << "freeze tuning: layers " << first << "-" << end - 1 << " of " << layers << " (";
  for (std::size_t i = 0; i < modules.size() || (all && i == 0); ++i) what << (i ? ", " : "") << (all ? "all" : modules[i]);
  what << ")";
  for (const auto& m : extra) what << " + " << m;
  what << ": " << trained << " of " << total << " parameters train";
  return model_directory_run(network, what.str());
}

bool FreezeMethod::recognises(const fs::path&) const { return false; }

std::unique_ptr<MethodRun> FreezeMethod::load(nn::CausalLM& network, const fs::path& dir, bool trainable) const {
  return FullMethod().load(network, dir, trainable);
}

}  // namespace ftcore::methods
