// ftcore's bitsandbytes formats (ftcore/nn/quant.hpp) against bitsandbytes 0.45 (reference_quant.py
// -> FTCORE_PARITY_DIR/refs/quant.safetensors): its code books and dynamic maps bit for bit, its CPU
// 8-bit blockwise codes, and the 4-bit block maths of its CUDA kernel (NF4 and FP4 packed codes,
// absmax, double quantisation through bitsandbytes' own 8-bit quantiser, dequantised values) on
// random weights of three shapes.
#include <iostream>

#include <gtest/gtest.h>

#include "ftcore/nn/quant.hpp"
#include "parity_common.hpp"
#include "weights/safetensors.hpp"

namespace {

namespace q = ftcore::nn::quant;

std::shared_ptr<ftcore::weights::SafetensorsFile> reference() {
  std::string error;
  const auto dir = ftcore::parity::parity_dir(&error);
  if (dir.empty()) return nullptr;
  return ftcore::weights::SafetensorsFile::open(dir / "refs" / "quant.safetensors");
}

torch::Tensor get(const std::shared_ptr<ftcore::weights::SafetensorsFile>& file, const std::string& name) {
  return file->tensor(name).clone();
}

/// Elements that differ, as "n of N".
std::string mismatches(const torch::Tensor& a, const torch::Tensor& b) {
  return std::to_string((a.to(torch::kLong) != b.to(torch::kLong)).sum().item<std::int64_t>()) + " of " +
         std::to_string(a.numel());
}

}  // namespace

TEST(QuantParity, CodeBooksAndDynamicMapsAreBitsandbytes) {
  auto file = reference();
  ASSERT_TRUE(file) << ftcore::parity::kRunHint;
  EXPECT_TRUE(torch::equal(q::code_book(q::Format::nf4), get(file, "code.nf4")));
  EXPECT_TRUE(torch::equal(q::code_book(q::Format::fp4), get(file, "code.fp4")));
  EXPECT_TRUE(torch::equal(q::dynamic_map(true), get(file, "map.signed")));
  EXPECT_TRUE(torch::equal(q::dynamic_map(false), get(file, "map.unsigned")));
}

TEST(QuantParity, FourBitCodesAndDoubleQuantisationEqualTheReference) {
  auto file = reference();
  ASSERT_TRUE(file) << ftcore::parity::kRunHint;
  for (const std::string name : {"a", "b", "c"})
    for (const std::string type : {"nf4", "fp4"}) {
      SCOPED_TRACE(name + " " + type);
      const auto weight = get(file, name + ".weight");
      const auto format = type == "nf4" ? q::Format::nf4 : q::Format::fp4;
      const auto prefix = name + "." + type;
      auto plain = q::quantize(weight, format, /*double_quant=*/false);
      EXPECT_TRUE(torch::equal(plain.codes, get(file, prefix + ".packed")))
          << mismatches(plain.codes, get(file, prefix + ".packed")) << " packed bytes differ";
      EXPECT_TRUE(torch::equal(plain.absmax, get(file, prefix + ".absmax")));
      EXPECT_TRUE(torch::equal(q::dequantize(plain, torch::kFloat32), get(file, prefix + ".dequant")));
      auto nested = q::quantize(weight, format, /*double_quant=*/true);
      EXPECT_FLOAT_EQ(static_cast<float>(nested.offset), get(file, prefix + ".offset")[0].item<float>());
      EXPECT_TRUE(torch::equal(nested.absmax, get(file, prefix + ".nested_codes")))
          << mismatches(nested.absmax, get(file, prefix + ".nested_codes")) << " nested absmax codes differ";
      EXPECT_TRUE(torch::equal(nested.absmax2, get(file, prefix + ".nested_absmax2")));
      const auto diff = (q::dequantize(nested, torch::kFloat32) - get(file, prefix + ".nested_dequant")).abs().max();
      EXPECT_LE(diff.item<double>(), 1e-6 * weight.abs().max().item<double>());
      std::cout << "quant parity " << prefix << ": " << plain.codes.numel() << " packed bytes, "
                << nested.absmax.numel() << " nested codes identical; "
                << 8.0 * static_cast<double>(nested.storage_bytes()) / static_cast<double>(weight.numel()) << " bits/weight\n";
    }
}

TEST(QuantParity, BlockwiseEightBitCodesEqualBitsandbytes) {
  auto file = reference();
  ASSERT_TRUE(file) << ftcore::parity::kRunHint;
  const auto x = get(file, "blockwise.input");
  for (const std::string label : {"signed", "unsigned"}) {
    SCOPED_TRACE(label);
    const auto map = q::dynamic_map(label == "signed");
    auto coded = q::quantize_blockwise(label == "signed" ? x : x.abs(), map, 256);
    EXPECT_TRUE(torch::equal(coded.codes, get(file, "blockwise." + label + ".codes")))
        << mismatches(coded.codes, get(file, "blockwise." + label + ".codes")) << " codes differ";
    EXPECT_TRUE(torch::equal(coded.absmax, get(file, "blockwise." + label + ".absmax")));
    EXPECT_TRUE(torch::equal(q::dequantize_blockwise(coded, map, 256), get(file, "blockwise." + label + ".dequant")));
  }
}
