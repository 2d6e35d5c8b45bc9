// ftcore/nn/quant.hpp: bitsandbytes' code books, blockwise 4-bit and 8-bit codes, int8 rows, and
// the quantised linear layer's forward and backward. (Equality with bitsandbytes' reference maths
// on random tensors: tests/parity, test_quant_parity.)
#include <gtest/gtest.h>

#include "ftcore/nn/quant.hpp"
#include "test_support.hpp"

using namespace ftcore::nn;
using ftcore::testing::error_of;
namespace q = ftcore::nn::quant;

namespace {

torch::Tensor random(std::vector<std::int64_t> shape, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn(shape, gen);
}

/// The largest distance from any point of [-1, 1] to the nearest code: half the widest gap.
double half_widest_gap(const torch::Tensor& code) {
  auto sorted = std::get<0>(code.sort());
  return (sorted.slice(0, 1) - sorted.slice(0, 0, -1)).max().item<double>() / 2;
}

}  // namespace

TEST(Quant, CodeBooksAreBitsandbytes) {
  auto nf4 = q::code_book(q::Format::nf4);
  ASSERT_EQ(nf4.numel(), 16);
  EXPECT_EQ(nf4[0].item<float>(), -1.0F);
  EXPECT_EQ(nf4[7].item<float>(), 0.0F);
  EXPECT_EQ(nf4[15].item<float>(), 1.0F);
  EXPECT_TRUE(torch::equal(nf4, std::get<0>(nf4.sort()))) << "NF4 codes ascend";
  auto fp4 = q::code_book(q::Format::fp4);
  // e2m1 / 12: code 3 is the largest, code 8 is -0, code 11 the most negative.
  EXPECT_EQ(fp4[3].item<float>(), 1.0F);
  EXPECT_EQ(fp4[11].item<float>(), -1.0F);
  EXPECT_FLOAT_EQ(fp4[1].item<float>(), 0.0625F / 12);
  EXPECT_FLOAT_EQ(fp4[6].item<float>(), 2.0F / 12);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(fp4[i + 8].item<float>(), -fp4[i].item<float>());
}

TEST(Quant, DynamicMapsHave256SortedDistinctValues) {
  for (bool is_signed : {true, false}) {
    auto map = q::dynamic_map(is_signed);
    ASSERT_EQ(map.numel(), 256);
    EXPECT_TRUE(torch::equal(map, std::get<0>(map.sort())));
    EXPECT_EQ(std::get<0>(at::_unique(map)).numel(), 256);
    EXPECT_EQ(map[255].item<float>(), 1.0F);
    EXPECT_EQ((map == 0).sum().item<int64_t>(), 1);
    if (is_signed) EXPECT_LT(map[0].item<float>(), -0.99F);
    else EXPECT_EQ(map[0].item<float>(), 0.0F);
    // The smallest non-zero magnitude: 10^-6 times the first midpoint of linspace(0.1, 1, k).
    EXPECT_NEAR(map.abs().masked_fill(map == 0, 1).min().item<double>(), is_signed ? 0.55e-6 : 0.325e-6, 1e-12);
  }
}

TEST(Quant, FourBitCodesAreNearestAndPackedHighNibbleFirst) {
  for (auto format : {q::Format::nf4, q::Format::fp4}) {
    const auto book = q::code_book(format);
    // One block of 64 whose absmax is 1: the values are the codes themselves, in a known order.
    std::vector<std::int64_t> order;
    for (int i = 0; i < 64; ++i) order.push_back((i * 7 + 3) % 16);
    auto codes = torch::tensor(order);
    auto values = book.index_select(0, codes);
    values[0] = format == q::Format::nf4 ? -1.0F : 1.0F;  // make the absmax exactly 1
    codes[0] = format == q::Format::nf4 ? 0 : 3;
    if (format == q::Format::fp4) codes = torch::where(codes == 8, torch::zeros_like(codes), codes);  // -0 is +0
    auto w = values.view({2, 32});
    auto quantised = q::quantize(w, format, /*double_quant=*/false);
    ASSERT_EQ(quantised.codes.numel(), 32);
    auto unpacked = torch::stack({quantised.codes.to(torch::kLong).div(16, "floor"), quantised.codes.to(torch::kLong).remainder(16)}, 1)
                        .view({-1});
    EXPECT_TRUE(torch::equal(unpacked, codes)) << q::format_name(format);
    EXPECT_TRUE(torch::equal(q::dequantize(quantised, torch::kFloat32), w)) << "codes come back exactly";
  }
  // A value exactly between two NF4 codes takes the lower; just above, the upper.
  auto nf4 = q::code_book(q::Format::nf4);
  const float mid = (nf4[8].item<float>() + nf4[9].item<float>()) / 2;
  auto w = torch::zeros({1, 64});
  w[0][0] = 1.0F;
  w[0][1] = mid;
  w[0][2] = std::nextafter(mid, 1.0F);
  auto codes = q::quantize(w, q::Format::nf4, false).codes;
  EXPECT_EQ(codes[0].item<std::uint8_t>(), 15 * 16 + 8);
  EXPECT_EQ(codes[1].item<std::uint8_t>() / 16, 9);
  // FP4 keeps the sign of a negative value that rounds to zero (bitsandbytes' sign bit).
  auto tiny = torch::zeros({1, 64});
  tiny[0][0] = 1.0F;
  tiny[0][1] = -1e-4F;
  EXPECT_EQ(q::quantize(tiny, q::Format::fp4, false).codes[0].item<std::uint8_t>() % 16, 8);
}

TEST(Quant, FourBitRoundTripErrorIsBoundedPerBlock) {
  auto w = random({96, 130}, 1);  // 12480 weights: 195 blocks, the last one partial
  for (auto format : {q::Format::nf4, q::Format::fp4})
    for (bool dq : {false, true}) {
      auto quantised = q::quantize(w, format, dq);
      auto back = q::dequantize(quantised, torch::kFloat32);
      ASSERT_EQ(back.sizes(), w.sizes());
      auto blocks = torch::cat({w.reshape({-1}), torch::zeros({195 * 64 - w.numel()})}).view({-1, 64});
      auto absmax = blocks.abs().amax(1, true);
      auto err = torch::cat({(back - w).reshape({-1}), torch::zeros({195 * 64 - w.numel()})}).view({-1, 64}).abs();
      // Rounding to the nearest code, plus (double quantisation) the 8-bit error of the absmax.
      const double tolerance = half_widest_gap(q::code_book(format)) + (dq ? 0.01 : 1e-6);
      EXPECT_LE((err / absmax).max().item<double>(), tolerance) << q::format_name(format) << " dq " << dq;
      EXPECT_EQ(quantised.absmax.scalar_type(), dq ? torch::kUInt8 : torch::kFloat32);
    }
}

TEST(Quant, DoubleQuantisationGives4Point127BitsPerWeight) {
  auto w = random({256, 1024}, 2);
  auto nested = q::quantize(w, q::Format::nf4, true);
  const double bits = 8.0 * static_cast<double>(nested.storage_bytes()) / static_cast<double>(w.numel());
  EXPECT_NEAR(bits, 4.127, 0.001);
  EXPECT_EQ(nested.absmax.numel(), 4096);
  EXPECT_EQ(nested.absmax2.numel(), 16);
  auto plain = q::quantize(w, q::Format::nf4, false);
  EXPECT_NEAR(8.0 * static_cast<double>(plain.storage_bytes()) / static_cast<double>(w.numel()), 4.5, 1e-9);
}

TEST(Quant, Int8RowsRoundToNearestOf127Steps) {
  auto w = random({10, 50}, 3);
  w[4].zero_();  // an all-zero row stays zero
  auto quantised = q::quantize(w, q::Format::int8);
  EXPECT_EQ(quantised.codes.scalar_type(), torch::kInt8);
  EXPECT_EQ(quantised.absmax.sizes(), torch::IntArrayRef({10}));
  auto back = q::dequantize(quantised, torch::kFloat32);
  auto step = (w.abs().amax(1, true) / 127).clamp_min(1e-30);
  // Half a step, plus the rounding of the weight to fp16 that bitsandbytes does first.
  EXPECT_LE(((back - w).abs() / step).max().item<double>(), 0.5 + 0.07);
  EXPECT_TRUE(torch::equal(back[4], torch::zeros({50})));
  EXPECT_EQ(quantised.codes.abs().max().item<int>(), 127);
  EXPECT_EQ(quantised.storage_bytes(), 500 + 40);
}

TEST(Quant, BlockwiseEightBitCodesAreTheNearestValues) {
  auto map = q::dynamic_map(true);
  auto x = random({1000}, 4);
  auto coded = q::quantize_blockwise(x, map, 256);
  EXPECT_EQ(coded.absmax.numel(), 4);
  auto back = q::dequantize_blockwise(coded, map, 256);
  // Brute force: the nearest map value of each scaled element.
  auto padded = torch::cat({x, torch::zeros({24})}).view({4, 256});
  auto scaled = (padded / padded.abs().amax(1, true)).view({-1}).slice(0, 0, 1000);
  auto nearest = (scaled.unsqueeze(1) - map.unsqueeze(0)).abs().argmin(1);
  EXPECT_TRUE(torch::equal(coded.codes.to(torch::kLong), nearest));
  EXPECT_LE((back - x).abs().max().item<double>(), 0.02 * x.abs().max().item<double>());
}

namespace {

/// The test vector of the bitsandbytes rules (4-bit, N = 64 * 300): every value exact in fp32.
torch::Tensor vector_4bit() {
  std::vector<float> x(19200);
  for (std::int64_t i = 0; i < 19200; ++i)
    x[i] = static_cast<float>((i * 37) % 97 - 48) / 8.0F * (1.0F + static_cast<float>((i / 64) % 7) / 4.0F);
  return torch::tensor(x).view({150, 128});
}

std::string hex(const torch::Tensor& bytes, std::int64_t count) {
  std::string out;
  const char* digits = "0123456789abcdef";
  for (std::int64_t i = 0; i < count; ++i) {
    const auto b = bytes[i].item<std::uint8_t>();
    out += digits[b / 16];
    out += digits[b % 16];
  }
  return out;
}

}  // namespace

// Numbers from an exact fp32 emulation of bitsandbytes' CUDA kernels (kQuantizeBlockwise with
// dQuantizeNF4 / dQuantizeFP4, dQuantize for the nested absmax); the NF4 bytes and the nested codes
// were also confirmed with bitsandbytes 0.47's CPU code.
TEST(Quant, EqualsTheBitsandbytesTestVector) {
  const auto w = vector_4bit();
  auto nf4 = q::quantize(w, q::Format::nf4, /*double_quant=*/false);
  EXPECT_EQ(hex(nf4.codes, 16), "05d18e3b06e29f4c17e2a05d18e3b06e");
  EXPECT_EQ(nf4.codes.to(torch::kLong).sum().item<std::int64_t>(), 1196456);
  EXPECT_TRUE(torch::equal(nf4.absmax.slice(0, 0, 8), torch::tensor({6.0F, 7.5F, 9.0F, 10.5F, 12.0F, 13.5F, 15.0F, 6.0F})));
  auto fp4 = q::quantize(w, q::Format::fp4, false);
  EXPECT_EQ(hex(fp4.codes, 16), "bf5a13c4be2a63c5a92d7bf5a13c4be2");
  EXPECT_EQ(fp4.codes.to(torch::kLong).sum().item<std::int64_t>(), 1239320);
  auto nested = q::quantize(w, q::Format::nf4, true);
  EXPECT_FLOAT_EQ(static_cast<float>(nested.offset), 10.459166526794434F);
  EXPECT_TRUE(torch::equal(nested.absmax2, torch::tensor({4.584166526794434F, 4.584166526794434F})));
  EXPECT_EQ(hex(nested.absmax, 16), "0119309dcfe7fe0119309dcfe7fe0119");
  EXPECT_EQ(nested.absmax.to(torch::kLong).sum().item<std::int64_t>(), 38900);
  auto back = q::dequantize(nested, torch::kFloat32).view({-1});
  const std::vector<float> expected{-5.9716973304748535F, -1.1034109592437744F, 3.35977840423584F, -4.157452583312988F,
                                    0.4752294719219208F,  4.31727933883667F,    -2.358327627182007F, 2.017927646636963F};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(back[static_cast<std::int64_t>(i)].item<float>(), expected[i]) << i;
  EXPECT_NEAR(back.to(torch::kFloat64).sum().item<double>(), 243.735006660223, 2e-5);
}

TEST(Quant, RejectsWhatItCannotQuantise) {
  EXPECT_NE(error_of([] { q::quantize(torch::zeros({4}), q::Format::nf4); }).find("[out, in]"), std::string::npos);
  auto bad = torch::ones({2, 64});
  bad[1][3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { q::quantize(bad, q::Format::nf4); }).find("non-finite"), std::string::npos);
  EXPECT_NE(error_of([] { q::quantize(torch::ones({2, 64}), q::Format::nf4, true, 3); }).find("blocksize 3"),
            std::string::npos);
}

TEST(QuantizedLinear, ForwardAndBackwardUseTheDequantisedWeight) {
  Linear dense(64, 48, /*has_bias=*/true);
  {
    torch::NoGradGuard no_grad;
    dense.weight.copy_(random({48, 64}, 5) * 0.1);
    dense.bias.copy_(random({48}, 6));
  }
  for (auto format : {q::Format::nf4, q::Format::fp4, q::Format::int8}) {
    auto layer = q::QuantizedLinear::from(dense, format, true, torch::kFloat32);
    const auto w = q::dequantize(layer->weight(), torch::kFloat32);
    auto x = random({3, 5, 64}, 7).requires_grad_();
    auto y = layer->forward(x);
    EXPECT_TRUE(torch::allclose(y, torch::matmul(x, w.t()) + dense.bias, 1e-5, 1e-5));
    auto grad = random({3, 5, 48}, 8);
    y.backward(grad);
    EXPECT_TRUE(torch::allclose(x.grad(), torch::matmul(grad, w), 1e-5, 1e-5)) << q::format_name(format);
    // Only the (frozen) bias is a parameter; the codes are buffers.
    auto params = layer->named_parameters();
    ASSERT_EQ(params.size(), 1U);
    EXPECT_FALSE(params["bias"].requires_grad());
    EXPECT_EQ(layer->in_features(), 64);
    EXPECT_EQ(layer->out_features(), 48);
  }
  // GPT-2's Conv1D stores [in, out]: the quantised layer computes the same product.
  Linear conv(64, 48, false, /*fan_in_fan_out=*/true);
  {
    torch::NoGradGuard no_grad;
    conv.weight.copy_(random({64, 48}, 9));
  }
  auto layer = q::QuantizedLinear::from(conv, q::Format::int8, false, torch::kFloat32);
  EXPECT_TRUE(layer->fan_in_fan_out());
  auto x = random({2, 64}, 10);
  EXPECT_LE((layer->forward(x) - conv.forward(x)).abs().max().item<double>(), 0.05 * conv.forward(x).abs().max().item<double>());
  // bf16 compute: the input is cast, the output comes back in the input's dtype.
  auto bf16 = q::QuantizedLinear::from(dense, q::Format::nf4, true, torch::kBFloat16);
  EXPECT_EQ(bf16->forward(x).scalar_type(), torch::kFloat32);
}
