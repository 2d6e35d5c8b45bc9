// AdamW against torch.optim.AdamW (data/adamw.*, from data/make_fixtures.py), fp32 master weights,
// checkpoint state round trips and the messages of mismatched state. With torch 1.13 on the CPU the
// params are bit-equal to torch (the same kernels, op for op); the tolerances leave room for 2.x.
#include <gtest/gtest.h>

#include "optim_fixtures.hpp"
#include "test_support.hpp"
#include "train/optimizer.hpp"
#include "weights/safetensors.hpp"

using namespace ftcore;
using namespace ftcore::train;
using ftcore::testing::max_abs_diff;
using ftcore::testing::TempDir;
using ftcore::testing::error_of;
using nlohmann::json;

namespace {

/// The reference run: four params in two groups (weight decay 0 and 0.1), five steps with their own
/// lrs; some params have no grad in some steps.
struct Reference {
  json meta = ftcore::testing::train_json("adamw.json");
  ftcore::testing::TrainTensors tensors{"adamw.safetensors"};

  std::size_t num_params() const { return meta["shapes"].size(); }
  std::size_t num_steps() const { return meta["lrs"].size(); }
  double lr(std::size_t step) const { return meta["lrs"][step].get<double>(); }
  torch::Tensor init(std::size_t i) const { return tensors("init." + std::to_string(i)); }
  torch::Tensor expected(std::size_t step, std::size_t i) const {
    return tensors("param." + std::to_string(step) + "." + std::to_string(i));
  }
  /// Undefined when param i has no grad in this step.
  torch::Tensor grad(std::size_t step, std::size_t i) const {
    const auto name = "grad." + std::to_string(step) + "." + std::to_string(i);
    return tensors.contains(name) ? tensors(name) : torch::Tensor();
  }

  /// Leaf params from the initial values, in this dtype.
  std::vector<torch::Tensor> params(torch::ScalarType dtype = torch::kFloat32) const {
    std::vector<torch::Tensor> out;
    for (std::size_t i = 0; i < num_params(); ++i) out.push_back(init(i).to(dtype).requires_grad_());
    return out;
  }
  std::vector<ParamGroup> groups(const std::vector<torch::Tensor>& params) const {
    std::vector<ParamGroup> out;
    for (const auto& g : meta["groups"]) {
      ParamGroup group;
      for (const auto& i : g["params"]) group.params.push_back(params[i.get<std::size_t>()]);
      group.weight_decay = g["weight_decay"].get<double>();
      out.push_back(group);
    }
    return out;
  }
  std::unique_ptr<Optimizer> adamw(const std::vector<torch::Tensor>& params) const {
    AdamWOptions options;
    options.beta1 = meta["betas"][0].get<double>();
    options.beta2 = meta["betas"][1].get<double>();
    options.eps = meta["eps"].get<double>();
    return make_adamw(groups(params), options);
  }
  /// Sets the grads of `step` (in each param's dtype) and steps.
  void run_step(Optimizer& optimizer, std::vector<torch::Tensor>& params, std::size_t step) const {
    optimizer.zero_grad();
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto g = grad(step, i);
      if (g.defined()) params[i].mutable_grad() = g.to(params[i].scalar_type());
    }
    optimizer.step(lr(step));
  }
};

std::map<std::string, torch::Tensor> as_map(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  return {named.begin(), named.end()};
}

torch::Tensor state_of(const Optimizer& optimizer, const std::string& name) {
  for (const auto& [key, tensor] : optimizer.state_tensors())
    if (key == name) return tensor;
  return {};
}

}  // namespace

TEST(AdamW, EqualsTorchAdamWOverFiveSteps) {
  Reference ref;
  auto params = ref.params();
  auto optimizer = ref.adamw(params);
  double worst = 0;
  for (std::size_t step = 0; step < ref.num_steps(); ++step) {
    ref.run_step(*optimizer, params, step);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const double diff = max_abs_diff(params[i], ref.expected(step, i));
      worst = std::max(worst, diff);
      EXPECT_LE(diff, 1e-6) << "step " << step << " param " << i;
    }
  }
  RecordProperty("max_abs_diff", worst);  // 0 with torch 1.13: the same kernels, op for op
  EXPECT_EQ(optimizer->steps(), 5);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto prefix = std::to_string(i) + ".";
    EXPECT_LE(max_abs_diff(state_of(*optimizer, prefix + "exp_avg"), ref.tensors("exp_avg." + std::to_string(i))),
              1e-7);
    EXPECT_LE(
        max_abs_diff(state_of(*optimizer, prefix + "exp_avg_sq"), ref.tensors("exp_avg_sq." + std::to_string(i))),
        1e-7);
    EXPECT_FALSE(state_of(*optimizer, prefix + "master").defined()) << "fp32 params are updated in place";
  }
  // Each param counts its own steps (a step without its grad does not count), as torch's state.
  EXPECT_EQ(optimizer->state_json()["param_steps"], ref.meta["param_steps"]);
}

TEST(AdamW, ReducedPrecisionParamsUseFp32MasterWeights) {
  Reference ref;
  for (auto dtype : {torch::kBFloat16, torch::kFloat16}) {
    SCOPED_TRACE(c10::toString(dtype));
    auto low = ref.params(dtype);
    // The fp32 run starts from the same (rounded) values and sees the same (rounded) grads.
    std::vector<torch::Tensor> fp32;
    for (const auto& p : low) fp32.push_back(p.detach().to(torch::kFloat32).requires_grad_());
    auto low_opt = ref.adamw(low);
    auto fp32_opt = ref.adamw(fp32);
    for (std::size_t step = 0; step < ref.num_steps(); ++step) {
      ref.run_step(*low_opt, low, step);
      fp32_opt->zero_grad();
      for (std::size_t i = 0; i < low.size(); ++i)
        if (low[i].grad().defined()) fp32[i].mutable_grad() = low[i].grad().to(torch::kFloat32);
      fp32_opt->step(ref.lr(step));
      for (std::size_t i = 0; i < low.size(); ++i) {
        const auto master = state_of(*low_opt, std::to_string(i) + ".master");
        ASSERT_TRUE(master.defined());
        EXPECT_EQ(master.scalar_type(), torch::kFloat32);
        EXPECT_TRUE(torch::equal(master, fp32[i].detach())) << "step " << step << " param " << i;
        EXPECT_EQ(low[i].scalar_type(), dtype);
        EXPECT_TRUE(torch::equal(low[i].detach(), master.to(dtype))) << "step " << step << " param " << i;
      }
    }
    for (const auto& [name, tensor] : low_opt->state_tensors()) EXPECT_EQ(tensor.scalar_type(), torch::kFloat32) << name;
    // Close to torch's fp32 run too: they differ by the rounded start values and grads.
    for (std::size_t i = 0; i < low.size(); ++i)
      EXPECT_LE(max_abs_diff(state_of(*low_opt, std::to_string(i) + ".master"), ref.expected(ref.num_steps() - 1, i)),
                dtype == torch::kBFloat16 ? 2e-2 : 2e-3);
  }
}

TEST(AdamW, StateRoundTripContinuesExactly) {
  Reference ref;
  TempDir dir;
  // Mixed dtypes: params 0 and 2 in bf16 (master weights), 1 and 3 in fp32.
  auto make_params = [&] {
    auto params = ref.params();
    params[0] = params[0].detach().to(torch::kBFloat16).requires_grad_();
    params[2] = params[2].detach().to(torch::kBFloat16).requires_grad_();
    return params;
  };
  auto straight = make_params();
  auto straight_opt = ref.adamw(straight);
  for (std::size_t step = 0; step < ref.num_steps(); ++step) ref.run_step(*straight_opt, straight, step);

  // Interrupted after step index 3: param 1 missed step 2 and param 3 missed step 3.
  auto first = make_params();
  auto first_opt = ref.adamw(first);
  for (std::size_t step = 0; step < 4; ++step) ref.run_step(*first_opt, first, step);
  weights::save_file(dir.path() / "optimizer.safetensors", first_opt->state_tensors());
  const std::string json_text = first_opt->state_json().dump();
  EXPECT_EQ(json::parse(json_text)["param_steps"], json({4, 3, 4, 3}));

  // A new run: params as a checkpoint would restore them, a new optimizer, the state loaded.
  std::vector<torch::Tensor> resumed;
  for (const auto& p : first) resumed.push_back(p.detach().clone().requires_grad_());
  auto resumed_opt = ref.adamw(resumed);
  auto file = weights::SafetensorsFile::open(dir.path() / "optimizer.safetensors");
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& info : file->tensors()) tensors[info.name] = file->tensor(info.name);
  EXPECT_EQ(tensors.size(), 10U);  // exp_avg and exp_avg_sq of four params, two masters
  resumed_opt->load_state(tensors, json::parse(json_text));
  EXPECT_EQ(resumed_opt->steps(), 4);
  EXPECT_EQ(resumed_opt->state_json(), json::parse(json_text));
  ref.run_step(*resumed_opt, resumed, 4);
  EXPECT_EQ(resumed_opt->steps(), 5);
  for (std::size_t i = 0; i < resumed.size(); ++i) {
    EXPECT_TRUE(torch::equal(resumed[i].detach(), straight[i].detach())) << "param " << i;
    EXPECT_EQ(resumed[i].scalar_type(), straight[i].scalar_type());
  }
  for (const auto& [name, tensor] : straight_opt->state_tensors())
    EXPECT_TRUE(torch::equal(state_of(*resumed_opt, name), tensor)) << name;
}

TEST(AdamW, StateBeforeAnyGradRoundTrips) {
  Reference ref;
  auto params = ref.params();
  auto optimizer = ref.adamw(params);
  auto fresh = ref.adamw(params);
  fresh->load_state(as_map(optimizer->state_tensors()), optimizer->state_json());
  EXPECT_EQ(fresh->steps(), 0);
  EXPECT_TRUE(fresh->state_tensors().empty());
}

TEST(AdamW, LoadStateChecksCountGroupsAndShapes) {
  Reference ref;
  auto params = ref.params();
  auto optimizer = ref.adamw(params);
  ref.run_step(*optimizer, params, 0);
  const auto tensors = as_map(optimizer->state_tensors());
  const auto state = optimizer->state_json();

  // Param 2 with another shape.
  auto other = ref.params();
  other[2] = torch::zeros({3, 4}, torch::kFloat32).requires_grad_();
  auto other_opt = ref.adamw(other);
  const auto message = error_of([&] { other_opt->load_state(tensors, state); });
  EXPECT_NE(message.find("parameter 2"), std::string::npos) << message;
  EXPECT_NE(message.find("[2, 2, 3]"), std::string::npos) << message;
  EXPECT_NE(message.find("[3, 4]"), std::string::npos) << message;
  EXPECT_THROW(other_opt->load_state(tensors, state), std::invalid_argument);
  EXPECT_EQ(other_opt->steps(), 0) << "nothing is loaded when a check fails";

  // Fewer params.
  auto fewer_opt = make_adamw({ParamGroup{{params[0], params[1]}, 0.0}, ParamGroup{{params[2]}, 0.1}}, {});
  const auto count = error_of([&] { fewer_opt->load_state(tensors, state); });
  EXPECT_NE(count.find("saved for 4 parameters, this optimizer has 3"), std::string::npos) << count;

  // Same params, grouped differently.
  auto regrouped = make_adamw({ParamGroup{{params[0]}, 0.0}, ParamGroup{{params[1], params[2], params[3]}, 0.1}}, {});
  const auto groups = error_of([&] { regrouped->load_state(tensors, state); });
  EXPECT_NE(groups.find("parameter group 0"), std::string::npos) << groups;

  // A state tensor with the wrong shape, and one missing.
  auto bad = tensors;
  bad["1.exp_avg"] = torch::zeros({6});
  auto fresh = ref.adamw(ref.params());
  const auto tensor_shape = error_of([&] { fresh->load_state(bad, state); });
  EXPECT_NE(tensor_shape.find("\"1.exp_avg\" has shape [6], its parameter has shape [5]"), std::string::npos)
      << tensor_shape;
  bad.erase("1.exp_avg");
  const auto missing = error_of([&] { fresh->load_state(bad, state); });
  EXPECT_NE(missing.find("missing tensor \"1.exp_avg\""), std::string::npos) << missing;
  EXPECT_THROW(fresh->load_state(tensors, json{{"optimizer", "sgd"}}), std::invalid_argument);
}

TEST(AdamW, ParamsWithoutGradAreSkippedAndZeroGradSetsNone) {
  auto a = torch::ones({3}).requires_grad_();
  auto b = torch::ones({2}).requires_grad_();
  auto optimizer = make_adamw({ParamGroup{{a, b}, 0.1}}, {});
  a.mutable_grad() = torch::full({3}, 0.5);
  // Autograd stays on outside: the optimizer turns it off itself.
  ASSERT_TRUE(torch::GradMode::is_enabled());
  optimizer->step(1e-2);
  EXPECT_FALSE(torch::equal(a.detach(), torch::ones({3})));
  EXPECT_TRUE(torch::equal(b.detach(), torch::ones({2}))) << "no grad: not even weight decay";
  EXPECT_EQ(optimizer->state_json()["param_steps"], json({1, 0}));
  EXPECT_EQ(optimizer->state_tensors().size(), 2U);
  optimizer->zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  optimizer->step(1e-2);  // nothing has a grad: counted, nothing changes
  EXPECT_EQ(optimizer->steps(), 2);
  EXPECT_EQ(optimizer->state_json()["param_steps"], json({1, 0}));
}

TEST(AdamW, RejectsBadParamsAndOptions) {
  auto a = torch::ones({3}).requires_grad_();
  EXPECT_NE(error_of([&] { make_adamw({ParamGroup{{a}, 0}, ParamGroup{{a}, 0}}, {}); }).find("more than once"),
            std::string::npos);
  EXPECT_NE(error_of([&] { make_adamw({ParamGroup{{torch::ones({2}, torch::kInt64)}, 0}}, {}); })
                .find("only floating point"),
            std::string::npos);
  EXPECT_NE(error_of([&] { make_adamw({}, {}); }).find("no parameters"), std::string::npos);
  AdamWOptions options;
  options.beta2 = 1.0;
  EXPECT_NE(error_of([&] { make_adamw({ParamGroup{{a}, 0}}, options); }).find("beta2"), std::string::npos);
  EXPECT_THROW(make_adamw({ParamGroup{{a}, -0.1}}, {}), std::invalid_argument);
}
