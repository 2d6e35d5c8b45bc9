#include "dist/reducer.hpp"

#include <map>
#include <stdexcept>
#include <tuple>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

namespace ftcore::dist {

namespace {

struct Bucket {
  std::vector<std::size_t> params;     ///< indices into State::params
  std::vector<std::int64_t> offsets;   ///< each one's first element in `flat`
  std::int64_t numel = 0;
  torch::Tensor flat;                  ///< the gradients laid end to end, summed in place
  std::unique_ptr<Pending> pending;
  std::size_t ready = 0;               ///< parameters whose gradient is final this step
};

}  // namespace

struct GradientReducer::State {
  Group& group;
  std::vector<torch::Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of;
  std::vector<int> expected, fired;  ///< accumulations per backward (learned), and this backward's
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;  ///< keep the hooks alive
  bool learned = false, armed = false;
  std::size_t next = 0;  ///< the bucket to send next

  State(Group& g, std::vector<torch::Tensor> p) : group(g), params(std::move(p)) {}

  void launch(Bucket& bucket) {
    torch::NoGradGuard no_grad;
    for (std::size_t k = 0; k < bucket.params.size(); ++k) {
      const auto& p = params[bucket.params[k]];
      auto slot = bucket.flat.narrow(0, bucket.offsets[k], p.numel());
      if (p.grad().defined()) slot.copy_(p.grad().reshape({-1}));
      else slot.zero_();
    }
    bucket.pending = group.all_reduce_async(bucket.flat);
  }

  /// Sends every bucket that is complete, in order, from `next` on.
  void launch_ready() {
    while (next < buckets.size() && buckets[next].ready == buckets[next].params.size()) launch(buckets[next++]);
  }

  void on_accumulated(std::size_t index) {
    if (!armed) return;
    const int count = ++fired[index];
    if (!learned) return;
    if (count > expected[index])
      throw std::logic_error("data parallelism: a gradient was accumulated more often than in the first step (" +
                             std::to_string(count) + " > " + std::to_string(expected[index]) +
                             " times in one backward); the model's graph must be the same every step");
    if (count == expected[index]) {
      ++buckets[bucket_of[index]].ready;
      launch_ready();
    }
  }
};

namespace {

/// Runs after a parameter's gradient has been accumulated into .grad.
class AccumulatedHook final : public torch::autograd::FunctionPostHook {
 public:
  AccumulatedHook(std::weak_ptr<GradientReducer::State> state, std::size_t index) : state_(std::move(state)), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    if (auto state = state_.lock()) state->on_accumulated(index_);
    return outputs;
  }

 private:
  std::weak_ptr<GradientReducer::State> state_;
  std::size_t index_;
};

}  // namespace

GradientReducer::GradientReducer(Group& group, std::vector<torch::Tensor> params, std::int64_t bucket_bytes)
    : state_(std::make_shared<State>(group, std::move(params))) {
  auto& s = *state_;
  const std::size_t n = s.params.size();
  s.bucket_of.assign(n, 0);
  s.expected.assign(n, 1);
  s.fired.assign(n, 0);
  // Reverse order, a bucket per dtype and device kind, closed when it passes bucket_bytes.
  std::map<std::tuple<int, int, int>, std::size_t> open;  // (dtype, device type, index) -> bucket
  for (std::size_t i = n; i-- > 0;) {
    const auto& p = s.params[i];
    const auto key = std::make_tuple(static_cast<int>(p.scalar_type()), static_cast<int>(p.device().type()),
                                     static_cast<int>(p.device().index()));
    auto it = open.find(key);
    if (it == open.end() ||
        s.buckets[it->second].numel * static_cast<std::int64_t>(p.element_size()) >= bucket_bytes) {
      s.buckets.emplace_back();
      it = open.insert_or_assign(key, s.buckets.size() - 1).first;
    }
    auto& bucket = s.buckets[it->second];
    bucket.params.push_back(i);
    bucket.offsets.push_back(bucket.numel);
    bucket.numel += p.numel();
    s.bucket_of[i] = it->second;
  }
  for (auto& bucket : s.buckets) {
    const auto& first = s.params[bucket.params.front()];
    bucket.flat = torch::empty({bucket.numel}, first.options().requires_grad(false));
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto accumulator = torch::autograd::impl::grad_accumulator(s.params[i]);
    if (!accumulator) throw std::invalid_argument("data parallelism: parameter " + std::to_string(i) + " is not a leaf that trains");
    accumulator->add_post_hook(std::make_unique<AccumulatedHook>(state_, i));
    s.accumulators.push_back(std::move(accumulator));
  }
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::arm() { state_->armed = true; }

void GradientReducer::finish() {
  auto& s = *state_;
  if (s.armed && !s.learned) {
    s.expected = s.fired;
    for (auto& count : s.expected) count = std::max(count, 1);
    s.learned = true;
  }
  s.armed = false;
  while (s.next < s.buckets.size()) s.launch(s.buckets[s.next++]);
  torch::NoGradGuard no_grad;
  for (auto& bucket : s.buckets) {
    bucket.pending->wait();
    bucket.pending.reset();
    for (std::size_t k = 0; k < bucket.params.size(); ++k) {
      auto& p = s.params[bucket.params[k]];
      auto sum = bucket.flat.narrow(0, bucket.offsets[k], p.numel()).view(p.sizes());
      if (p.grad().defined()) p.mutable_grad().copy_(sum);
      else p.mutable_grad() = sum.clone();
    }
    bucket.ready = 0;
  }
  std::fill(s.fired.begin(), s.fired.end(), 0);
  s.next = 0;
}

std::size_t GradientReducer::bucket_count() const { return state_->buckets.size(); }

}  // namespace ftcore::dist
