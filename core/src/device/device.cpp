#include "device/device.hpp"

#include <cctype>

#include <torch/cuda.h>
#include <torch/version.h>

#ifdef FTCORE_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::device {

namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// The GPU count, with a message for a build or machine that has none.
std::int64_t visible_gpus(const std::string& asked) {
  if (!built_with_cuda())
    throw UsageError("--device " + asked + ": this ftcore was built against a libtorch without CUDA (libtorch " +
                     TORCH_VERSION + "); build it against a CUDA libtorch (docs/getting-started.md) or use --device cpu");
  const auto count = static_cast<std::int64_t>(torch::cuda::device_count());
  if (count == 0)
    throw UsageError("--device " + asked + ": no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), or use "
                     "--device cpu");
  return count;
}

}  // namespace

bool built_with_cuda() {
#ifdef FTCORE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

torch::Device resolve(const std::string& text, int local_rank) {
  if (text == "cpu") return torch::kCPU;
  if (text == "auto") {
    if (!built_with_cuda() || torch::cuda::device_count() == 0) return torch::kCPU;
    return resolve("cuda", local_rank);
  }
  std::int64_t index = local_rank;
  if (text.rfind("cuda:", 0) == 0 && all_digits(text.substr(5))) {
    index = std::stoll(text.substr(5));
  } else if (text != "cuda") {
    throw UsageError("--device '" + text + "': use auto, cpu, cuda or cuda:N (N a GPU index)");
  }
  const auto count = visible_gpus(text);
  if (index >= count)
    throw UsageError("--device " + text + ": GPU " + std::to_string(index) + " asked for" +
                     (text == "cuda" ? " (LOCAL_RANK " + std::to_string(local_rank) + ")" : std::string()) + ", but " +
                     std::to_string(count) + " " + (count == 1 ? "is" : "are") + " visible (0-" + std::to_string(count - 1) + ")");
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(index)};
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

#ifdef FTCORE_WITH_CUDA
namespace {

/// The caching allocator answers only once the first tensor made it start; make sure it has.
void start_allocator(const torch::Device& device) { (void)torch::empty({0}, torch::TensorOptions().device(device)); }

}  // namespace
#endif

std::optional<std::int64_t> peak_allocated_bytes(const torch::Device& device) {
#ifdef FTCORE_WITH_CUDA
  if (device.is_cuda()) {
    start_allocator(device);
    // allocated_bytes[0] is the aggregate over every pool (StatType::AGGREGATE in every libtorch).
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return static_cast<std::int64_t>(stats.allocated_bytes[0].peak);
  }
#endif
  (void)device;
  return std::nullopt;
}

void reset_peak(const torch::Device& device) {
#ifdef FTCORE_WITH_CUDA
  if (device.is_cuda()) {
    start_allocator(device);
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
  }
#endif
  (void)device;
}

std::string describe(const torch::Device& device) {
#ifdef FTCORE_WITH_CUDA
  if (device.is_cuda()) {
    const auto* properties = at::cuda::getDeviceProperties(device.index());
    return std::string(properties->name) + " (" +
           text::format_number("%.1f", static_cast<double>(properties->totalGlobalMem) / (1024.0 * 1024 * 1024)) + " GiB)";
  }
#endif
  return device.str();
}

}  // namespace ftcore::device
