// Gradient checkpointing of a decoder layer as a custom autograd function, after
// torch.utils.checkpoint's reentrant variant (preserve_rng_state=True).
//
// Unlike the Python one, the layer's trainable parameters are inputs of the function and backward
// returns their gradients (torch::autograd::grad on the recomputed graph) instead of accumulating
// them itself: the output then requires grad even when the layer input does not (a frozen
// embedding under LoRA), and the gradients flow through the engine like any other.
#include "nn/checkpoint.hpp"

#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ftcore::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// A generator's state, read and written under its lock.
torch::Tensor rng_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(at::Generator generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

/// The default generators a layer on `device` draws from: the CPU one, and the device's own for CUDA.
/// (Through the context's hooks, so a CPU-only libtorch compiles; it holds no CUDA tensors.)
std::vector<at::Generator> generators(const torch::Device& device) {
  std::vector<at::Generator> out{at::globalContext().defaultGenerator(torch::kCPU)};
  if (device.is_cuda()) out.push_back(at::globalContext().defaultGenerator(device));
  return out;
}

/// What backward needs besides the saved tensors: the layer (kept alive until the graph is freed)
/// and the generators' states before the forward.
struct CheckpointState : torch::CustomClassHolder {
  std::shared_ptr<DecoderLayer> layer;
  torch::Device device = torch::kCPU;
  std::vector<torch::Tensor> rng_states;
  bool input_requires_grad = false;
};

/// Puts the generators in the forward's states; gives them back their current states when it ends.
class RngFork {
 public:
  explicit RngFork(const CheckpointState& state) : generators_(generators(state.device)) {
    for (auto& generator : generators_) resume_.push_back(rng_state(generator));
    for (std::size_t i = 0; i < generators_.size(); ++i) set_rng_state(generators_[i], state.rng_states[i]);
  }
  ~RngFork() {
    for (std::size_t i = 0; i < generators_.size(); ++i) set_rng_state(generators_[i], resume_[i]);
  }
  RngFork(const RngFork&) = delete;
  RngFork& operator=(const RngFork&) = delete;

 private:
  std::vector<at::Generator> generators_;
  std::vector<torch::Tensor> resume_;
};

// Saved tensors: x, cos, sin, mask, then the parameters.
constexpr std::size_t kContextTensors = 3;

struct LayerCheckpoint : torch::autograd::Function<LayerCheckpoint> {
  // Differentiable inputs: x and each of `params`; the layer and the context are not.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, torch::TensorList params,
                               const std::shared_ptr<DecoderLayer>& layer, const LayerContext& context) {
    auto state = c10::make_intrusive<CheckpointState>();
    state->layer = layer;
    state->device = x.device();
    for (auto& generator : generators(x.device())) state->rng_states.push_back(rng_state(generator));
    state->input_requires_grad = x.requires_grad();
    ctx->saved_data["state"] = at::IValue::make_capsule(std::move(state));

    variable_list saved{x, context.cos, context.sin, context.mask};
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);

    torch::NoGradGuard no_grad;  // (Function::apply already disables grad; stated for the reader)
    return layer->forward(x, context);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto state = c10::static_intrusive_pointer_cast<CheckpointState>(ctx->saved_data["state"].toCapsule());
    auto saved = ctx->get_saved_variables();
    const std::size_t param_count = saved.size() - 1 - kContextTensors;

    auto x = saved[0].detach().requires_grad_(state->input_requires_grad);
    LayerContext context;
    context.cos = saved[1], context.sin = saved[2], context.mask = saved[3];
    torch::Tensor y;
    {
      RngFork fork(*state);
      torch::AutoGradMode grad(true);
      y = state->layer->forward(x, context);
    }

    // Gradients for x (when it needs one) and the parameters, in the order of the forward's inputs.
    variable_list wrt;
    if (state->input_requires_grad) wrt.push_back(x);
    wrt.insert(wrt.end(), saved.begin() + 1 + kContextTensors, saved.end());
    auto grads = torch::autograd::grad({y}, wrt, {grad_outputs[0]}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);

    // One entry per forward argument: x, each parameter, then the layer and the context (none).
    variable_list out;
    out.reserve(1 + param_count + 2);
    std::size_t next = 0;
    out.push_back(state->input_requires_grad ? grads[next++] : torch::Tensor());
    for (std::size_t i = 0; i < param_count; ++i) out.push_back(grads[next++]);
    out.emplace_back();
    out.emplace_back();
    return out;
  }
};

/// The layer's parameters that require grad, each once.
variable_list trainable_parameters(torch::nn::Module& layer) {
  variable_list out;
  std::unordered_set<const void*> seen;
  for (const auto& p : layer.parameters(/*recurse=*/true))
    if (p.requires_grad() && seen.insert(p.unsafeGetTensorImpl()).second) out.push_back(p);
  return out;
}

}  // namespace

torch::Tensor checkpointed_forward(const std::shared_ptr<DecoderLayer>& layer, const torch::Tensor& x,
                                   const LayerContext& context) {
  if (context.cache) throw std::invalid_argument("gradient checkpointing cannot run with a KV cache");
  auto params = trainable_parameters(*layer);
  // Nothing to differentiate (or grad off): a checkpoint would save nothing, so run the layer.
  if (!torch::GradMode::is_enabled() || (!x.requires_grad() && params.empty())) return layer->forward(x, context);
  return LayerCheckpoint::apply(x, torch::TensorList(params), layer, context);
}

}  // namespace ftcore::nn
