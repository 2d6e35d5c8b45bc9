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
  explicit Reference(const std::string& name = "adamw")
      : meta(ftcore::testing::train_json(name + ".json")), tensors(name + ".safetensors") {}
  json meta;
  ftcore::testing::TrainTensors tensors;

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
  EXPECT_NE(tensor_shape.find("\"1.exp_avg\" has shape [6], expected [5] for parameter 1 of shape [5]"), std::string::npos)
      << tensor_shape;
  bad.erase("1.exp_avg");
  const auto missing = error_of([&] { fresh->load_state(bad, state); });
  EXPECT_NE(missing.find("missing tensor \"1.exp_avg\""), std::string::npos) << missing;
  EXPECT_THROW(fresh->load_state(tensors, json{{"optimizer", "sgd"}}), std::invalid_argument);
  // A checkpoint of another optimizer names both.
  auto adafactor = make_adafactor(ref.groups(ref.params()));
  const auto other_kind = error_of([&] { adafactor->load_state(tensors, state); });
  EXPECT_NE(other_kind.find("written by optimizer \"adamw\", this run uses \"adafactor\""), std::string::npos)
      << other_kind;
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

// ---- Adafactor -------------------------------------------------------------------------------

TEST(Adafactor, EqualsTransformersAdafactorOverSixSteps) {
  Reference ref("adafactor");
  auto params = ref.params();
  auto optimizer = make_adafactor(ref.groups(params));
  for (std::size_t step = 0; step < ref.num_steps(); ++step) {
    ref.run_step(*optimizer, params, step);
    for (std::size_t i = 0; i < params.size(); ++i)
      EXPECT_LE(max_abs_diff(params[i].detach(), ref.expected(step, i)), 1e-6) << "step " << step << " param " << i;
  }
  EXPECT_EQ(optimizer->state_json()["param_steps"], ref.meta["param_steps"]);
  // 2- and 3-dimensional params are factored (row and column means), the 1-dimensional one is not.
  for (std::size_t i = 0; i < params.size(); ++i)
    for (const std::string name : {"exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq"}) {
      const auto key = name + "." + std::to_string(i);
      const auto mine = state_of(*optimizer, std::to_string(i) + "." + name);
      ASSERT_EQ(mine.defined(), ref.tensors.contains(key)) << key;
      if (mine.defined()) EXPECT_LE(max_abs_diff(mine, ref.tensors(key)), 1e-6) << key;
    }
  EXPECT_EQ(state_of(*optimizer, "2.exp_avg_sq_row").sizes(), torch::IntArrayRef({3, 4}));
  EXPECT_EQ(state_of(*optimizer, "2.exp_avg_sq_col").sizes(), torch::IntArrayRef({3, 5}));
}

TEST(Adafactor, StateRoundTripContinuesExactly) {
  Reference ref("adafactor");
  auto straight = ref.params();
  auto straight_opt = make_adafactor(ref.groups(straight));
  for (std::size_t step = 0; step < ref.num_steps(); ++step) ref.run_step(*straight_opt, straight, step);

  auto first = ref.params();
  auto first_opt = make_adafactor(ref.groups(first));
  for (std::size_t step = 0; step < 3; ++step) ref.run_step(*first_opt, first, step);
  std::vector<torch::Tensor> resumed;
  for (const auto& p : first) resumed.push_back(p.detach().clone().requires_grad_());
  auto resumed_opt = make_adafactor(ref.groups(resumed));
  resumed_opt->load_state(as_map(first_opt->state_tensors()), json::parse(first_opt->state_json().dump()));
  for (std::size_t step = 3; step < ref.num_steps(); ++step) ref.run_step(*resumed_opt, resumed, step);
  for (std::size_t i = 0; i < resumed.size(); ++i)
    EXPECT_TRUE(torch::equal(resumed[i].detach(), straight[i].detach())) << "param " << i;
  AdafactorOptions bad;
  bad.decay_rate = 0.5;
  EXPECT_NE(error_of([&] { make_adafactor(ref.groups(ref.params()), bad); }).find("decay_rate"), std::string::npos);
}

// ---- 8-bit AdamW -----------------------------------------------------------------------------

namespace {

/// Two params of at least 4096 elements (8-bit states) and one below (fp32 states).
std::vector<torch::Tensor> big_params() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  return {torch::randn({96, 64}, gen).requires_grad_(), torch::randn({5000}, gen).requires_grad_(),
          torch::randn({10, 10}, gen).requires_grad_()};
}

void set_grads(std::vector<torch::Tensor>& params, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& p : params) p.mutable_grad() = torch::randn(p.sizes(), gen) * 0.1;
}

}  // namespace

TEST(AdamW8bit, BelowMin8bitSizeItIsBitsandbytesAdamInFp32) {
  // Params 0 and 1 of the reference have wd 0: bitsandbytes' update is torch's AdamW rearranged
  // (eps * sqrt(1 - beta2^t) inside the denominator), equal to rounding.
  Reference ref;
  auto params = ref.params();
  AdamWOptions options;
  auto optimizer = make_adamw_8bit({ParamGroup{{params[0], params[1]}, 0.0}}, options);
  for (std::size_t step = 0; step < ref.num_steps(); ++step) {
    optimizer->zero_grad();
    for (std::size_t i = 0; i < 2; ++i) {
      auto g = ref.grad(step, i);
      if (g.defined()) params[i].mutable_grad() = g;
    }
    optimizer->step(ref.lr(step));
    for (std::size_t i = 0; i < 2; ++i) EXPECT_LE(max_abs_diff(params[i].detach(), ref.expected(step, i)), 1e-6);
  }
  EXPECT_EQ(state_of(*optimizer, "0.state1").scalar_type(), torch::kFloat32);
}

TEST(AdamW8bit, LargeTensorsKeep8bitMomentsAndTrackFp32AdamW) {
  auto params = big_params();
  std::vector<torch::Tensor> exact;
  for (const auto& p : params) exact.push_back(p.detach().clone().requires_grad_());
  auto optimizer = make_adamw_8bit({ParamGroup{params, 0.01}}, {});
  auto reference = make_adamw({ParamGroup{exact, 0.0}}, {});
  for (std::uint64_t step = 0; step < 10; ++step) {
    set_grads(params, step);
    set_grads(exact, step);
    optimizer->step(1e-3);
    reference->step(1e-3);
  }
  for (const auto* name : {"0.state1", "0.state2", "1.state1", "1.state2"})
    EXPECT_EQ(state_of(*optimizer, name).scalar_type(), torch::kUInt8) << name;
  EXPECT_EQ(state_of(*optimizer, "0.absmax1").sizes(), torch::IntArrayRef({24}));  // 6144 / 256
  EXPECT_EQ(state_of(*optimizer, "1.absmax2").sizes(), torch::IntArrayRef({20}));  // ceil(5000 / 256)
  EXPECT_EQ(state_of(*optimizer, "2.state1").scalar_type(), torch::kFloat32);
  // 8-bit moments: one byte each per element plus an fp32 absmax per 256 (params 0, 1), fp32 for param 2.
  EXPECT_EQ(optimizer->state_bytes(), 2 * (6144 + 5000) + 2 * 4 * (24 + 20) + 2 * 4 * 100);
  // Ten steps of lr 1e-3 move a param by up to 1e-2; the 8-bit moments stay within a few percent of it
  // (weight decay 0.01 adds at most 1e-4 * |p|).
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto moved = (exact[i].detach() - big_params()[i].detach()).abs().max().item<double>();
    EXPECT_GT(moved, 5e-3);
    EXPECT_LE(max_abs_diff(params[i].detach(), exact[i].detach()), 0.05 * moved + 5e-4) << "param " << i;
  }
}

TEST(AdamW8bit, StateRoundTripContinuesExactlyAndPagedIsTheSame) {
  auto straight = big_params();
  auto straight_opt = make_optimizer("adamw_8bit", {ParamGroup{straight, 0.01}}, {});
  auto paged = big_params();
  auto paged_opt = make_optimizer("paged_adamw_8bit", {ParamGroup{paged, 0.01}}, {});
  for (std::uint64_t step = 0; step < 6; ++step) {
    set_grads(straight, step);
    straight_opt->step(1e-3);
    set_grads(paged, step);
    paged_opt->step(1e-3);
  }
  auto first = big_params();
  auto first_opt = make_adamw_8bit({ParamGroup{first, 0.01}}, {});
  for (std::uint64_t step = 0; step < 3; ++step) {
    set_grads(first, step);
    first_opt->step(1e-3);
  }
  std::vector<torch::Tensor> resumed;
  for (const auto& p : first) resumed.push_back(p.detach().clone().requires_grad_());
  auto resumed_opt = make_adamw_8bit({ParamGroup{resumed, 0.01}}, {});
  resumed_opt->load_state(as_map(first_opt->state_tensors()), json::parse(first_opt->state_json().dump()));
  for (std::uint64_t step = 3; step < 6; ++step) {
    set_grads(resumed, step);
    resumed_opt->step(1e-3);
  }
  for (std::size_t i = 0; i < resumed.size(); ++i) {
    EXPECT_TRUE(torch::equal(resumed[i].detach(), straight[i].detach())) << "param " << i;
    EXPECT_TRUE(torch::equal(paged[i].detach(), straight[i].detach())) << "param " << i;
  }
  EXPECT_NE(error_of([] { make_optimizer("lion", {ParamGroup{big_params(), 0}}, {}); }).find("adamw_8bit"),
            std::string::npos);
}

// Numbers from an exact fp32 emulation of bitsandbytes' kOptimizerStatic8bit2StateBlockwise (IEEE
// operations in the kernel's order): N = 4196 (16 blocks of 256 and 100), two steps.
TEST(AdamW8bit, EqualsTheBitsandbytesTestVector) {
  std::vector<float> p0(4196);
  for (int i = 0; i < 4196; ++i) p0[i] = static_cast<float>((i * 53) % 101 - 50) / 64.0F;
  auto p = torch::tensor(p0).requires_grad_();
  AdamWOptions options;
  options.lr = 1e-3;
  auto optimizer = make_adamw_8bit({ParamGroup{{p}, 1e-2}}, options);
  auto bytes = [](const torch::Tensor& t, int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(t[i].item<std::uint8_t>());
    return out;
  };
  struct Expected {
    float absmax1, absmax2;
    std::vector<int> state1, state2;
    std::int64_t sum1, sum2;
    std::vector<float> p;
    double p_sum;
  };
  const std::vector<Expected> expected{
      {0.004296876024454832F, 1.8462897060089745e-06F, {11, 58, 217, 8, 54, 214, 4, 51}, {213, 79, 145, 224, 92, 139, 236, 108},
       532628, 615196, {-0.7802422046661377F, 0.04787451773881912F, -0.7041179537773132F, 0.12599873542785645F},
       -1.528234078665264},
      {0.007538667414337397F, 3.221531414965284e-06F, {12, 63, 226, 9, 59, 223, 5, 56}, {208, 69, 164, 219, 78, 156, 232, 91},
       522489, 661712, {-0.7792472839355469F, 0.0486132875084877F, -0.7051025629043579F, 0.1269841194152832F},
       -1.5635370590607636}};
  for (int t = 1; t <= 2; ++t) {
    std::vector<float> g(4196);
    for (int i = 0; i < 4196; ++i) g[i] = static_cast<float>((i * 29 + t * 7) % 89 - 44) / 1024.0F;
    p.mutable_grad() = torch::tensor(g);
    optimizer->step(1e-3);
    const auto& e = expected[t - 1];
    EXPECT_FLOAT_EQ(state_of(*optimizer, "0.absmax1")[0].item<float>(), e.absmax1) << "step " << t;
    EXPECT_FLOAT_EQ(state_of(*optimizer, "0.absmax2")[0].item<float>(), e.absmax2) << "step " << t;
    EXPECT_EQ(bytes(state_of(*optimizer, "0.state1"), 8), e.state1) << "step " << t;
    EXPECT_EQ(bytes(state_of(*optimizer, "0.state2"), 8), e.state2) << "step " << t;
    // Whole-tensor sums: a code may differ where an ulp of the update order moves a value across a
    // midpoint; each such code changes the sum by 1.
    EXPECT_NEAR(state_of(*optimizer, "0.state1").to(torch::kLong).sum().item<std::int64_t>(), e.sum1, 0) << "step " << t;
    EXPECT_NEAR(state_of(*optimizer, "0.state2").to(torch::kLong).sum().item<std::int64_t>(), e.sum2, 0) << "step " << t;
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(p[i].item<float>(), e.p[i], 1e-7) << "step " << t << " p[" << i << "]";
    EXPECT_NEAR(p.detach().to(torch::kFloat64).sum().item<double>(), e.p_sum, 1e-5) << "step " << t;
  }
}
