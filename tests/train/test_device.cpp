// --device: the names it takes and refuses (with the reason), and on a GPU (skipped without one)
// what the bench reads of it: the allocator's peak, the name, a matmul peak.
#include <torch/cuda.h>

#include <gtest/gtest.h>

#include "bench/measure.hpp"
#include "device/device.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::error_of;

namespace {

bool gpu() { return device::built_with_cuda() && torch::cuda::is_available(); }

}  // namespace

TEST(Device, CpuAndAuto) {
  EXPECT_EQ(device::resolve("cpu"), torch::Device(torch::kCPU));
  EXPECT_EQ(device::resolve("auto"), gpu() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU));
  EXPECT_EQ(device::describe(torch::kCPU), "cpu");
  EXPECT_FALSE(device::peak_allocated_bytes(torch::kCPU).has_value());
  device::synchronize(torch::kCPU);  // nothing to wait for
}

TEST(Device, WrongNamesAreRefused) {
  for (const char* name : {"gpu", "cuda:", "cuda:x", "CUDA", "cuda:-1"})
    EXPECT_EQ(error_of([&] { device::resolve(name); }), std::string("--device '") + name + "': use auto, cpu, cuda or cuda:N (N a GPU index)");
}

TEST(Device, CudaWithoutCudaSaysWhy) {
  if (gpu()) GTEST_SKIP() << "this build and machine have a GPU";
  const std::string message = error_of([] { device::resolve("cuda"); });
  if (!device::built_with_cuda())
    EXPECT_EQ(message.rfind("--device cuda: this ftcore was built against a libtorch without CUDA (libtorch ", 0), 0u) << message;
  else
    EXPECT_EQ(message, "--device cuda: no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), or use --device cpu");
}

TEST(DeviceOnGpu, IndexesNamePeakAndMatmulPeak) {
  if (!gpu()) GTEST_SKIP() << "no CUDA GPU";
  const auto count = static_cast<int>(torch::cuda::device_count());
  EXPECT_EQ(device::resolve("cuda"), torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(device::resolve("cuda", count - 1), torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(count - 1)));
  EXPECT_EQ(error_of([&] { device::resolve("cuda:" + std::to_string(count)); }),
            "--device cuda:" + std::to_string(count) + ": GPU " + std::to_string(count) + " asked for, but " +
                std::to_string(count) + (count == 1 ? " is" : " are") + " visible (0-" + std::to_string(count - 1) + ")");
  const torch::Device gpu0(torch::kCUDA, 0);
  EXPECT_NE(device::describe(gpu0).find(" GiB)"), std::string::npos) << device::describe(gpu0);
  device::reset_peak(gpu0);
  auto block = torch::empty({64 << 20}, torch::TensorOptions().dtype(torch::kUInt8).device(gpu0));
  device::synchronize(gpu0);
  ASSERT_TRUE(device::peak_allocated_bytes(gpu0).has_value());
  EXPECT_GE(*device::peak_allocated_bytes(gpu0), 64 << 20);
  EXPECT_GT(bench::gemm_peak(torch::kBFloat16, gpu0, 0.0), 1e12) << "a GPU multiplies bf16 at more than a TFLOP/s";
}
