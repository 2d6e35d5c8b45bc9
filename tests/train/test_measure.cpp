// ftcore bench's measurements (core/src/bench/measure.hpp): FLOPs of a step counted by hand for
// a tiny Llama, the bytes of its weights, the peak resident memory, file reading,
// and the matmul peak.
#include <cstring>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "bench/measure.hpp"
#include "lora/lora_method.hpp"
#include "method_support.hpp"
#include "test_support.hpp"

namespace ftcore {
namespace {

using testing::MapOptions;

// The tiny preset: hidden 64, 2 layers, 4 heads of 16, 2 key/value heads, MLP 176; vocabulary 64.
struct Shape {
  std::int64_t in, out;
};
const std::vector<Shape> kLayerLinears{{64, 64}, {64, 32}, {64, 32}, {64, 64}, {64, 176}, {64, 176}, {176, 64}};
constexpr double kLayers = 2, kRows = 2, kLength = 8, kTokens = kRows * kLength, kPredicted = kRows * (kLength - 1);
constexpr double kHead = 2.0 * 64 * 64;                                    // logits: hidden x vocabulary
constexpr double kAttention = 2 * 2.0 * kRows * 4 * 16 * kLength * kLength;  // q k^T and probs v, per layer

TEST(Measure, FlopsOfALoraStepCountEveryProductOnce) {
  auto network = testing::tiny_network("llama");
  methods::LoraMethod().apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), testing::facts("llama"));
  double base = 0, adapter = 0;
  for (const auto& s : kLayerLinears) base += 2.0 * s.in * s.out * kLayers, adapter += 2.0 * 4 * (s.in + s.out) * kLayers;
  const auto flops = bench::training_flops(*network, 2, 8);
  // Forward: every product once. Backward: the frozen weights' input gradients, the adapters'
  // input and weight gradients, the frozen head's input gradient, attention twice.
  EXPECT_DOUBLE_EQ(flops.forward, kTokens * (base + adapter) + kPredicted * kHead + kLayers * kAttention);
  EXPECT_DOUBLE_EQ(flops.backward, kTokens * (base + 2 * adapter) + kPredicted * kHead + 2 * kLayers * kAttention);
}

TEST(Measure, FlopsOfFullTrainingCountWeightGradients) {
  auto network = testing::tiny_network("llama");
  double base = 0;
  for (const auto& s : kLayerLinears) base += 2.0 * s.in * s.out * kLayers;
  const auto flops = bench::training_flops(*network, 2, 8);  // every parameter trains
  EXPECT_DOUBLE_EQ(flops.forward, kTokens * base + kPredicted * kHead + kLayers * kAttention);
  EXPECT_DOUBLE_EQ(flops.backward, 2 * (kTokens * base + kPredicted * kHead + kLayers * kAttention));
}

TEST(Measure, ModelBytesSplitWhatTrains) {
  auto network = testing::tiny_network("llama");
  std::int64_t count = 0;
  for (const auto& p : network->parameters()) count += p.numel();
  methods::LoraMethod().apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), testing::facts("llama"));
  const auto bytes = bench::model_bytes(*network);
  std::int64_t adapter = 0;
  for (const auto& s : kLayerLinears) adapter += 4 * (s.in + s.out) * 2;
  EXPECT_EQ(bytes.trainable_parameters, adapter);
  EXPECT_EQ(bytes.parameters, count + adapter);
  EXPECT_EQ(bytes.trainable, 4 * adapter);  // fp32
  EXPECT_EQ(bytes.weights, 4 * (count + adapter));
}

TEST(Measure, PeakResidentMemorySeesAnAllocation) {
  const std::int64_t before = bench::peak_rss_bytes();
  constexpr std::size_t kSize = 256u << 20;
  {
    std::vector<char> block(kSize);
    std::memset(block.data(), 1, kSize);  // touched: resident
    EXPECT_GE(bench::peak_rss_bytes(), static_cast<std::int64_t>(kSize));
  }
  EXPECT_GE(bench::peak_rss_bytes(), std::max<std::int64_t>(before, kSize));  // a peak stays when the memory goes
}

TEST(Measure, WarmReadReadsTheFiles) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "a.bin", std::ios::binary) << std::string(1 << 20, 'x');
  EXPECT_GT(bench::warm_read_seconds(dir.path()), 0.0);
  EXPECT_THROW(bench::warm_read_seconds(dir.path() / "missing"), std::filesystem::filesystem_error);
}

TEST(Measure, GemmPeakIsAFiniteRate) {
  const double peak = bench::gemm_peak(torch::kFloat32, torch::kCPU, 0.0);
  EXPECT_GT(peak, 1e8);  // any machine multiplies faster than 0.1 GFLOP/s
  EXPECT_TRUE(std::isfinite(peak));
}

TEST(Measure, MachineDescriptionNamesTheThreads) {
  EXPECT_NE(bench::machine_description(3).find(", 3 threads"), std::string::npos);
  EXPECT_NE(bench::machine_description(1).find(", 1 thread"), std::string::npos);
}

}  // namespace
}  // namespace ftcore
