// The fused output head + cross-entropy (train/loss.hpp): the same loss and gradients as logits
// made in full and torch's cross-entropy, in one chunk or several, with and without a trainable
// head, in fp32 and bf16.
#include <gtest/gtest.h>

#include "train/loss.hpp"

namespace ftcore::train {
namespace {

struct Reference {
  torch::Tensor loss, grad_hidden, grad_weight;
};

/// Autograd through the full logits, scaled like the trainer scales the sum.
Reference reference(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets, double scale) {
  auto h = hidden.detach().clone().requires_grad_(true), w = weight.detach().clone().requires_grad_(true);
  auto logits = torch::matmul(h, w.t()).to(torch::kFloat32);
  auto loss = torch::nn::functional::cross_entropy(logits, targets,
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  (loss * scale).backward();
  return {loss.detach(), h.grad(), w.grad()};
}

struct Case {
  torch::ScalarType dtype;
  std::int64_t chunk_rows;
  double tolerance;
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << (c.dtype == torch::kBFloat16 ? "bf16" : "fp32") << ", chunks of " << c.chunk_rows << " rows";
}

class LinearCrossEntropyTest : public ::testing::TestWithParam<Case> {};

TEST_P(LinearCrossEntropyTest, MatchesFullLogits) {
  const auto [dtype, chunk_rows, tolerance] = GetParam();
  torch::manual_seed(3);
  auto hidden = torch::randn({13, 24}).to(dtype), weight = (torch::randn({50, 24}) * 0.3).to(dtype);
  auto targets = torch::randint(50, {13}, torch::kInt64);
  const double scale = 1.0 / 13;
  const Reference want = reference(hidden, weight, targets, scale);

  auto h = hidden.clone().requires_grad_(true), w = weight.clone().requires_grad_(true);
  auto loss = linear_cross_entropy_sum(h, w, targets, chunk_rows);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(loss.item<double>(), want.loss.item<double>(), tolerance * std::abs(want.loss.item<double>()));
  (loss * scale).backward();
  ASSERT_EQ(h.grad().scalar_type(), dtype);
  ASSERT_EQ(w.grad().scalar_type(), dtype);
  EXPECT_TRUE(torch::allclose(h.grad().to(torch::kFloat32), want.grad_hidden.to(torch::kFloat32), tolerance, tolerance * 0.1))
      << (h.grad().to(torch::kFloat32) - want.grad_hidden.to(torch::kFloat32)).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(w.grad().to(torch::kFloat32), want.grad_weight.to(torch::kFloat32), tolerance, tolerance * 0.1))
      << (w.grad().to(torch::kFloat32) - want.grad_weight.to(torch::kFloat32)).abs().max().item<double>();
}

INSTANTIATE_TEST_SUITE_P(Chunks, LinearCrossEntropyTest,
                         ::testing::Values(Case{torch::kFloat32, 0, 1e-5}, Case{torch::kFloat32, 4, 1e-5},
                                           Case{torch::kFloat32, 1, 1e-5}, Case{torch::kBFloat16, 5, 2e-2}));

TEST(LinearCrossEntropy, AFrozenHeadGetsNoGradient) {
  torch::manual_seed(4);
  auto h = torch::randn({6, 8}).requires_grad_(true);
  auto w = torch::randn({10, 8});  // frozen
  auto loss = linear_cross_entropy_sum(h, w, torch::randint(10, {6}, torch::kInt64), 2);
  loss.backward();
  EXPECT_TRUE(h.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(LinearCrossEntropy, WithoutGradientsOnlyTheLoss) {
  torch::manual_seed(5);
  auto h = torch::randn({7, 8}), w = torch::randn({10, 8});
  auto targets = torch::randint(10, {7}, torch::kInt64);
  const double want = reference(h, w, targets, 1.0).loss.item<double>();
  torch::NoGradGuard no_grad;  // evaluation
  auto loss = linear_cross_entropy_sum(h.requires_grad_(true), w, targets, 3);
  EXPECT_FALSE(loss.requires_grad());
  EXPECT_NEAR(loss.item<double>(), want, 1e-4);
}

}  // namespace
}  // namespace ftcore::train
