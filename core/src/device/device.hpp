#pragma once
// Where training runs: --device auto|cpu|cuda|cuda:N, and what a host-side timer or report needs
// of a CUDA device (waiting for its queued work, its allocator's peak, its name).
#include <cstdint>
#include <optional>
#include <string>

#include <torch/torch.h>

namespace ftcore::device {

/// Whether this ftcore was built against a CUDA libtorch.
bool built_with_cuda();

/// --device's text as a torch device. "auto": the GPU of `local_rank` when this build and machine
/// have CUDA, else the CPU; "cuda": the GPU of `local_rank`; "cuda:N": GPU N. UsageError for another
/// word, a CUDA device on a CPU-only build or machine, or an index the machine does not have.
torch::Device resolve(const std::string& text, int local_rank = 0);

/// Waits until the device has run everything queued on it (CUDA), so that a host timer measures it;
/// nothing on the CPU.
void synchronize(const torch::Device& device);

/// The most bytes the device's allocator held for tensors since the last reset_peak (CUDA), or
/// nullopt on the CPU (the process's peak resident memory covers it there).
std::optional<std::int64_t> peak_allocated_bytes(const torch::Device& device);
void reset_peak(const torch::Device& device);

/// "NVIDIA H200 (139.8 GiB)" for a GPU, "cpu" for the CPU.
std::string describe(const torch::Device& device);

}  // namespace ftcore::device
