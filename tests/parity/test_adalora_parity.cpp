// AdaLoRA against peft 0.13 (adalora_steps.cpp, then reference_adalora.py -> refs/adalora.json):
// ten steps from the same adapter and batch, peft's update_and_allocate after each, give the same
// losses (<= 1e-4), the same rank pattern at every step and the same final truncated adapter
// (<= 1e-4); peft loads ftcore's final adapter and computes ftcore's logits (<= 1e-4).
#include <iostream>

#include <gtest/gtest.h>

#include "parity_common.hpp"

namespace {

constexpr double kTolerance = 1e-4;

}  // namespace

TEST(AdaLoraParity, StepsAllocationAndAdapterEqualPeft) {
  const auto& loaded = ftcore::parity::reference_file("adalora.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  ASSERT_FALSE(loaded.doc.empty());
  for (const auto& [name, c] : loaded.doc.items()) {
    SCOPED_TRACE(name);
    std::cout << "adalora " << name << ": " << c.dump() << "\n";
    EXPECT_LE(c["loss_max_diff"].get<double>(), kTolerance);
    EXPECT_EQ(c["pattern_steps_equal"], c["steps"]) << "first step whose rank pattern differs: " << c["first_pattern_difference"];
    EXPECT_TRUE(c["adapter_shapes_equal"].get<bool>());
    EXPECT_LE(c["adapter_max_diff"].get<double>(), kTolerance);
    EXPECT_LE(c["peft_logits_max_diff"].get<double>(), kTolerance);
    EXPECT_EQ(c["kept_ranks"], c["target_budget"]) << "the final pattern keeps target_r ranks per layer on average";
  }
}
