// clip_grad_norm against torch.nn.utils.clip_grad_norm_ (data/clip.*, from data/make_fixtures.py),
// and the loss scaler's GradScaler rules.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "optim_fixtures.hpp"
#include "train/gradients.hpp"

using namespace ftcore::train;
using ftcore::testing::max_abs_diff;
using nlohmann::json;

namespace {

torch::Tensor with_grad(torch::Tensor grad) {
  auto p = torch::zeros(grad.sizes(), grad.options()).requires_grad_();
  p.mutable_grad() = std::move(grad);
  return p;
}

}  // namespace

TEST(ClipGradNorm, EqualsTorch) {
  const auto meta = ftcore::testing::train_json("clip.json");
  const ftcore::testing::TrainTensors tensors("clip.safetensors");
  for (std::size_t c = 0; c < meta["cases"].size(); ++c) {
    const auto prefix = std::to_string(c) + ".";
    std::vector<torch::Tensor> params;
    for (std::size_t i = 0; i < meta["shapes"].size(); ++i) {
      const auto name = prefix + "before." + std::to_string(i);
      params.push_back(tensors.contains(name) ? with_grad(tensors(name))
                                              : torch::zeros(meta["shapes"][i].get<std::vector<std::int64_t>>()));
    }
    const double max_norm = meta["cases"][c]["max_norm"].get<double>();
    const double total = clip_grad_norm(params, max_norm);
    const double expected = meta["cases"][c]["total"].get<double>();
    EXPECT_NEAR(total, expected, 1e-6 * expected) << "case " << c;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto name = prefix + "after." + std::to_string(i);
      ASSERT_EQ(params[i].grad().defined(), tensors.contains(name)) << name;
      if (tensors.contains(name)) EXPECT_LE(max_abs_diff(params[i].grad(), tensors(name)), 1e-6) << name;
    }
  }
}

TEST(ClipGradNorm, EdgeCases) {
  EXPECT_EQ(clip_grad_norm({torch::zeros({3})}, 1.0), 0.0) << "no grads";
  EXPECT_EQ(clip_grad_norm({}, 1.0), 0.0);

  // max_norm <= 0: the norm only.
  auto p = with_grad(torch::tensor({3.0F, 4.0F}));
  EXPECT_DOUBLE_EQ(clip_grad_norm({p}, 0.0), 5.0);
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({3.0F, 4.0F})));
  // Below max_norm: multiplied by 1, unchanged.
  EXPECT_DOUBLE_EQ(clip_grad_norm({p}, 10.0), 5.0);
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({3.0F, 4.0F})));
  // Clipped to (about) max_norm.
  EXPECT_DOUBLE_EQ(clip_grad_norm({p}, 1.0), 5.0);
  EXPECT_NEAR(p.grad().norm().item<double>(), 1.0, 1e-6);

  // Non-finite: returned as is, grads untouched.
  auto q = with_grad(torch::tensor({1.0F, std::numeric_limits<float>::infinity()}));
  auto r = with_grad(torch::tensor({2.0F}));
  EXPECT_TRUE(std::isinf(clip_grad_norm({q, r}, 1.0)));
  EXPECT_TRUE(torch::equal(r.grad(), torch::tensor({2.0F})));
  auto n = with_grad(torch::tensor({std::nanf("")}));
  EXPECT_TRUE(std::isnan(clip_grad_norm({n, r}, 1.0)));
  EXPECT_TRUE(torch::equal(r.grad(), torch::tensor({2.0F})));

  // bf16 grads: the norm in fp32.
  auto b = with_grad(torch::full({1000}, 0.1, torch::kBFloat16));
  const double bf16_total = clip_grad_norm({b}, 0.0);
  EXPECT_NEAR(bf16_total, std::sqrt(1000.0) * static_cast<double>(c10::BFloat16(0.1F)), 1e-4);
}

TEST(LossScaler, DisabledDoesNothing) {
  LossScaler scaler(false);
  EXPECT_EQ(scaler.scale(), 1.0);
  auto p = with_grad(torch::tensor({std::numeric_limits<float>::infinity()}));
  EXPECT_TRUE(scaler.unscale_and_check({p}));
  EXPECT_TRUE(std::isinf(p.grad().item<float>()));
  scaler.update_after_step();
  EXPECT_EQ(scaler.scale(), 1.0);
}

TEST(LossScaler, UnscalesAndSkipsOnInfOrNan) {
  LossScaler scaler(true);
  EXPECT_EQ(scaler.scale(), 65536.0);
  auto p = with_grad(torch::tensor({65536.0F, -3.0F * 65536.0F}));
  auto h = with_grad(torch::tensor({1024.0F, 1.0F}, torch::kFloat16));  // fp16: unscaled in fp32, rounded
  auto none = torch::zeros({2}).requires_grad_();
  EXPECT_TRUE(scaler.unscale_and_check({p, h, none}));
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0F, -3.0F})));
  EXPECT_TRUE(torch::equal(h.grad(), torch::tensor({1.0F / 64.0F, 1.0F / 65536.0F}, torch::kFloat16)));
  scaler.update_after_step();
  EXPECT_EQ(scaler.growth_tracker(), 1);
  EXPECT_EQ(scaler.scale(), 65536.0);

  for (float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
    const double before = scaler.scale();
    auto q = with_grad(torch::tensor({1.0F, bad}));
    EXPECT_FALSE(scaler.unscale_and_check({p, q}));
    EXPECT_EQ(scaler.scale(), before * 0.5);
    EXPECT_EQ(scaler.growth_tracker(), 0);
    scaler.update_after_step();  // after a skipped step: nothing more
    EXPECT_EQ(scaler.scale(), before * 0.5);
    EXPECT_EQ(scaler.growth_tracker(), 0);
  }
  EXPECT_EQ(scaler.scale(), 16384.0);
}

TEST(LossScaler, GrowsAfterTheIntervalAndRoundTrips) {
  LossScaler scaler(true);
  auto p = with_grad(torch::ones({2}));
  auto step = [&] {
    p.mutable_grad() = torch::ones({2});
    ASSERT_TRUE(scaler.unscale_and_check({p}));
    scaler.update_after_step();
  };
  for (int i = 0; i < 1999; ++i) step();
  EXPECT_EQ(scaler.scale(), 65536.0);
  EXPECT_EQ(scaler.growth_tracker(), 1999);
  step();
  EXPECT_EQ(scaler.scale(), 131072.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  // An overflow resets the count.
  for (int i = 0; i < 1500; ++i) step();
  p.mutable_grad() = torch::full({2}, std::numeric_limits<float>::infinity());
  EXPECT_FALSE(scaler.unscale_and_check({p}));
  EXPECT_EQ(scaler.scale(), 65536.0);
  for (int i = 0; i < 1999; ++i) step();
  EXPECT_EQ(scaler.scale(), 65536.0);

  const json state = json::parse(scaler.state().dump());
  LossScaler restored(true);
  restored.load_state(state);
  EXPECT_EQ(restored.scale(), scaler.scale());
  EXPECT_EQ(restored.growth_tracker(), 1999);
  EXPECT_EQ(restored.state(), scaler.state());
  step();
  p.mutable_grad() = torch::ones({2});
  ASSERT_TRUE(restored.unscale_and_check({p}));
  restored.update_after_step();
  EXPECT_EQ(restored.scale(), scaler.scale());
  EXPECT_EQ(restored.scale(), 131072.0);

  EXPECT_THROW(restored.load_state(json{{"scale", -1.0}, {"growth_tracker", 0}}), std::invalid_argument);
  EXPECT_THROW(restored.load_state(json{{"scale", 1.0}}), std::invalid_argument);
  EXPECT_THROW(restored.load_state(json{{"scale", 1.0}, {"growth_tracker", 2000}}), std::invalid_argument);
}
