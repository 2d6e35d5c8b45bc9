#include "train/optimizer.hpp"

#include <set>
#include <stdexcept>

#include "train/param_optimizer.hpp"

namespace ftcore::train {
namespace detail {
namespace {

/// "[2, 3]", as c10 prints shapes.
std::string shape_text(torch::IntArrayRef shape) { return c10::str(shape); }

bool needs_master(const torch::Tensor& p) { return p.scalar_type() != torch::kFloat32; }

}  // namespace

ParamOptimizer::ParamOptimizer(std::string kind, std::string display, std::vector<ParamGroup> groups)
    : kind_(std::move(kind)), display_(std::move(display)), groups_(std::move(groups)) {
  std::set<const void*> seen;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    if (!(groups_[g].weight_decay >= 0))
      fail("invalid weight_decay " + std::to_string(groups_[g].weight_decay) + " in parameter group " +
           std::to_string(g) + " (must be >= 0)");
    for (const auto& p : groups_[g].params) {
      const auto index = std::to_string(params_.size());
      if (!p.defined()) fail("parameter " + index + " is an undefined tensor");
      if (!c10::isFloatingType(p.scalar_type()))
        fail("parameter " + index + " has dtype " + std::string(c10::toString(p.scalar_type())) +
             "; only floating point is trained");
      if (!seen.insert(p.unsafeGetTensorImpl()).second)
        fail("parameter " + index + " appears more than once in the parameter groups");
      params_.push_back(p);
      decay_.push_back(groups_[g].weight_decay);
    }
  }
  if (params_.empty()) fail("no parameters to optimize");
  state_.resize(params_.size());
}

void ParamOptimizer::fail(const std::string& message) const { throw std::invalid_argument(display_ + ": " + message); }

const nlohmann::json& ParamOptimizer::field(const nlohmann::json& json, const char* name) const {
  if (!json.is_object() || !json.contains(name)) fail(std::string("state: missing \"") + name + "\"");
  return json.at(name);
}

void ParamOptimizer::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  std::vector<Update> updates;
  std::vector<std::size_t> updated;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    const auto& grad = p.grad();
    if (!grad.defined()) continue;
    if (grad.is_sparse()) fail("sparse gradients are not supported");
    auto& s = state_[i];
    if (s.step == 0) init_state(i);
    ++s.step;
    updates.push_back({s.master.defined() ? &s.master : &p, grad.to(torch::kFloat32), &s, decay_[i]});
    updated.push_back(i);
  }
  update_all(updates, lr);
  for (auto i : updated)
    if (state_[i].master.defined()) params_[i].copy_(state_[i].master);
}

void ParamOptimizer::update_all(std::vector<Update>& updates, double lr) const {
  for (auto& u : updates) update(*u.param, u.grad, *u.state, lr, u.weight_decay);
}

void ParamOptimizer::zero_grad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

void ParamOptimizer::init_state(std::size_t i) {
  const auto& p = params_[i];
  auto& s = state_[i];
  for (const auto& spec : specs(p)) s.tensors[spec.name] = torch::zeros(spec.shape, p.options().dtype(spec.dtype));
  if (needs_master(p)) s.master = p.detach().to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
}

std::vector<std::pair<std::string, torch::Tensor>> ParamOptimizer::state_tensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto& s = state_[i];
    if (s.step == 0) continue;
    const auto prefix = std::to_string(i) + ".";
    for (const auto& spec : specs(params_[i])) out.emplace_back(prefix + spec.name, s.tensors.at(spec.name).detach());
    if (s.master.defined()) out.emplace_back(prefix + "master", s.master.detach());
  }
  return out;
}

std::int64_t ParamOptimizer::state_bytes() const {
  std::int64_t bytes = 0;
  for (const auto& s : state_) {
    for (const auto& [name, t] : s.tensors) bytes += t.numel() * static_cast<std::int64_t>(t.element_size());
    if (s.master.defined()) bytes += s.master.numel() * 4;
  }
  return bytes;
}

nlohmann::json ParamOptimizer::state_json() const {
  nlohmann::json shapes = nlohmann::json::array(), param_steps = nlohmann::json::array(),
                 groups = nlohmann::json::array();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    shapes.push_back(params_[i].sizes().vec());
    param_steps.push_back(state_[i].step);
  }
  for (const auto& g : groups_) groups.push_back({{"size", g.params.size()}, {"weight_decay", g.weight_decay}});
  nlohmann::json out = hyperparameters();
  out["optimizer"] = kind_;
  out["steps"] = steps_;
  out["groups"] = groups;
  out["shapes"] = shapes;
  out["param_steps"] = param_steps;
  return out;
}

void ParamOptimizer::load_state(const std::map<std::string, torch::Tensor>& tensors, const nlohmann::json& json) {
  torch::NoGradGuard no_grad;
  // Everything is checked and converted first; only then is anything replaced.
  if (!json.is_object()) fail("state: not a JSON object");
  const std::string saved_kind = json.value("optimizer", std::string("(none)"));
  if (saved_kind != kind_)
    fail("state: the checkpoint was written by optimizer \"" + saved_kind + "\", this run uses \"" + kind_ +
         "\" (resume with the optimizer it was trained with)");
  const auto& shapes = field(json, "shapes");
  const auto& param_steps = field(json, "param_steps");
  const auto& groups = field(json, "groups");
  if (!shapes.is_array() || !param_steps.is_array() || shapes.size() != param_steps.size())
    fail("state: \"shapes\" and \"param_steps\" must be arrays of one length");
  if (shapes.size() != params_.size())
    fail("state: saved for " + std::to_string(shapes.size()) + " parameters, this optimizer has " +
         std::to_string(params_.size()));
  if (!groups.is_array() || groups.size() != groups_.size())
    fail("state: saved with " + std::to_string(groups.size()) + " parameter groups, this optimizer has " +
         std::to_string(groups_.size()));
  for (std::size_t g = 0; g < groups_.size(); ++g)
    if (field(groups[g], "size").get<std::size_t>() != groups_[g].params.size())
      fail("state: parameter group " + std::to_string(g) + " was saved with " + field(groups[g], "size").dump() +
           " parameters, here it has " + std::to_string(groups_[g].params.size()));
  std::vector<ParamState> loaded(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto saved = shapes[i].get<std::vector<std::int64_t>>();
    const auto& p = params_[i];
    if (!p.sizes().equals(saved))
      fail("state: parameter " + std::to_string(i) + " was saved with shape " + shape_text(saved) +
           ", this parameter has shape " + shape_text(p.sizes()));
    auto& s = loaded[i];
    s.step = param_steps[i].get<std::int64_t>();
    if (s.step < 0) fail("state: negative step for parameter " + std::to_string(i));
    if (s.step == 0) continue;
    const auto prefix = std::to_string(i) + ".";
    auto wanted = specs(p);
    if (needs_master(p)) wanted.push_back({"master", p.sizes().vec(), torch::kFloat32});
    for (const auto& spec : wanted) {
      const auto name = prefix + spec.name;
      const auto it = tensors.find(name);
      if (it == tensors.end()) fail("state: missing tensor \"" + name + "\"");
      if (!it->second.sizes().equals(spec.shape))
        fail("state: tensor \"" + name + "\" has shape " + shape_text(it->second.sizes()) + ", expected " +
             shape_text(spec.shape) + " for parameter " + std::to_string(i) + " of shape " + shape_text(p.sizes()));
      auto value = torch::empty(spec.shape, p.options().dtype(spec.dtype));
      value.copy_(it->second);
      (spec.name == "master" ? s.master : s.tensors[spec.name]) = value;
    }
  }
  load_hyperparameters(json);
  const auto steps = field(json, "steps").get<std::int64_t>();
  // As torch's load_state_dict: the saved hyperparameters replace the current ones.
  for (std::size_t g = 0, i = 0; g < groups_.size(); ++g) {
    groups_[g].weight_decay = field(groups[g], "weight_decay").get<double>();
    for (std::size_t k = 0; k < groups_[g].params.size(); ++k) decay_[i++] = groups_[g].weight_decay;
  }
  state_ = std::move(loaded);
  steps_ = steps;
}

}  // namespace detail

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names{"adamw_torch", "adamw_8bit", "paged_adamw_8bit", "adafactor"};
  return names;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<ParamGroup> groups, AdamWOptions options) {
  if (name == "adamw_torch" || name == "adamw") return make_adamw(std::move(groups), options);
  if (name == "adamw_8bit" || name == "paged_adamw_8bit") return make_adamw_8bit(std::move(groups), options);
  if (name == "adafactor") return make_adafactor(std::move(groups));
  std::string known;
  for (const auto& n : optimizer_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown optimizer '" + name + "' (choose one of " + known + ")");
}

}  // namespace ftcore::train
